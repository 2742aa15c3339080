"""The mirror of one HubSpot portal: database, in-memory copy, syncs, freshness and the lease.

- :meth:`Mirror.sync` runs one sync when this process holds the portal's lease (a row in
  ``mirror_leases`` that expires, renewed while the sync runs); a replica that does not get it waits
  for the holder to finish and loads the new rows from the database. N replicas cost HubSpot one.
- :meth:`Mirror.fresh` is what an answer awaits: the in-memory copy, synced within ``fresh_seconds``
  (default 60). A stale copy first picks up what another replica wrote, else runs one delta sync;
  concurrent callers share that one flight.
- After a restart the copy is loaded from the database, then a delta runs: no full re-read.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hashlib
import logging
import os
import socket
import ssl
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from pydantic import SecretStr

from bot.mirror.memory import MemoryPortal
from bot.mirror.object_sync import ObjectOutcome
from bot.mirror.store import MirrorStore, ObjectRow, SyncState
from bot.mirror.sync import (
    ACCOUNT_KIND,
    OWNERS_KIND,
    READS_KIND,
    PortalRead,
    Syncer,
    SyncOutcome,
    pipelines_kind,
)
from bot.storage.database import Database
from engines import ObjectRead, Owner, Pipeline, PortalInfo, ProgressCallback, utc_now
from engines.hubspot import (
    DEALS,
    DEFAULT_API_VERSION,
    DEFAULT_BASE_URL,
    ApiPaths,
    ApiVersion,
    BorrowedTransport,
    ClientStats,
    HubSpotClient,
    MirroredType,
    Pacer,
    RateLimits,
    RetryPolicy,
)

__all__ = ["Mirror", "MirrorStatus", "freeze_loaded"]

log = logging.getLogger("bot.mirror")

Props = Mapping[str, Any]
FREEZE_AT = 20_000  # objects in memory from which a freshly loaded copy is frozen (see freeze_loaded)


def freeze_loaded(memory: MemoryPortal) -> bool:
    """Move a freshly loaded mirror out of the cyclic collector's generations (``gc.freeze``).

    A big mirror is a few hundred thousand long-lived objects (100k deal models, their dates and
    dicts). Left in the generations, every full collection walks them all, and work that builds many
    short-lived objects (the change card: a few hundred thousand) triggers full collections: they
    doubled the card's time. Frozen, they are never walked (they are still freed by reference
    counting when a delta replaces them). A collection first, so no garbage is frozen with them;
    only for big copies, once per load (freezing is for the whole process: small test mirrors are
    not worth it)."""
    if len(memory) < FREEZE_AT:
        return False
    gc.collect()
    gc.freeze()
    return True


@dataclass(frozen=True, slots=True)
class MirrorStatus:
    """What ``/engine status`` and the App Home say about the mirror."""

    portal: str | None
    states: dict[str, SyncState]
    in_memory: int

    @property
    def last_sync_at(self) -> datetime | None:
        times = [s.last_sync_at for s in self.states.values() if s.last_sync_at is not None]
        return max(times, default=None)


class Mirror:
    """One portal's CRM mirror (see the module docstring)."""

    def __init__(
        self,
        db: Database,
        token: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        api_version: ApiVersion = DEFAULT_API_VERSION,
        limits: RateLimits | None = None,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        object_types: Sequence[MirroredType] = (DEALS,),
        line_items_days: int | None = None,
        fresh_seconds: float = 60.0,
        overlap: timedelta = timedelta(minutes=2),
        sweep_every: timedelta = timedelta(days=1),
        change_log_days: int = 400,
        lease_seconds: float = 120.0,
        holder: str | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.store = MirrorStore(db)
        self._token = SecretStr(token)
        self.base_url = base_url.rstrip("/")
        self.paths = ApiPaths(api_version)
        self.limits = limits or RateLimits()
        self.retry = retry or RetryPolicy()
        self._transport = BorrowedTransport(transport) if transport is not None else None
        self.fresh_seconds = fresh_seconds
        self.lease_seconds = lease_seconds
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self._clock = clock
        self.key = hashlib.sha256(f"{self.base_url}\n{token}".encode()).hexdigest()[:16]
        self.syncer = Syncer(
            self.store,
            self._client,
            object_types=object_types,
            overlap=overlap,
            sweep_every=sweep_every,
            change_log_days=change_log_days,
            token_key=self.key,
            line_items_days=line_items_days,
            clock=clock,
        )
        self.memory: MemoryPortal | None = None
        self.last_outcome: SyncOutcome | None = None
        self.stats = ClientStats()  # every HubSpot call this mirror made, across syncs
        self._pacer: Pacer | None = None
        self._pacer_loop: asyncio.AbstractEventLoop | None = None
        # A verified TLS context costs ~20 ms to build: once per mirror, not once per sync's client
        # (an answer that waits for a delta would pay it every time).
        self._ssl_context: ssl.SSLContext | None = None
        self._flight: asyncio.Task[MemoryPortal] | None = None
        self._syncing = asyncio.Lock()
        self._expired = False

    def __repr__(self) -> str:
        return f"Mirror(base_url={self.base_url!r}, token=SecretStr('**********'))"

    # ------------------------------------------------------------------ HubSpot access

    def client(self) -> HubSpotClient:
        """A HubSpot client for one read, paced with this mirror's others (close it when done)."""
        return self._client()

    def expire(self) -> None:
        """The next :meth:`fresh` syncs first, however fresh the copy is (a card's Refresh)."""
        self._expired = True

    async def aclose(self) -> None:
        """Stop a sync this process runs for an answer (at shutdown)."""
        flight = self._flight
        if flight is not None and not flight.done() and flight.get_loop() is asyncio.get_running_loop():
            flight.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await flight

    def _client(self) -> HubSpotClient:
        loop = asyncio.get_running_loop()
        if self._pacer is None or self._pacer_loop is not loop:
            pacer = self._pacer.moved() if self._pacer is not None else Pacer(self.limits)
            self._pacer, self._pacer_loop = pacer, loop
        if self._ssl_context is None:
            self._ssl_context = httpx.create_ssl_context()
        return _CountingClient(
            self.stats,
            self._token,
            base_url=self.base_url,
            transport=self._transport,
            retry=self.retry,
            pacer=self._pacer,
            paths=self.paths,
            ssl_context=self._ssl_context,
        )

    async def _db(self, call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return await asyncio.to_thread(call, *args, **kwargs)

    # ------------------------------------------------------------------ database -> memory

    async def portal(self) -> str | None:
        """The portal this token opens, as the database knows it (``None`` before the first sync)."""
        if self.memory is not None:
            return self.memory.portal
        portal: str | None = await self._db(self.store.portal_of, self.key)
        return portal

    async def load(self) -> MemoryPortal | None:
        """Bring the in-memory copy up to what the database holds (all of it the first time, then
        only rows written since). ``None`` when nothing was ever synced."""
        portal = await self.portal()
        if portal is None:
            return None
        memory = self.memory if self.memory is not None else self._new_memory(portal)
        states: dict[str, SyncState] = await self._db(self.store.states, portal)
        # Only the types this mirror syncs: a type no longer mirrored keeps its old state, whose
        # cursor would pin the watermark (and every load would re-read what came since).
        mirrored = {t.name for t in self.syncer.object_types}
        cursors = [s.cursor for name, s in states.items() if s.cursor is not None and name in mirrored]
        if not cursors:
            return None
        through = min(cursors)
        if memory.watermark is not None and memory.watermark >= through:
            self.memory = memory
            return memory
        loaded_whole = memory.watermark is None
        await self._load_portal_rows(memory)
        for kind in self.syncer.kinds:
            # Small batches: fewer short-lived rows at a time between the long-lived columns, so
            # less memory stays fragmented after the load (100k deals: 157 -> 142 MB RSS at 250).
            batches = self.store.iter_rows(portal, kind, since=memory.watermark, batch=250)
            while (batch := await self._db(next, batches, None)) is not None:
                upserts = {r.object_id: r.properties for r in batch if r.deleted_at is None}
                removed = [r.object_id for r in batch if r.deleted_at is not None]
                memory.apply(kind, upserts, removed)
        memory.watermark = through
        self.memory = memory
        if loaded_whole:
            freeze_loaded(memory)
        return memory

    def _new_memory(self, portal: str) -> MemoryPortal:
        return MemoryPortal(portal, self.syncer.object_types)

    async def _load_portal_rows(self, memory: MemoryPortal) -> None:
        portal = memory.portal
        account: dict[str, ObjectRow] = await self._db(self.store.rows, portal, ACCOUNT_KIND)
        owners: dict[str, ObjectRow] = await self._db(self.store.rows, portal, OWNERS_KIND)
        pipelines: dict[str, ObjectRow] = await self._db(self.store.rows, portal, pipelines_kind("deals"))
        info = (
            PortalInfo.model_validate(account["details"].properties) if "details" in account else PortalInfo()
        )
        memory.set_portal(
            info,
            tuple(Pipeline.model_validate(r.properties) for r in pipelines.values()),
            tuple(Owner.model_validate(r.properties) for r in owners.values()),
        )
        reads: dict[str, ObjectRow] = await self._db(self.store.rows, portal, READS_KIND)
        memory.others.set_reads(
            {
                name: (ObjectRead.model_validate(row.properties), row.properties.get("warning"))
                for name, row in reads.items()
            }
        )
        for name in reads:
            own: dict[str, ObjectRow] = await self._db(self.store.rows, portal, pipelines_kind(name))
            if own:
                memory.others.pipelines[name] = tuple(
                    Pipeline.model_validate(r.properties) for r in own.values()
                )

    # ------------------------------------------------------------------ syncing

    async def sync(
        self, *, full: bool = False, progress: ProgressCallback | None = None
    ) -> SyncOutcome | None:
        """One sync, if this replica gets the lease; else wait for the holder's and load its rows.

        Returns the outcome of the sync this process ran, or ``None`` when another replica synced.
        """
        return await self._locked_sync(full=full, progress=progress, unless_within=None)

    async def sync_if_older(self, seconds: float) -> SyncOutcome | None:
        """Sync unless some replica synced within ``seconds`` (its rows are loaded instead): what
        ``engine-bot serve`` runs every ``SYNC_INTERVAL``, so N replicas still sync once a period."""
        return await self._locked_sync(full=False, progress=None, unless_within=seconds)

    async def _locked_sync(
        self,
        *,
        full: bool,
        progress: ProgressCallback | None,
        unless_within: float | None,
        light: bool = False,
    ) -> SyncOutcome | None:
        async with self._syncing:  # one sync at a time in this process (the lease: across processes)
            if unless_within is not None:
                await self.load()  # what other replicas (or a sync this one waited for) wrote
                if self._is_fresh(self.memory, unless_within):
                    return None
            return await self._sync(full, progress, light)

    async def _sync(
        self, full: bool, progress: ProgressCallback | None, light: bool = False
    ) -> SyncOutcome | None:
        if not await self._db(
            self.store.acquire_lease, self.key, self.holder, self.lease_seconds, self._clock()
        ):
            await self._wait_for_holder()
            await self.load()
            return None
        renew = asyncio.create_task(self._renew())
        try:
            # The database first: after a restart (so this sync is a delta), and for the rows other
            # replicas wrote since this copy was last loaded (older than what this sync writes).
            await self.load()
            feed = _Feed(self.memory, self.syncer.object_types)
            outcome = await self.syncer.run(full=full, progress=progress, listener=feed, light=light)
        finally:
            renew.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renew
            await self._db(self.store.release_lease, self.key, self.holder)
        self._expired = False
        assert feed.memory is not None  # the sync read the portal first
        feed.memory.watermark = outcome.started_at
        built = feed.memory is not self.memory  # a first read (or another portal): a new copy
        self.memory = feed.memory
        if built:
            freeze_loaded(feed.memory)
        self.last_outcome = outcome
        return outcome

    async def _renew(self) -> None:
        while True:
            await asyncio.sleep(self.lease_seconds / 3)
            await self._db(self.store.acquire_lease, self.key, self.holder, self.lease_seconds, self._clock())

    async def _wait_for_holder(self) -> None:
        # Another process holds the lease: nothing in this one can signal its end, so poll the row.
        while True:
            holder = await self._db(self.store.lease_holder, self.key, self._clock())
            if holder in (None, self.holder):
                return
            await asyncio.sleep(0.2)

    def _is_fresh(self, memory: MemoryPortal | None, seconds: float | None = None) -> bool:
        if memory is None or memory.watermark is None:
            return False
        within = self.fresh_seconds if seconds is None else seconds
        return (self._clock() - memory.watermark).total_seconds() < within

    async def fresh(self, progress: ProgressCallback | None = None) -> MemoryPortal:
        """The in-memory copy, synced within ``fresh_seconds`` (one shared flight when it is not)."""
        if not self._expired and self._is_fresh(self.memory):
            assert self.memory is not None
            return self.memory
        if self._flight is None or self._flight.done():
            self._flight = asyncio.create_task(self._refresh(progress))
        return await asyncio.shield(self._flight)

    async def _refresh(self, progress: ProgressCallback | None) -> MemoryPortal:
        memory = await self.load()  # another replica may have synced a moment ago
        if not self._expired and self._is_fresh(memory):
            assert memory is not None
            return memory
        unless = None if self._expired else self.fresh_seconds
        # The delta an answer waits for is light: deletions of the types besides deals are checked
        # by the background and explicit syncs (bot.mirror.object_sync).
        await self._locked_sync(full=False, progress=progress, unless_within=unless, light=True)
        if self.memory is None:
            raise RuntimeError("the mirror sync finished without data")  # pragma: no cover
        return self.memory

    async def status(self) -> MirrorStatus:
        portal = await self.portal()
        states: dict[str, SyncState] = await self._db(self.store.states, portal) if portal is not None else {}
        return MirrorStatus(portal, states, len(self.memory) if self.memory is not None else 0)


class _Feed:
    """Applies a sync's writes to the in-memory copy as they happen: in place to the copy answers
    read (a delta), or to a new copy swapped in at the end (the first read, another portal)."""

    def __init__(self, memory: MemoryPortal | None, object_types: Sequence[MirroredType]) -> None:
        self.memory = memory
        self._types = object_types

    def portal(self, portal: str, read: PortalRead) -> None:
        if self.memory is None or self.memory.portal != portal:
            self.memory = MemoryPortal(portal, self._types)
        self.memory.set_portal(read.account, read.pipelines.get("deals", ()), read.owners)

    def rows(self, object_type: str, upserts: Mapping[str, Props], removed: Iterable[str]) -> None:
        assert self.memory is not None
        self.memory.apply(object_type, upserts, removed)

    def reads(self, reads: Mapping[str, ObjectOutcome]) -> None:
        assert self.memory is not None
        self.memory.others.set_reads({name: (o.read, o.warning) for name, o in reads.items()})
        for name, outcome in reads.items():
            if outcome.pipelines is not None:
                self.memory.others.pipelines[name] = outcome.pipelines


class _CountingClient(HubSpotClient):
    """A per-sync client whose calls also add up in the mirror's lifetime counters."""

    def __init__(self, lifetime: ClientStats, token: SecretStr, **options: Any) -> None:
        super().__init__(token, **options)
        self._lifetime = lifetime

    async def aclose(self) -> None:
        self._lifetime.requests += self.stats.requests
        self._lifetime.by_endpoint.update(self.stats.by_endpoint)
        self._lifetime.retries += self.stats.retries
        self._lifetime.rate_limited += self.stats.rate_limited
        await super().aclose()
