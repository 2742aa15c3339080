"""One sync of the mirror against HubSpot: full, delta or sweep, per object type.

- **Full** (first sync, or ``--full``): every object in the mirrored scope, by keyset paging at the
  rate-limit floor. The change log starts here (``log_from``): a first read logs nothing.
- **Delta**: objects whose modified date is at or after the cursor minus ``overlap`` (HubSpot's
  search index lags a little; re-reading a few objects is harmless, rows are written only when they
  differ). Survivors of merges tombstone the ids in their ``hs_merged_object_ids``. Then the cheap
  deletion check: HubSpot's ``total`` for the scope against the mirror's live count; only when the
  mirror holds more does the archived listing get read, and what it lists leaves the mirror.
- **Sweep** (every ``sweep_every``, default daily): a delta, then a full read compared with the
  mirror; whatever still differs is *drift* the deltas missed (objects modified after this sync
  started are not counted), fixed and logged.

The cursor becomes the sync's *start* time, so an edit made while a sync runs is read by the next
one. Pipelines, owners and the account details are read on every sync; a stage a pipeline gained
since the last sync has its ``hs_v2_date_entered_<stage>`` back-filled with one search for the objects
that have it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.mirror.object_sync import ObjectOutcome, sync_object_type
from bot.mirror.store import Change, MirrorStore, ObjectRow, SyncState
from engines import ObjectRead, Owner, Pipeline, PortalInfo, Progress, ProgressCallback, to_utc, utc_now
from engines.hubspot import (
    DEALS,
    MERGED_IDS,
    HubSpotClient,
    MirroredType,
    RawDeal,
    count_objects,
    merged_ids,
    millis,
    read_archived,
    read_portal_details,
    search_objects,
    stage_entry_properties,
    unwrap_group,
)

__all__ = [
    "ACCOUNT_KIND",
    "OWNERS_KIND",
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
    return f"pipelines:{object_type}"


@dataclass(slots=True)
class TypeResult:
    """What one sync did to one object type."""

    object_type: str
    kind: str  # "full", "delta" or "sweep"
    read: int = 0
    changed: int = 0
    created: int = 0
    deleted: int = 0
    restored: int = 0
    drift: int = 0
    calls: int = 0
    archived_listing: bool = False


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


class Syncer:
    """Runs syncs of one portal's mirror. ``client_factory`` opens a HubSpot client for one sync."""

    def __init__(
        self,
        store: MirrorStore,
        client_factory: Callable[[], HubSpotClient],
        *,
        object_types: Sequence[MirroredType],
        overlap: timedelta = timedelta(minutes=2),
        sweep_every: timedelta = timedelta(days=1),
        change_log_days: int = 400,
        fallback_portal: str,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.store = store
        self._client_factory = client_factory
        self.object_types = tuple(object_types)
        self.overlap = overlap
        self.sweep_every = sweep_every
        self.change_log_days = change_log_days
        self._fallback_portal = fallback_portal
        self._clock = clock
        self._listener: SyncListener | None = None

    async def _db(self, call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return await asyncio.to_thread(call, *args, **kwargs)

    async def _read_portal(self, client: HubSpotClient) -> PortalRead:
        kinds = sorted({t.pipelines for t in self.object_types if t.pipelines is not None})
        account, owners, pipelines, warnings = await read_portal_details(client, kinds)
        for warning in warnings:
            log.warning("%s", warning)
        return PortalRead(account=account, pipelines=pipelines, owners=owners)

    def portal_key(self, account: PortalInfo) -> str:
        return str(account.portal_id) if account.portal_id is not None else self._fallback_portal

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

    async def _run(self, full: bool, progress: ProgressCallback | None, light: bool = False) -> SyncOutcome:
        started = self._clock()
        report = progress or (lambda _: None)
        report(Progress("starting"))
        client = self._client_factory()
        async with client:
            portal_read = await self._read_portal(client)
            portal = self.portal_key(portal_read.account)
            await self._store_portal(portal, portal_read, started)
            if self._listener is not None:
                self._listener.portal(portal, portal_read)
            # Every type at once: an answer's delta waits for the slowest type, not for their sum.
            before = Counter(client.stats.by_endpoint)
            others: dict[str, ObjectOutcome] = {}

            async def one(object_type: MirroredType) -> tuple[TypeResult, SyncState]:
                if object_type.name == DEALS.name:
                    return await self._sync_type(
                        client, portal, object_type, portal_read, started, full, report
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
            results = [task.result()[0] for task in tasks]
            states = [task.result()[1] for task in tasks]
            spent = Counter(client.stats.by_endpoint)
            spent.subtract(before)
            for result in results:
                result.calls = _calls_of(spent, result.object_type)
            if others:
                await self._store_reads(portal, others, started)
                if self._listener is not None:
                    self._listener.reads(others)
            calls = client.stats.requests
        # Saved last, together: a replica that sees the new cursor finds every row of this sync.
        for object_type, state in zip(self.object_types, states, strict=True):
            state.last_calls = calls
            await self._db(self.store.save_state, portal, object_type.name, state)
        await self._db(self.store.prune_changes, portal, started - timedelta(days=self.change_log_days))
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

    async def _store_reads(self, portal: str, others: Mapping[str, ObjectOutcome], now: datetime) -> None:
        """How each type besides deals was read (a refusal outlives the sync: answers name the scope),
        and the pipelines read with a type (tickets)."""
        reads = {name: {**o.read.model_dump(mode="json"), "warning": o.warning} for name, o in others.items()}
        await self._db(self.store.replace_all, portal, READS_KIND, reads, now)
        for name, o in others.items():
            if o.pipelines is not None:
                rows = {p.id: p.model_dump(mode="json") for p in o.pipelines}
                await self._db(self.store.replace_all, portal, pipelines_kind(name), rows, now)

    async def _store_portal(self, portal: str, read: PortalRead, now: datetime) -> None:
        await self._db(
            self.store.replace_all,
            portal,
            ACCOUNT_KIND,
            {"details": read.account.model_dump(mode="json")},
            now,
        )
        await self._db(
            self.store.replace_all,
            portal,
            OWNERS_KIND,
            {o.id: o.model_dump(mode="json") for o in read.owners},
            now,
        )
        for kind, pipelines in read.pipelines.items():
            rows = {p.id: p.model_dump(mode="json") for p in pipelines}
            await self._db(self.store.replace_all, portal, pipelines_kind(kind), rows, now)

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
    ) -> tuple[TypeResult, SyncState]:
        clock_start = time.monotonic()
        name = object_type.name
        state: SyncState | None = await self._db(self.store.state, portal, name)
        properties = self._properties(object_type, read)
        scope = list(object_type.scope)

        def progress(done: int, total: int | None) -> None:
            report(Progress(name, done, total))

        if state is None or state.cursor is None:
            state = SyncState(log_from=started)
            result = TypeResult(name, "full")
            await self._first(client, portal, object_type, properties, result, started, progress)
            state.last_full_at = started
        else:
            sweep = full or state.last_full_at is None or started - state.last_full_at >= self.sweep_every
            result = TypeResult(name, "full" if full else "sweep" if sweep else "delta")
            await self._backfill(client, portal, object_type, state, properties, result, started)
            since = state.cursor - self.overlap
            changed_filter = {"propertyName": object_type.modified, "operator": "GTE", "value": millis(since)}
            changed, _ = await search_objects(
                client, name, properties=properties, filters=[*scope, changed_filter], report=progress
            )
            await self._delta(portal, object_type, changed, result, started)
            await self._deletions(client, portal, object_type, result, started)
            if sweep:
                objects, _ = await search_objects(
                    client, name, properties=properties, filters=scope, report=progress
                )
                await self._full(portal, object_type, objects, result, started, log_changes=True)
                state.last_full_at = started
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
        await self._db(self.store.upsert, portal, object_type.name, apply.upserts, now, deleted=apply.deleted)
        await self._db(self.store.log, portal, object_type.name, apply.changes, now)
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
    ) -> None:
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

    async def _full(
        self,
        portal: str,
        object_type: MirroredType,
        fresh: Mapping[str, RawDeal],
        result: TypeResult,
        now: datetime,
        *,
        log_changes: bool,
    ) -> None:
        """Make the mirror equal a complete read of the scope; count what differed as drift."""
        result.read += len(fresh)
        rows: dict[str, ObjectRow] = await self._db(self.store.rows, portal, object_type.name)
        apply = _Apply(object_type, log_changes=log_changes, now=now)
        for object_id, raw in fresh.items():
            differs = apply.fresh(object_id, raw.properties, rows.get(object_id))
            modified = to_utc(raw.properties.get(object_type.modified))
            if differs and log_changes and (modified is None or modified < now):
                result.drift += 1
        for object_id, row in rows.items():
            if row.deleted_at is None and object_id not in fresh:
                apply.gone(object_id, now)
                if log_changes:
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
        self, client: HubSpotClient, portal: str, object_type: MirroredType, result: TypeResult, now: datetime
    ) -> None:
        """Cheap check first (HubSpot's total vs the live count); the archived listing only if needed."""
        total = await count_objects(client, object_type.name, object_type.scope)
        live = await self._db(self.store.count_live, portal, object_type.name)
        if live <= total:
            return
        result.archived_listing = True
        # An archived survivor of a merge still names what it absorbed: those left too.
        archived = await read_archived(client, object_type.name, [MERGED_IDS])
        wanted = [i for a in archived for i in (a.id, *merged_ids(a.properties))]
        rows: dict[str, ObjectRow] = await self._db(
            self.store.rows, portal, object_type.name, ids=wanted, live_only=True
        )
        apply = _Apply(object_type, log_changes=True, now=now)
        for item in archived:
            when = _when(item.archived_at, now)
            if item.id in rows:
                apply.gone(item.id, when)
            for merged in merged_ids(item.properties):
                if merged in rows:
                    apply.gone(merged, when, item.id)
        await self._write(portal, object_type, apply, result, now)
        if live - len(apply.deleted) > total:
            log.warning(
                "mirror of %s in portal %s holds %d more objects than HubSpot counts; the sweep will fix it",
                object_type.name,
                portal,
                live - len(apply.deleted) - total,
            )

    async def _backfill(
        self,
        client: HubSpotClient,
        portal: str,
        object_type: MirroredType,
        state: SyncState,
        properties: list[str],
        result: TypeResult,
        now: datetime,
    ) -> None:
        """Objects with a stage-entry date of a stage that is new since the last sync."""
        known = set(state.properties)
        new = [p for p in properties if p not in known and p.startswith("hs_v2_date_entered_")]
        for name in new:
            has = {"propertyName": name, "operator": "HAS_PROPERTY"}
            objects, _ = await search_objects(
                client, object_type.name, properties=properties, filters=[*object_type.scope, has]
            )
            await self._delta(portal, object_type, objects, result, now)
