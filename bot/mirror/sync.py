"""One sync of the mirror against HubSpot: first read, delta or sweep, per object type.

- **First read**: every object in the mirrored scope, by keyset paging at the rate-limit floor. The
  change log starts here (``log_from``): a first read logs nothing.
- **Delta**: objects whose modified date is at or after the cursor minus ``overlap`` (HubSpot's
  search index lags a little, and the cursor is this machine's clock: see docs/mirror.md on clock
  skew; re-reading a few objects is harmless, rows are written only when they differ). Survivors of
  merges tombstone the ids in their ``hs_merged_object_ids``. Then the cheap deletion check
  (:meth:`Syncer._deletions`): one count, and only when it says something left: a recount, the
  objects that moved out of a scoped type's scope, the archived listing.
- **Sweep** (every ``sweep_every``, default daily, and ``--full``): one full read compared with the
  mirror, nothing else: what differs is written and logged like a delta's changes, objects the
  mirror holds and the read lacks leave (merged into a survivor that lists them, else archived: the
  archived listing is read then, for when and into what). Differences a delta could not have seen
  (a change dated before the delta window: a calculated property, a deletion the count missed) are
  *drift*, counted and logged as a warning.

The cursor becomes the sync's *start* time, so an edit made while a sync runs is read by the next
one (the delta has no upper bound: an edit that lands during the read may be read now too, and is
read again next time, which changes nothing). Pipelines, owners and the account details are read on
every sync; stages a pipeline gained since the last sync have their ``hs_v2_date_entered_<stage>``
back-filled by one search (up to five stages OR-ed in it) for the objects that have one. The deals'
delta search starts alongside those reads, with the last sync's stage list (:class:`_EarlyDelta`).

Writes: each step's rows, tombstones and change-log entries go in one transaction; the states of
every type, the portal's own rows and the token's portal key in one more, last (see
:mod:`bot.mirror.store`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.mirror.line_items import LINE_ITEMS_KIND, META_KIND, LineItemSync
from bot.mirror.object_sync import ObjectOutcome, sync_object_type
from bot.mirror.store import PIPELINES_PREFIX, PORTAL_KIND, Change, MirrorStore, ObjectRow, SyncState
from engines import ObjectRead, Owner, Pipeline, PortalInfo, Progress, ProgressCallback, to_utc, utc_now
from engines.hubspot import (
    DEALS,
    MERGED_IDS,
    HubSpotClient,
    MirroredType,
    RawDeal,
    count_objects,
    filter_groups_per_search,
    merged_ids,
    millis,
    outside_scope,
    read_archived,
    read_portal_details,
    search_objects,
    stage_entry_properties,
    unwrap_group,
)

__all__ = [
    "ACCOUNT_KIND",
    "OWNERS_KIND",
    "PORTAL_KIND",
    "READS_KIND",
    "PortalRead",
    "SyncListener",
    "SyncOutcome",
    "Syncer",
    "TypeResult",
    "pipelines_kind",
]

log = logging.getLogger("bot.mirror")

ACCOUNT_KIND = "account"
_FIRST_WRITE_BATCH = 2_000
OWNERS_KIND = "owners"
READS_KIND = "reads"  # per object type besides deals: read, refused (with the scopes) or not read
Props = dict[str, str | None]


def pipelines_kind(object_type: str) -> str:
    return f"{PIPELINES_PREFIX}{object_type}"


@dataclass(slots=True)
class TypeResult:
    """What one sync did to one object type."""

    object_type: str
    kind: str  # "full" (a first read, or --full), "delta" or "sweep"
    read: int = 0
    changed: int = 0
    created: int = 0
    deleted: int = 0
    restored: int = 0
    drift: int = 0
    calls: int = 0
    archived_listing: bool = False
    recounted: bool = False  # the deletion count disagreed and was taken again (see Syncer._deletions)


class SyncListener(Protocol):
    """Told what a sync writes, as it writes it (the mirror's in-memory copy follows along)."""

    def portal(self, portal: str, read: PortalRead) -> None: ...

    def rows(self, object_type: str, upserts: Mapping[str, Props], removed: Iterable[str]) -> None: ...

    def reads(self, reads: Mapping[str, ObjectOutcome]) -> None: ...


@dataclass(frozen=True, slots=True)
class PortalRead:
    account: PortalInfo
    pipelines: dict[str, tuple[Pipeline, ...]]
    owners: tuple[Owner, ...]


@dataclass(slots=True)
class SyncOutcome:
    portal: str
    started_at: datetime
    finished_at: datetime
    calls: int
    portal_read: PortalRead
    results: list[TypeResult]
    reads: dict[str, ObjectRead] = field(default_factory=dict)  # object types besides deals

    @property
    def seconds(self) -> float:
        return (self.finished_at - self.started_at).total_seconds()


def _when(value: str | None, fallback: datetime) -> datetime:
    return to_utc(value) or fallback


def _quiet(done: int, total: int | None) -> None:
    """No progress report."""


def _calls_of(spent: Mapping[str, int], object_type: str) -> int:
    """The calls of one type: those whose path names it as a segment (``…/objects/…/{type}/search``,
    ``…/pipelines/…/{type}``, ``…/properties/…/{type}/…``)."""
    return sum(n for endpoint, n in spent.items() if object_type in endpoint.split("?")[0].split("/"))


def _object_rows(others: Mapping[str, ObjectOutcome]) -> dict[str, dict[str, dict[str, Any]]]:
    """How each type besides deals was read (a refusal outlives the sync: answers name the scope),
    and the pipelines read with a type (tickets), saved with the sync's end."""
    if not others:
        return {}
    rows: dict[str, dict[str, dict[str, Any]]] = {
        READS_KIND: {
            name: {**o.read.model_dump(mode="json"), "warning": o.warning} for name, o in others.items()
        }
    }
    for name, outcome in others.items():
        if outcome.pipelines is not None:
            rows[pipelines_kind(name)] = {p.id: p.model_dump(mode="json") for p in outcome.pipelines}
    return rows


def _mended(
    early: Mapping[str, RawDeal],
    asked: Sequence[str],
    properties: Sequence[str],
    backfilled: Mapping[str, RawDeal],
) -> dict[str, RawDeal]:
    """An early delta's objects as the delta would have read them with this sync's ``properties``
    (see :class:`_EarlyDelta`): without the entry dates of stages that are gone, and, for objects
    the back-fill read too, as the back-fill read them (with the added stages' dates)."""
    dropped = set(asked) - set(properties)
    mended: dict[str, RawDeal] = {}
    for object_id, raw in early.items():
        if object_id in backfilled:
            mended[object_id] = backfilled[object_id]
        elif dropped and dropped & raw.properties.keys():
            kept = {k: v for k, v in raw.properties.items() if k not in dropped}
            mended[object_id] = raw.model_copy(update={"properties": kept})
        else:
            mended[object_id] = raw
    return mended


class _Apply:
    """Turns fresh reads into row writes, tombstones and change-log entries for one object type."""

    def __init__(self, object_type: MirroredType, *, log_changes: bool, now: datetime) -> None:
        self.type = object_type
        self.log_changes = log_changes
        self.now = now
        self.upserts: dict[str, Props] = {}
        self.deleted: dict[str, datetime] = {}
        self.changes: list[Change] = []
        self.created = self.restored = self.changed = 0

    def _diff(self, object_id: str, old: Mapping[str, Any], new: Props, when: datetime) -> None:
        for name in self.type.tracked:
            if old.get(name) != new.get(name):
                self.changes.append(Change(object_id, name, old.get(name), new.get(name), when))

    def fresh(self, object_id: str, read: Props, row: ObjectRow | None) -> bool:
        """Take one object as read now; ``True`` when the mirror's row differs (and is rewritten).

        Only properties with a value are kept: HubSpot answers ``null`` for a property it knows and
        omits one it does not, and both mean "no value" (a new stage's property then changes no row).
        """
        props: Props = {name: value for name, value in read.items() if value is not None}
        modified = _when(props.get(self.type.modified), self.now)
        if row is None:
            self.created += 1
            if self.log_changes and self.type.tracked:
                self.changes.append(
                    Change(object_id, "created", None, None, _when(props.get("createdate"), modified))
                )
        elif row.deleted_at is not None:
            self.restored += 1
            if self.log_changes and self.type.tracked:
                self.changes.append(Change(object_id, "restored", None, None, modified))
                self._diff(object_id, row.properties, props, modified)
        elif row.properties != props:
            self.changed += 1
            if self.log_changes:
                self._diff(object_id, row.properties, props, modified)
        else:
            return False
        self.upserts[object_id] = props
        return True

    def gone(self, object_id: str, when: datetime, survivor: str | None = None) -> None:
        """An object left (archived, or merged into ``survivor``)."""
        if object_id in self.deleted:
            return
        self.upserts.pop(object_id, None)
        self.deleted[object_id] = when
        if self.log_changes and self.type.tracked:
            self.changes.append(Change(object_id, "deleted", None, survivor, when))


@dataclass(slots=True)
class _EarlyDelta:
    """The deals' delta search, started alongside the portal details (pipelines, owners, account),
    so an answer that waits for a delta waits for one round trip fewer.

    The delta asks for each pipeline stage's entry date, so its property list depends on the
    pipelines this sync reads; the early search asks for the list the last sync stored. When the
    pipelines changed since, :meth:`Syncer._sync_type` mends the early objects: the entry dates of
    removed stages are dropped, and the back-fill search (which reads every object with an entry
    date of an added stage, all properties) replaces the objects it also read.
    """

    properties: tuple[str, ...] = ()
    since: datetime | None = None
    task: asyncio.Task[tuple[dict[str, RawDeal], int | None]] | None = None
    taken: bool = False

    async def take(self, since: datetime) -> dict[str, RawDeal] | None:
        """The early search's objects if it searched from ``since``, else ``None``."""
        if self.task is None or since != self.since:
            return None
        self.taken = True
        objects, _ = await self.task
        return objects

    async def drop(self) -> None:
        """Stop an early search nobody took (its error, if any, is the delta's to meet again)."""
        if self.task is None or self.taken:
            return
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self.task
        self.task = None


class Syncer:
    """Runs syncs of one portal's mirror. ``client_factory`` opens a HubSpot client for one sync.

    ``token_key`` names the token's mirror (a digest of base URL and token). The portal the mirror
    is kept as is fixed by its first sync and stored under that key: HubSpot's portal id, or
    ``token-<token_key>`` when the account details were refused then. A later sync keeps it, even
    once the account details answer: switching keys would start a second mirror with a full read and
    an empty change log. (To re-key, reset the mirror.)
    """

    def __init__(
        self,
        store: MirrorStore,
        client_factory: Callable[[], HubSpotClient],
        *,
        object_types: Sequence[MirroredType],
        overlap: timedelta = timedelta(minutes=2),
        sweep_every: timedelta = timedelta(days=1),
        change_log_days: int = 400,
        token_key: str,
        line_items_days: int | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        """``line_items_days``: mirror the line items of the deals won in that many days (``None``:
        not mirrored; answers read them live)."""
        self.store = store
        self._client_factory = client_factory
        self.object_types = tuple(object_types)
        self.overlap = overlap
        self.sweep_every = sweep_every
        self.change_log_days = change_log_days
        self.token_key = token_key
        self._clock = clock
        self._listener: SyncListener | None = None
        self.line_items = (
            LineItemSync(
                store, lookback_days=line_items_days, overlap=overlap, sweep_every=sweep_every, clock=clock
            )
            if line_items_days is not None
            else None
        )

    @property
    def kinds(self) -> tuple[str, ...]:
        """The row kinds a replica loads into memory: the object types, and the line items."""
        extra = (LINE_ITEMS_KIND, META_KIND) if self.line_items is not None else ()
        return (*(t.name for t in self.object_types), *extra)

    async def _db(self, call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return await asyncio.to_thread(call, *args, **kwargs)

    def _sweep_due(self, state: SyncState, started: datetime, full: bool) -> bool:
        return full or state.last_full_at is None or started - state.last_full_at >= self.sweep_every

    def _changed_filter(self, object_type: MirroredType, since: datetime) -> dict[str, Any]:
        """Modified at or after ``since`` (a delta's window, a catch-up read, the scope leavers')."""
        return {"propertyName": object_type.modified, "operator": "GTE", "value": millis(since)}

    async def _early_delta(
        self,
        client: HubSpotClient,
        portal: str | None,
        started: datetime,
        full: bool,
        report: ProgressCallback,
    ) -> _EarlyDelta:
        """Start the deals' delta search now when this sync will be a delta (see :class:`_EarlyDelta`)."""
        deals = next((t for t in self.object_types if t.name == DEALS.name), None)
        if portal is None or deals is None:
            return _EarlyDelta()
        state: SyncState | None = await self._db(self.store.state, portal, deals.name)
        if state is None or state.cursor is None or not state.properties:
            return _EarlyDelta()
        if self._sweep_due(state, started, full):
            return _EarlyDelta()
        since = state.cursor - self.overlap
        search = search_objects(
            client,
            deals.name,
            properties=state.properties,
            filters=[*deals.scope, self._changed_filter(deals, since)],
            report=lambda done, total: report(Progress(deals.name, done, total)),
        )
        return _EarlyDelta(state.properties, since, asyncio.create_task(search))

    async def _read_portal(self, client: HubSpotClient) -> PortalRead:
        kinds = sorted({t.pipelines for t in self.object_types if t.pipelines is not None})
        account, owners, pipelines, warnings = await read_portal_details(client, kinds)
        for warning in warnings:
            log.warning("%s", warning)
        return PortalRead(account=account, pipelines=pipelines, owners=owners)

    def portal_key(self, account: PortalInfo, stored: str | None) -> str:
        """The key the mirror is kept under (see the class docstring): the stored one, if any."""
        read = str(account.portal_id) if account.portal_id is not None else None
        if stored is not None:
            if read is not None and read != stored and not stored.startswith("token-"):
                log.warning(
                    "this token's mirror is kept as portal %s but HubSpot now says portal %s; "
                    "keeping %s (reset the mirror to start over)",
                    stored,
                    read,
                    stored,
                )
            return stored
        return read if read is not None else f"token-{self.token_key}"

    async def run(
        self,
        *,
        full: bool = False,
        progress: ProgressCallback | None = None,
        listener: SyncListener | None = None,
        light: bool = False,
    ) -> SyncOutcome:
        """One sync (not to be run twice at once on one syncer: the mirror's lock and lease see to it).

        ``light``: the delta an answer waits for; the object types besides deals skip their deletion
        check and sweep (:mod:`bot.mirror.object_sync`), left to background and explicit syncs.
        """
        self._listener = listener
        try:
            return await self._run(full, progress, light)
        finally:
            self._listener = None
            if self.line_items is not None:
                self.line_items.abort()  # a sync that failed before the line items

    async def _run(self, full: bool, progress: ProgressCallback | None, light: bool = False) -> SyncOutcome:
        started = self._clock()
        report = progress or (lambda _: None)
        report(Progress("starting"))
        client = self._client_factory()
        async with client:
            stored = await self._db(self.store.portal_of, self.token_key)
            before = Counter(client.stats.by_endpoint)
            early = await self._early_delta(client, stored, started, full, report)
            try:
                portal_read = await self._read_portal(client)
            except BaseException:
                await early.drop()
                raise
            # The portal details' calls are nobody's type: take them out of the types' count (the
            # early search runs alongside, but only on the search endpoint).
            portal_calls = Counter(client.stats.by_endpoint)
            portal_calls.subtract(before)
            before.update({e: n for e, n in portal_calls.items() if not e.endswith("/search")})
            portal = self.portal_key(portal_read.account, stored)
            if self._listener is not None:
                self._listener.portal(portal, portal_read)
            if self.line_items is not None:
                await self.line_items.begin(client, portal, portal_read.pipelines.get("deals", ()), started)
            # Every type at once: an answer's delta waits for the slowest type, not for their sum.
            others: dict[str, ObjectOutcome] = {}

            async def one(object_type: MirroredType) -> tuple[TypeResult, SyncState]:
                if object_type.name == DEALS.name:
                    return await self._sync_type(
                        client, portal, object_type, portal_read, started, full, report, early
                    )
                # The progress line counts deals (their pages are what a first sync waits for).
                result = TypeResult(object_type.name, "delta")
                outcome = await sync_object_type(
                    self,
                    client,
                    portal,
                    object_type,
                    started,
                    result,
                    full=full,
                    light=light,
                    progress=_quiet,
                )
                others[object_type.name] = outcome
                return result, outcome.state

            try:
                async with asyncio.TaskGroup() as group:
                    tasks = [group.create_task(one(t)) for t in self.object_types]
            except BaseExceptionGroup as group_error:
                raise unwrap_group(group_error) from None
            finally:
                await early.drop()
            results = [task.result()[0] for task in tasks]
            states = {t.name: task.result()[1] for t, task in zip(self.object_types, tasks, strict=True)}
            spent = Counter(client.stats.by_endpoint)
            spent.subtract(before)
            for result in results:
                result.calls = _calls_of(spent, result.object_type)
            if others and self._listener is not None:
                self._listener.reads(others)
            if self.line_items is not None:
                result, state = await self._sync_line_items(client, portal, started, full, light)
                results.append(result)
                states[LINE_ITEMS_KIND] = state
            calls = client.stats.requests
        for state in states.values():
            state.last_calls = calls
        # Last, in one transaction: a replica that sees one new cursor sees all of them, and every
        # row of this sync (written before).
        await self._db(
            self.store.finish_sync,
            portal,
            states,
            token_key=self.token_key,
            portal_rows={**self._portal_rows(portal_read), **_object_rows(others)},
            synced_at=started,
            prune_before=started - timedelta(days=self.change_log_days),
        )
        finished = self._clock()
        reads = {name: o.read for name, o in others.items()}
        outcome = SyncOutcome(portal, started, finished, calls, portal_read, results, reads)
        report(Progress("done", sum(r.read for r in results), None))
        log.info(
            "mirror sync of portal %s: %s in %.1f s, %d calls",
            portal,
            ", ".join(f"{r.object_type} {r.kind} read {r.read} drift {r.drift}" for r in results),
            outcome.seconds,
            calls,
        )
        return outcome

    async def _sync_line_items(
        self, client: HubSpotClient, portal: str, started: datetime, full: bool, light: bool
    ) -> tuple[TypeResult, SyncState]:
        """The line items of the deals won in the window, after the deals (bot/mirror/line_items.py)."""
        assert self.line_items is not None
        clock_start = time.monotonic()
        done, state = await self.line_items.run(
            client, portal, started, full=full, light=light, listener=self._listener
        )
        result = TypeResult(LINE_ITEMS_KIND, done.kind, done.read, done.changed, done.created, done.deleted)
        result.drift = done.drift
        # By endpoint: the edit search ran alongside the deals.
        result.calls = _calls_of(client.stats.by_endpoint, LINE_ITEMS_KIND)
        state.last_seconds = round(time.monotonic() - clock_start, 3)
        return result, state

    @staticmethod
    def _portal_rows(read: PortalRead) -> dict[str, dict[str, dict[str, Any]]]:
        rows: dict[str, dict[str, dict[str, Any]]] = {
            ACCOUNT_KIND: {"details": read.account.model_dump(mode="json")},
            OWNERS_KIND: {o.id: o.model_dump(mode="json") for o in read.owners},
        }
        for kind, pipelines in read.pipelines.items():
            rows[pipelines_kind(kind)] = {p.id: p.model_dump(mode="json") for p in pipelines}
        return rows

    def _properties(self, object_type: MirroredType, read: PortalRead) -> list[str]:
        stage_ids: list[str] = []
        if object_type.pipelines is not None:
            pipelines = read.pipelines.get(object_type.pipelines, ())
            stage_ids = list(dict.fromkeys(s.id for p in pipelines for s in p.stages))
        return [*object_type.properties, *stage_entry_properties(stage_ids)]

    async def _sync_type(
        self,
        client: HubSpotClient,
        portal: str,
        object_type: MirroredType,
        read: PortalRead,
        started: datetime,
        full: bool,
        report: ProgressCallback,
        early: _EarlyDelta | None = None,
    ) -> tuple[TypeResult, SyncState]:
        clock_start = time.monotonic()
        name = object_type.name
        state: SyncState | None = await self._db(self.store.state, portal, name)
        properties = self._properties(object_type, read)

        def progress(done: int, total: int | None) -> None:
            report(Progress(name, done, total))

        if state is None or state.cursor is None:
            state = SyncState(log_from=started)
            result = TypeResult(name, "full")
            await self._first(client, portal, object_type, properties, result, started, progress)
            state.last_full_at = started
        else:
            since = state.cursor - self.overlap
            if self._sweep_due(state, started, full):
                result = TypeResult(name, "full" if full else "sweep")
                await self._sweep(client, portal, object_type, properties, result, started, since, progress)
                state.last_full_at = started
            else:
                result = TypeResult(name, "delta")
                changed = await early.take(since) if early is not None else None
                backfilled = await self._backfill(client, object_type, state, properties)
                if changed is None:
                    if backfilled:
                        await self._delta(portal, object_type, backfilled, result, started)
                    changed, _ = await search_objects(
                        client,
                        name,
                        properties=properties,
                        filters=[*object_type.scope, self._changed_filter(object_type, since)],
                        report=progress,
                    )
                else:
                    assert early is not None
                    changed = _mended(changed, early.properties, properties, backfilled)
                    # Back-filled objects outside the delta window are not the delta's: the
                    # deletion check counts only what the delta search returned.
                    rest = {i: raw for i, raw in backfilled.items() if i not in changed}
                    if rest:
                        await self._delta(portal, object_type, rest, result, started)
                await self._delta(portal, object_type, changed, result, started)
                await self._deletions(
                    client, portal, object_type, properties, result, started, since, set(changed)
                )
        state.cursor = started
        state.properties = tuple(properties)
        state.last_sync_at = self._clock()
        state.last_kind = result.kind
        state.objects = await self._db(self.store.count_live, portal, name)
        state.last_read = result.read
        state.last_changed = result.changed + result.created + result.restored
        state.last_deleted = result.deleted
        state.last_drift = result.drift
        state.last_seconds = round(time.monotonic() - clock_start, 3)
        return result, state

    def _apply(self, object_type: MirroredType, now: datetime) -> _Apply:
        """Writes of a type without a change log (the types besides deals: bot.mirror.object_sync)."""
        return _Apply(object_type, log_changes=False, now=now)

    async def _write(
        self, portal: str, object_type: MirroredType, apply: _Apply, result: TypeResult, now: datetime
    ) -> None:
        await self._db(
            self.store.write,
            portal,
            object_type.name,
            apply.upserts,
            now,
            deleted=apply.deleted,
            changes=apply.changes,
        )
        if self.line_items is not None and object_type.name == "deals":
            self.line_items.deals_written(apply.upserts, apply.deleted)
        if self._listener is not None:
            self._listener.rows(object_type.name, apply.upserts, apply.deleted)
        result.changed += apply.changed
        result.created += apply.created
        result.restored += apply.restored
        result.deleted += len(apply.deleted)

    async def _delta(
        self,
        portal: str,
        object_type: MirroredType,
        fresh: Mapping[str, RawDeal],
        result: TypeResult,
        now: datetime,
    ) -> set[str]:
        """Apply objects read by a delta search; returns the ids it tombstoned (merged away)."""
        result.read += len(fresh)
        absorbed = {
            merged: object_id for object_id, raw in fresh.items() for merged in merged_ids(raw.properties)
        }
        rows: dict[str, ObjectRow] = await self._db(
            self.store.rows, portal, object_type.name, ids=[*fresh, *absorbed]
        )
        apply = _Apply(object_type, log_changes=True, now=now)
        for object_id, raw in fresh.items():
            apply.fresh(object_id, raw.properties, rows.get(object_id))
        for merged, survivor in absorbed.items():
            row = rows.get(merged)
            if row is not None and row.deleted_at is None and merged not in fresh:
                when = _when(fresh[survivor].properties.get(object_type.modified), now)
                apply.gone(merged, when, survivor)
        await self._write(portal, object_type, apply, result, now)
        return set(apply.deleted)

    async def _sweep(
        self,
        client: HubSpotClient,
        portal: str,
        object_type: MirroredType,
        properties: list[str],
        result: TypeResult,
        now: datetime,
        since: datetime,
        progress: Callable[[int, int | None], None],
    ) -> None:
        """One full read compared with the mirror (see the module docstring). A difference dated
        before ``since`` (the delta window's start) is drift: no delta could have seen it."""
        fresh, _ = await search_objects(
            client, object_type.name, properties=properties, filters=object_type.scope, report=progress
        )
        result.read += len(fresh)
        rows: dict[str, ObjectRow] = await self._db(self.store.rows, portal, object_type.name)
        apply = _Apply(object_type, log_changes=True, now=now)
        for object_id, raw in fresh.items():
            if apply.fresh(object_id, raw.properties, rows.get(object_id)):
                modified = to_utc(raw.properties.get(object_type.modified))
                if modified is None or modified < since:
                    result.drift += 1
        vanished = [i for i, row in rows.items() if row.deleted_at is None and i not in fresh]
        # Merged away: the survivor lists them (its modified date is when).
        survivors = {merged: i for i, raw in fresh.items() for merged in merged_ids(raw.properties)}
        left: dict[str, tuple[datetime, str | None]] = {}
        for object_id in vanished:
            survivor = survivors.get(object_id)
            if survivor is not None:
                left[object_id] = (_when(fresh[survivor].properties.get(object_type.modified), now), survivor)
        if len(left) < len(vanished) and object_type.scope:
            # Moved out of the scope (or merged into a survivor that did): not deleted, not ours.
            for object_id, gone in (await self._left_scope(client, object_type, since, now)).items():
                left.setdefault(object_id, gone)
        if any(i not in left for i in vanished):
            # Archived (or merged into a survivor that was archived since): the listing says when.
            result.archived_listing = True
            for item in await read_archived(client, object_type.name, [MERGED_IDS]):
                when = _when(item.archived_at, now)
                left.setdefault(item.id, (when, None))
                for merged in merged_ids(item.properties):
                    left.setdefault(merged, (when, item.id))
        for object_id in vanished:
            when, survivor = left.get(object_id, (now, None))
            apply.gone(object_id, when, survivor)
            if object_id not in left or when < since:
                result.drift += 1
        if result.drift:
            log.warning(
                "mirror sweep of %s in portal %s: %d objects had drifted",
                object_type.name,
                portal,
                result.drift,
            )
        await self._write(portal, object_type, apply, result, now)

    async def _first(
        self,
        client: HubSpotClient,
        portal: str,
        object_type: MirroredType,
        properties: list[str],
        result: TypeResult,
        now: datetime,
        progress: Callable[[int, int | None], None],
    ) -> None:
        """The first read of a type: pages are written while the next ones are read (the database
        work hides behind HubSpot's rate limit), and nothing is logged: this is the baseline."""
        pending: list[RawDeal] = []
        writes: list[asyncio.Task[None]] = []
        rows_before: dict[str, ObjectRow] = await self._db(self.store.rows, portal, object_type.name)

        async def write(batch: list[RawDeal], previous: asyncio.Task[None] | None) -> None:
            if previous is not None:
                await previous  # in order: one writer at a time
            fresh = {raw.id: raw for raw in batch}
            apply = _Apply(object_type, log_changes=False, now=now)
            for object_id, raw in fresh.items():
                apply.fresh(object_id, raw.properties, rows_before.get(object_id))
            await self._write(portal, object_type, apply, result, now)

        def on_page(results: list[RawDeal]) -> None:
            pending.extend(results)
            if len(pending) >= _FIRST_WRITE_BATCH:
                writes.append(asyncio.create_task(write(pending[:], writes[-1] if writes else None)))
                pending.clear()

        objects, _ = await search_objects(
            client,
            object_type.name,
            properties=properties,
            filters=object_type.scope,
            report=progress,
            on_page=on_page,
        )
        writes.append(asyncio.create_task(write(pending[:], writes[-1] if writes else None)))
        await writes[-1]
        result.read += len(objects)
        # Rows a previous, reset-less mirror held that the scope no longer has (a re-run first read).
        gone = _Apply(object_type, log_changes=False, now=now)
        for object_id, row in rows_before.items():
            if row.deleted_at is None and object_id not in objects:
                gone.gone(object_id, now)
        await self._write(portal, object_type, gone, result, now)

    async def _deletions(
        self,
        client: HubSpotClient,
        portal: str,
        object_type: MirroredType,
        properties: list[str],
        result: TypeResult,
        now: datetime,
        since: datetime,
        fresh: set[str],
    ) -> None:
        """Did anything leave? One count decides, the archived listing is read only if so.

        HubSpot counts the objects in scope **not modified since** ``since`` (the delta window's
        start); the mirror counts its live objects the delta did not return (``fresh``). Every
        object HubSpot counts is one the mirror holds (unmodified since before the window, so
        mirrored by an earlier sync, and not in this delta), so the mirror's count exceeds HubSpot's
        by exactly what left, plus what changed after the delta read its page. Objects created or
        restored while the sync runs are modified after ``since``: neither side counts them, so no
        creation can hide a deletion (as a count of everything in scope would: one created after
        the delta and one deleted cancel out until the sweep).

        When the counts differ, the objects modified since this sync started are read (and applied,
        as part of this delta) and the count is taken again: what still differs left, and the
        archived listing says what and when.
        """
        before_window = {"propertyName": object_type.modified, "operator": "LT", "value": millis(since)}
        scope = [*object_type.scope, before_window]
        counted = await count_objects(client, object_type.name, scope)
        unread = await self._db(self.store.count_live, portal, object_type.name) - len(fresh)
        if unread <= counted:
            return
        result.recounted = True
        since_start = self._changed_filter(object_type, now)
        late, _ = await search_objects(
            client, object_type.name, properties=properties, filters=[*object_type.scope, since_start]
        )
        merged_away = await self._delta(portal, object_type, late, result, now)
        fresh = (fresh | late.keys()) - merged_away
        counted = await count_objects(client, object_type.name, scope)
        unread = await self._db(self.store.count_live, portal, object_type.name) - len(fresh)
        if unread <= counted:
            return
        if object_type.scope:
            # Objects that moved out of the scope: the scoped delta could not return them.
            left = await self._left_scope(client, object_type, since, now)
            rows: dict[str, ObjectRow] = await self._db(
                self.store.rows, portal, object_type.name, ids=list(left), live_only=True
            )
            apply = _Apply(object_type, log_changes=True, now=now)
            for object_id, (when, survivor) in left.items():
                if object_id in rows and object_id not in fresh:
                    apply.gone(object_id, when, survivor)
            await self._write(portal, object_type, apply, result, now)
            unread -= len(apply.deleted)
            if unread <= counted:
                return
        result.archived_listing = True
        # An archived survivor of a merge still names what it absorbed: those left too.
        archived = await read_archived(client, object_type.name, [MERGED_IDS])
        wanted = [i for a in archived for i in (a.id, *merged_ids(a.properties))]
        rows = await self._db(self.store.rows, portal, object_type.name, ids=wanted, live_only=True)
        apply = _Apply(object_type, log_changes=True, now=now)
        for item in archived:
            when = _when(item.archived_at, now)
            if item.id in rows:
                apply.gone(item.id, when)
            for merged in merged_ids(item.properties):
                if merged in rows:
                    apply.gone(merged, when, item.id)
        await self._write(portal, object_type, apply, result, now)
        if unread - len(apply.deleted) > counted:
            log.warning(
                "mirror of %s in portal %s holds %d more objects than HubSpot counts; the sweep will fix it",
                object_type.name,
                portal,
                unread - len(apply.deleted) - counted,
            )

    async def _left_scope(
        self, client: HubSpotClient, object_type: MirroredType, since: datetime, now: datetime
    ) -> dict[str, tuple[datetime, str | None]]:
        """Objects modified since ``since`` that are outside the type's scope now (when, and the
        survivor for the ids such an object absorbed in a merge): one search for up to as many
        complement groups as HubSpot's filter limits allow. Leaving a scope is a modification, so
        whatever left since the mirror last held it is in the window."""
        window = self._changed_filter(object_type, since)
        groups = [[*group, window] for group in outside_scope(object_type.scope)]
        per_search = filter_groups_per_search(max(len(g) for g in groups))
        found: dict[str, tuple[datetime, str | None]] = {}
        for start in range(0, len(groups), per_search):
            objects, _ = await search_objects(
                client,
                object_type.name,
                properties=[object_type.modified, MERGED_IDS],
                groups=groups[start : start + per_search],
            )
            for object_id, raw in objects.items():
                when = _when(raw.properties.get(object_type.modified), now)
                found.setdefault(object_id, (when, None))
                for merged in merged_ids(raw.properties):
                    found.setdefault(merged, (when, object_id))
        return found

    async def _backfill(
        self,
        client: HubSpotClient,
        object_type: MirroredType,
        state: SyncState,
        properties: list[str],
    ) -> dict[str, RawDeal]:
        """Objects with a stage-entry date of a stage that is new since the last sync: one search
        for several new stages (OR-ed filter groups, as many as HubSpot's filter limits allow)."""
        known = set(state.properties)
        new = [p for p in properties if p not in known and p.startswith("hs_v2_date_entered_")]
        per_search = filter_groups_per_search(len(object_type.scope) + 1)
        found: dict[str, RawDeal] = {}
        for start in range(0, len(new), per_search):
            groups = [
                [*object_type.scope, {"propertyName": name, "operator": "HAS_PROPERTY"}]
                for name in new[start : start + per_search]
            ]
            objects, _ = await search_objects(client, object_type.name, properties=properties, groups=groups)
            found.update(objects)
        return found
