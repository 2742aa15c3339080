"""One sync of an object type besides deals (contacts, tickets, survey responses, products, goals).

The same cursor, overlap and row writes as the deals (:mod:`bot.mirror.sync`), with what differs:

- **Scopes of OR'ed groups, windows that move.** A type's scope (:class:`MirroredType` ``groups``) is
  resolved at the sync's start (``anchor``): the mirror holds what the live read would select at that
  moment, a superset of what any later answer selects (an answer filters by its own time). The delta
  is the scope AND "modified since the cursor minus the overlap", the keyset id bounds in every group.
- **Ageing out without a read.** Objects that no longer match the scope at the anchor, though nothing
  changed them (a lead older than the window now), leave the mirror by the same predicate evaluated
  locally (:func:`engines.hubspot.scope_matches`): no change-log entry, no HubSpot call.
- **Deletions and scope exits.** After that, HubSpot's ``total`` for the scope against the mirror's
  live count: the mirror holds a superset of the scope only when something was archived, merged away
  or edited out of the scope (an object entering it is modified, so the delta reads it). Only then is
  the scope's id list read (ids only) and what it lacks leaves. Both steps cost a search each and run
  in background and explicit syncs only (``light=False``); the delta an answer waits for skips them
  (the answer filters by its window anyway; a deletion shows within ``SYNC_INTERVAL``).
- **Listed types** (products, goal targets): read whole with the list endpoint, outside the search
  limit, compared with the mirror: rows written only when they differ, deletions free.
- **New stages.** A lifecycle stage new since the last sync has its ``hs_v2_date_entered_<stage>``
  back-filled with one search for the objects in scope that have it (HubSpot sets those dates without
  touching the modified date). A stage that disappeared makes the next sync a first read.
- **Refused scopes.** A 403 marks the type refused (the report names the scope; the other types sync
  on); its state is cleared, so the sync after the scope is granted is its first read. A 400 or 404
  marks it not read, with the live read's warning.

Non-deal types keep no change log (the change card is about deals); a sweep (``sweep_every``) re-reads
each searched type's scope whole and counts what differed as drift, as for deals.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.mirror.store import MirrorStore, ObjectRow, SyncState
from engines import (
    HubSpotResponseError,
    HubSpotScopeError,
    ObjectRead,
    ObjectType,
    Pipeline,
    ReadState,
    to_utc,
)
from engines.hubspot import (
    HubSpotClient,
    MirroredType,
    RawDeal,
    count_objects,
    list_all,
    millis,
    not_read_warning,
    property_millis,
    read_stage_options,
    read_ticket_pipelines,
    refused_read,
    scope_matches,
    search_objects,
    with_filters,
)

__all__ = ["ObjectOutcome", "sync_object_type"]

STAGE_PREFIX = "hs_v2_date_entered_"
Progress = Callable[[int, int | None], None]


class Result(Protocol):
    """What a sync did to one type (``bot.mirror.sync.TypeResult``; a protocol: that module imports
    this one)."""

    kind: str
    read: int
    changed: int
    created: int
    restored: int
    deleted: int
    drift: int
    archived_listing: bool


class Apply(Protocol):
    """Fresh reads turned into row writes (``bot.mirror.sync._Apply``)."""

    deleted: dict[str, datetime]

    def fresh(self, object_id: str, read: Mapping[str, str | None], row: ObjectRow | None) -> bool: ...

    def gone(self, object_id: str, when: datetime, survivor: str | None = None) -> None: ...


class Syncer(Protocol):
    """What this module uses of ``bot.mirror.sync.Syncer``."""

    store: MirrorStore
    overlap: timedelta
    sweep_every: timedelta
    _clock: Callable[[], datetime]

    async def _db(self, call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any: ...

    async def _write(
        self, portal: str, object_type: MirroredType, apply: Any, result: Any, now: datetime
    ) -> None: ...

    def _apply(self, object_type: MirroredType, now: datetime) -> Any: ...


@dataclass(slots=True)
class ObjectOutcome:
    """What one sync did to one object type besides deals, and how HubSpot answered for it."""

    state: SyncState
    read: ObjectRead
    warning: str | None = None
    pipelines: tuple[Pipeline, ...] | None = None  # the type's own pipelines (tickets), when read


async def _properties(
    client: HubSpotClient, object_type: MirroredType, state: SyncState | None, light: bool
) -> list[str]:
    """The properties to read: the type's, plus one stage-entry date per stage option. The delta an
    answer waits for keeps the stages the last sync read (one call less); other syncs re-read them."""
    names = list(object_type.properties)
    if object_type.stage_options is not None:
        if light and state is not None and state.cursor is not None:
            return list(state.properties)
        stages = await read_stage_options(client, object_type.name, object_type.stage_options)
        names.extend(f"{STAGE_PREFIX}{stage}" for stage in stages)
    return list(dict.fromkeys(names))


async def sync_object_type(
    syncer: Syncer,
    client: HubSpotClient,
    portal: str,
    object_type: MirroredType,
    started: datetime,
    result: Result,
    *,
    full: bool,
    light: bool,
    progress: Progress,
) -> ObjectOutcome:
    """One sync of ``object_type`` into ``result`` (see the module docstring); HubSpot errors other
    than a 403, 400 or 404 propagate and fail the sync, as they do for deals."""
    clock_start = time.monotonic()
    name = object_type.name
    kind = ObjectType(name)
    state: SyncState | None = await syncer._db(syncer.store.state, portal, name)
    # The type's pipelines are read beside its objects (one round trip, not two).
    own = asyncio.create_task(read_ticket_pipelines(client)) if object_type.own_pipelines else None
    step = _TypeSync(syncer, client, portal, object_type, result, started)
    try:
        properties = await _properties(client, object_type, state, light)
        if object_type.listed:
            result.kind = "full" if state is None or state.cursor is None else "delta"
            await step.listed(properties)
        else:
            dropped = state is not None and bool(
                {p for p in state.properties if p.startswith(STAGE_PREFIX)} - set(properties)
            )
            if state is None or state.cursor is None or dropped:
                result.kind = "full"
                await step.first(properties, progress)
                state = SyncState(log_from=started, last_full_at=started)
            else:
                sweep = not light and (
                    full or state.last_full_at is None or started - state.last_full_at >= syncer.sweep_every
                )
                if sweep:  # one full read of the scope, nothing else (it holds every property)
                    result.kind = "full" if full else "sweep"
                    window = state.cursor - syncer.overlap
                    await step.sweep(properties, window)
                    state.last_full_at = started
                else:
                    await step.delta(state, properties, progress)
                    if not light:
                        await step.leavers()
        pipelines = await own if own is not None else None
    except HubSpotScopeError as exc:
        return ObjectOutcome(SyncState(), refused_read(kind, exc))
    except HubSpotResponseError as exc:
        if exc.status not in (400, 404):
            raise
        return ObjectOutcome(SyncState(), ObjectRead(state=ReadState.NOT_READ), not_read_warning(kind, exc))
    finally:
        if own is not None:  # the objects' read failed first: stop the pipelines' read, or collect it
            own.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await own
    if state is None or (state.cursor is None and state.last_full_at is None):
        state = SyncState(log_from=started)
    if object_type.listed:
        state.last_full_at = started  # every sync of a listed type reads it whole
    state.cursor = started
    state.properties = tuple(properties)
    state.last_sync_at = syncer._clock()
    state.last_kind = result.kind
    state.objects = await syncer._db(syncer.store.count_live, portal, name)
    state.last_read = result.read
    state.last_changed = result.changed + result.created + result.restored
    state.last_deleted = result.deleted
    state.last_drift = result.drift
    state.last_seconds = round(time.monotonic() - clock_start, 3)
    return ObjectOutcome(state, ObjectRead(state=ReadState.READ), None, pipelines)


@dataclass(slots=True)
class _TypeSync:
    """One sync of one object type: the parts every step shares (what it writes to, where it reads
    from, what it counts into, the sync's start time)."""

    syncer: Syncer
    client: HubSpotClient
    portal: str
    object_type: MirroredType
    result: Result
    now: datetime

    def _apply(self) -> Apply:
        apply: Apply = self.syncer._apply(self.object_type, self.now)  # no change log for these types
        return apply

    async def _rows(self, **options: Any) -> dict[str, ObjectRow]:
        rows: dict[str, ObjectRow] = await self.syncer._db(
            self.syncer.store.rows, self.portal, self.object_type.name, **options
        )
        return rows

    async def _write(self, apply: Apply) -> None:
        await self.syncer._write(self.portal, self.object_type, apply, self.result, self.now)

    async def _search(
        self, properties: Sequence[str], groups: Sequence[Sequence[Any]], progress: Progress | None = None
    ) -> dict[str, RawDeal]:
        found, _ = await search_objects(
            self.client, self.object_type.name, properties=properties, groups=groups, report=progress
        )
        return found

    async def replace(self, fresh: dict[str, RawDeal], *, drift_before: datetime | None = None) -> None:
        """Make the mirror equal ``fresh``, a complete read of the type's scope (counting as drift
        the differences dated before ``drift_before``, when given)."""
        rows = await self._rows()
        apply = self._apply()
        modified_name = self.object_type.modified
        for object_id, raw in fresh.items():
            differs = apply.fresh(object_id, raw.properties, rows.get(object_id))
            modified = to_utc(raw.properties.get(modified_name))
            if drift_before is not None and differs and (modified is None or modified < drift_before):
                self.result.drift += 1
        for object_id, row in rows.items():
            if row.deleted_at is None and object_id not in fresh:
                apply.gone(object_id, self.now)
        await self._write(apply)

    async def listed(self, properties: list[str]) -> None:
        raws = await list_all(self.client, self.object_type.name, properties)
        fresh = {raw.id: raw for raw in raws}
        self.result.read += len(fresh)
        await self.replace(fresh)

    async def first(self, properties: list[str], progress: Progress) -> None:
        fresh = await self._search(properties, self.object_type.scope_at(self.now), progress)
        self.result.read += len(fresh)
        await self.replace(fresh)

    async def apply_fresh(self, fresh: dict[str, RawDeal]) -> None:
        self.result.read += len(fresh)
        if not fresh:
            return
        rows = await self._rows(ids=list(fresh))
        apply = self._apply()
        for object_id, raw in fresh.items():
            apply.fresh(object_id, raw.properties, rows.get(object_id))
        await self._write(apply)

    async def delta(self, state: SyncState, properties: list[str], progress: Progress) -> None:
        scope = self.object_type.scope_at(self.now)
        known = set(state.properties)
        for name in [p for p in properties if p not in known and p.startswith(STAGE_PREFIX)]:
            has = {"propertyName": name, "operator": "HAS_PROPERTY"}
            await self.apply_fresh(await self._search(properties, with_filters(scope, [has])))
        assert state.cursor is not None
        since = {
            "propertyName": self.object_type.modified,
            "operator": "GTE",
            "value": millis(state.cursor - self.syncer.overlap),
        }
        await self.apply_fresh(await self._search(properties, with_filters(scope, [since]), progress))

    async def leavers(self) -> None:
        """What aged out of the window (locally), then what was archived or left the scope (the
        count, and the scope's id list only when the count says something left)."""
        object_type = self.object_type
        scope = object_type.scope_at(self.now)
        rows = await self._rows(live_only=True)
        aged = self._apply()
        for object_id, row in rows.items():
            if not scope_matches(row.properties, scope):
                aged.gone(object_id, self.now)
        await self._write(aged)
        # Both sides count what was last modified before this sync started: an object created or
        # restored while it runs (after the delta's read) is in neither count, so it cannot hide a
        # deletion by evening the numbers out.
        start = float(millis(self.now))
        before = {"propertyName": object_type.modified, "operator": "LT", "value": millis(self.now)}
        live = sum(
            1
            for object_id, row in rows.items()
            if object_id not in aged.deleted
            and (property_millis(row.properties.get(object_type.modified)) or -math.inf) < start
        )
        total = await count_objects(self.client, object_type.name, groups=with_filters(scope, [before]))
        if live <= total:
            return
        self.result.archived_listing = True
        present = await self._search(["hs_object_id"], scope)
        left = self._apply()
        for object_id in rows:
            if object_id not in aged.deleted and object_id not in present:
                left.gone(object_id, self.now)
        await self._write(left)

    async def sweep(self, properties: list[str], window: datetime) -> None:
        """The full read of the scope, compared with the mirror. What a delta since ``window`` would
        not have read (changed, but dated before it) is drift; objects that left are not counted
        (without the archived listing, a deletion's date is unknown)."""
        fresh = await self._search(properties, self.object_type.scope_at(self.now))
        self.result.read += len(fresh)
        await self.replace(fresh, drift_before=window)
