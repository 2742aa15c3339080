"""``HubSpotSource``: the :class:`engines.source.SnapshotSource` the bot uses for a live portal."""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

import httpx
from pydantic import SecretStr

from engines.dates import utc_now
from engines.errors import HubSpotAuthError, HubSpotError, UnknownPipelineError
from engines.hubspot._cache import SnapshotCache
from engines.hubspot._fetch import fetch_snapshot, read_pipelines
from engines.hubspot._http import (
    DEFAULT_BASE_URL,
    MISSING_CREDENTIALS,
    BorrowedTransport,
    ClientStats,
    HubSpotClient,
    Pacer,
    RateLimits,
    RetryPolicy,
)
from engines.hubspot._objects import ALL_OBJECTS
from engines.hubspot._paths import API_VERSIONS, DEFAULT_API_VERSION, ApiPaths, ApiVersion
from engines.models import ObjectType, Pipeline, PortalSnapshot
from engines.source import Progress, ProgressCallback

__all__ = ["HubSpotSource"]

TOKEN_VARIABLES = ("HUBSPOT_ACCESS_TOKEN", "HUBSPOT_API_KEY")
BASE_VARIABLE = "HUBSPOT_API_BASE"
VERSION_VARIABLE = "HUBSPOT_API_VERSION"

CacheKey = tuple[str, str | None]
# A name missing from a pipeline list older than this re-reads the list once (single-flight), so a
# pipeline created a minute ago is found, while a burst of typos costs at most one read a minute.
PIPELINES_RECHECK = 60.0


@dataclass(frozen=True, slots=True)
class _PipelineList:
    pipelines: tuple[Pipeline, ...]
    read_at: float  # time.monotonic()

    def find(self, wanted: str) -> Pipeline | None:
        # The snapshot's own lookup (id, then label in any case), so both always agree.
        return PortalSnapshot(pipelines=self.pipelines, taken_at=utc_now()).find_pipeline(wanted)


