"""A bounded TTL cache with single-flight, so twenty people typing ``/engine`` cost one HubSpot read.

A fresh entry is served from memory; a missing or expired one is fetched by exactly one task, which
every concurrent caller for the same key awaits (each caller still gets its own progress updates).
Both sides are bounded: at most ``max_entries`` results are kept (least recently used go first) and
at most ``max_entries`` different keys are fetched at once (further keys queue). Failures are never
cached: the next call tries again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from engines.source import Progress, ProgressCallback

__all__ = ["SnapshotCache"]

log = logging.getLogger("engines.hubspot")

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@dataclass(slots=True)
class _Flight(Generic[V]):
    task: asyncio.Task[V] | None = None
    listeners: list[ProgressCallback] = field(default_factory=list)
    last: Progress | None = None

    def report(self, progress: Progress) -> None:
        self.last = progress
        for listener in list(self.listeners):
            try:
                listener(progress)
            except Exception:
                # One caller's broken progress display must not fail the read everyone shares.
                log.exception("progress callback failed")


class SnapshotCache(Generic[K, V]):
    """``get_or_fetch(key, fetch)``: cached for ``ttl`` seconds, one fetch per key at a time."""

    def __init__(self, *, ttl: float, max_entries: int, clock: Callable[[], float] = time.monotonic) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.ttl = ttl
        self.max_entries = max_entries
        self.fetches = 0
        self._clock = clock
        self._entries: OrderedDict[K, tuple[float, V]] = OrderedDict()
        self._flights: dict[K, _Flight[V]] = {}
        self._slots: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def __len__(self) -> int:
        self._purge()
        return len(self._entries)

    def clear(self) -> None:
        self._entries.clear()

    def put(self, key: K, value: V) -> None:
        """Store ``value`` as if fetched now: a value learnt on the way (a snapshot's pipelines)."""
        self._store(key, value)

    def get(self, key: K) -> V | None:
        """The fresh cached value for ``key``, or ``None``."""
        hit = self._entries.get(key)
        if hit is None:
            return None
        expires, value = hit
        if expires <= self._clock():
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return value

    async def cancel_flights(self) -> None:
        """Cancel the fetches under way in the running loop and wait until they have stopped."""
        if self._loop is not asyncio.get_running_loop():
            return
        tasks = [f.task for f in self._flights.values() if f.task is not None and not f.task.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)

    def _purge(self) -> None:
        now = self._clock()
        for key in [k for k, (expires, _) in self._entries.items() if expires <= now]:
            del self._entries[key]

    def _store(self, key: K, value: V) -> None:
        if self.ttl <= 0:
            return
        self._purge()
        self._entries[key] = (self._clock() + self.ttl, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def _bind_loop(self) -> asyncio.Semaphore:
        # In-flight tasks and the semaphore belong to one event loop; cached values do not.
        loop = asyncio.get_running_loop()
        if self._loop is not loop or self._slots is None:
            self._loop = loop
            self._flights = {}
            self._slots = asyncio.Semaphore(self.max_entries)
        return self._slots

    async def get_or_fetch(
        self,
        key: K,
        fetch: Callable[[ProgressCallback], Awaitable[V]],
        progress: ProgressCallback | None = None,
    ) -> V:
        slots = self._bind_loop()
        cached = self.get(key)
        if cached is not None:
            return cached
        flight = self._flights.get(key)
        if flight is None:
            flight = _Flight()
            flight.task = asyncio.create_task(self._run(key, flight, fetch, slots))
            flight.task.add_done_callback(_consume_exception)
            self._flights[key] = flight
        elif progress is not None and flight.last is not None:
            progress(flight.last)
        if progress is not None:
            flight.listeners.append(progress)
        assert flight.task is not None
        try:
            # shield: one impatient caller being cancelled must not cancel the read the others await.
            return await asyncio.shield(flight.task)
        finally:
            if progress is not None and progress in flight.listeners:
                flight.listeners.remove(progress)

    async def _run(
        self,
        key: K,
        flight: _Flight[V],
        fetch: Callable[[ProgressCallback], Awaitable[V]],
        slots: asyncio.Semaphore,
    ) -> V:
        try:
            async with slots:
                self.fetches += 1
                value = await fetch(flight.report)
            self._store(key, value)
            return value
        finally:
            if self._flights.get(key) is flight:
                del self._flights[key]


def _consume_exception(task: asyncio.Task[object]) -> None:
    """Mark a failed fetch's exception as seen even when every waiter was cancelled meanwhile."""
    if not task.cancelled():
        task.exception()