class HubSpotSource:
    """Portal snapshots from HubSpot, cached per (portal, pipeline id) and fetched once per key at a time.

    ``pipeline`` is a pipeline id or label (case-insensitive). It is resolved to the pipeline's id
    against the portal's pipeline list, itself cached (same TTL, one read at a time, refreshed by
    every snapshot read) before the snapshot cache is consulted: a label and its id share one
    snapshot, and a name the portal does not have fails from memory instead of costing a read
    (account, owners, pipelines) each time someone mistypes it. Each read opens its own
    ``httpx.AsyncClient`` in the running event loop and closes it when done (a read is dozens to
    hundreds of requests over one kept-alive connection), so the source can serve successive event
    loops - a CLI calling ``asyncio.run`` twice - without a client stranded in a closed loop. The
    rate-limit windows are shared by all reads of one loop; cached snapshots are shared by all loops.
    A ``transport`` passed in is borrowed, never closed here.
    """

    name = "hubspot"

    def __init__(
        self,
        token: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        lookback_days: int = 180,
        cache_ttl: float = 300.0,
        max_cached: int = 32,
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
        retry: RetryPolicy | None = None,
        limits: RateLimits | None = None,
        api_version: ApiVersion = DEFAULT_API_VERSION,
        objects: Iterable[ObjectType] = ALL_OBJECTS,
    ) -> None:
        self._token = SecretStr(token)
        self.objects = frozenset(objects)
        if not token.strip():
            raise HubSpotAuthError(MISSING_CREDENTIALS)
        if lookback_days < 1:
            raise ValueError("lookback_days must be at least 1")
        if not base_url.startswith(("https://", "http://")):
            raise HubSpotError(
                f"HUBSPOT_API_BASE must be a URL such as {DEFAULT_BASE_URL}, not {base_url[:60]!r}."
            )
        self.base_url = base_url.rstrip("/")
        self.paths = ApiPaths(api_version)
        self.lookback_days = lookback_days
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.limits = limits or RateLimits()
        self.stats = ClientStats()
        self._transport = BorrowedTransport(transport) if transport is not None else None
        # Building a verified TLS context costs ~25 ms; do it once here, not in every read's client.
        self._ssl_context = httpx.create_ssl_context()
        self._pacer: Pacer | None = None
        self._pacer_loop: asyncio.AbstractEventLoop | None = None
        self._cache: SnapshotCache[CacheKey, PortalSnapshot] = SnapshotCache(
            ttl=cache_ttl, max_entries=max_cached
        )
        self._pipelines: SnapshotCache[str, _PipelineList] = SnapshotCache(ttl=cache_ttl, max_entries=1)
        # The portal is whatever the token opens; a digest keys the cache without keeping the token.
        self._portal_key = hashlib.sha256(f"{self.base_url}\n{token}".encode()).hexdigest()[:16]

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ, **options: Any) -> HubSpotSource:
        """Build from ``HUBSPOT_ACCESS_TOKEN`` (or ``HUBSPOT_API_KEY``), ``HUBSPOT_API_BASE`` and
        ``HUBSPOT_API_VERSION`` (``2026-03``, the default, or ``v3``)."""
        token = next((environ[v].strip() for v in TOKEN_VARIABLES if environ.get(v, "").strip()), "")
        if not token:
            raise HubSpotAuthError(f"{MISSING_CREDENTIALS} Or use --source sample.")
        base_url = environ.get(BASE_VARIABLE, "").strip() or DEFAULT_BASE_URL
        version = environ.get(VERSION_VARIABLE, "").strip() or DEFAULT_API_VERSION
        if version not in API_VERSIONS:
            raise HubSpotError(
                f"{VERSION_VARIABLE} must be one of {', '.join(API_VERSIONS)}, not {version[:20]!r}."
            )
        options.setdefault("api_version", version)
        return cls(token, base_url=base_url, **options)

    def __repr__(self) -> str:
        return (
            f"HubSpotSource(base_url={self.base_url!r}, token=SecretStr('**********'), "
            f"lookback_days={self.lookback_days})"
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    @property
    def fetches(self) -> int:
        """How many snapshot reads actually went to HubSpot (cache hits and shared reads excluded)."""
        return self._cache.fetches

    def invalidate(self) -> None:
        """Forget cached snapshots and the pipeline list, e.g. for an explicit "refresh" command."""
        self._cache.clear()
        self._pipelines.clear()

    async def aclose(self) -> None:
        """Stop reads still under way in this loop; each read's own client closes as it ends."""
        await self._cache.cancel_flights()
        await self._pipelines.cancel_flights()

    def _pacer_here(self) -> Pacer:
        loop = asyncio.get_running_loop()
        if self._pacer is None or self._pacer_loop is not loop:
            pacer = self._pacer.moved() if self._pacer is not None else Pacer(self.limits)
            self._pacer, self._pacer_loop = pacer, loop
        return self._pacer

    def _client(self) -> HubSpotClient:
        """A client for one read, in the running loop (see the class docstring)."""
        return HubSpotClient(
            self._token,
            base_url=self.base_url,
            timeout=self.timeout,
            transport=self._transport,
            retry=self.retry,
            pacer=self._pacer_here(),
            stats=self.stats,
            ssl_context=self._ssl_context,
            paths=self.paths,
        )

    async def _pipeline_list(self) -> _PipelineList:
        async def fetch(_: ProgressCallback) -> _PipelineList:
            async with self._client() as client:
                pipelines = await read_pipelines(client)
            return _PipelineList(pipelines, time.monotonic())

        return await self._pipelines.get_or_fetch(self._portal_key, fetch)

    async def _pipeline_id(self, wanted: str) -> str:
        """The id of the pipeline whose id or label is ``wanted``; ``UnknownPipelineError`` if none."""
        listed = await self._pipeline_list()
        found = listed.find(wanted)
        if found is None and time.monotonic() - listed.read_at > PIPELINES_RECHECK:
            if self._pipelines.get(self._portal_key) is listed:  # nobody refreshed it meanwhile
                self._pipelines.clear()
            listed = await self._pipeline_list()
            found = listed.find(wanted)
        if found is None:
            raise UnknownPipelineError(wanted, [p.label for p in listed.pipelines])
        return found.id

    async def snapshot(
        self, pipeline: str | None = None, *, progress: ProgressCallback | None = None
    ) -> PortalSnapshot:
        wanted = pipeline.strip() if pipeline is not None and pipeline.strip() else None
        pipeline_id = await self._pipeline_id(wanted) if wanted is not None else None
        key: CacheKey = (self._portal_key, pipeline_id)
        cached = self._cache.get(key)
        if cached is not None:
            if progress is not None:
                progress(Progress("done", len(cached.deals), cached.deals_total))
            return cached

        async def fetch(report: ProgressCallback) -> PortalSnapshot:
            async with self._client() as client:
                try:
                    snapshot = await fetch_snapshot(
                        client,
                        pipeline=pipeline_id,
                        lookback_days=self.lookback_days,
                        report=report,
                        objects=self.objects,
                    )
                except UnknownPipelineError:
                    self._pipelines.clear()  # deleted since the list was read: the list is stale
                    raise
            self._pipelines.put(self._portal_key, _PipelineList(snapshot.pipelines, time.monotonic()))
            return snapshot

        try:
            return await self._cache.get_or_fetch(key, fetch, progress)
        except UnknownPipelineError as exc:
            if wanted is None or wanted == pipeline_id:
                raise
            raise UnknownPipelineError(wanted, exc.available) from None  # in the asker's words
