"""Remembering which Slack events were already handled, so a retry never produces a second reply.

Slack re-sends an event (with ``x-slack-retry-num``) when it did not see a 2xx in time, and Bolt's
HTTP mode does not deduplicate. Every event has a globally unique ``event_id``; the first delivery
claims it here before any work starts. The memory store is bounded in size and time; replicas
behind a load balancer need a shared store implementing :class:`EventDeduper` (see README).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol

__all__ = ["EventDeduper", "MemoryEventDeduper"]


class EventDeduper(Protocol):
    async def first_delivery(self, event_id: str) -> bool:
        """Claim ``event_id``; ``True`` only for the first claim within the retention window."""
        ...


class MemoryEventDeduper:
    """In-process store: ``max_entries`` newest ids, each kept ``ttl`` seconds (Slack retries for ~6 min)."""

    def __init__(
        self, *, ttl: float = 3600.0, max_entries: int = 50_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl = ttl
        self._max = max_entries
        self._clock = clock
        self._seen: OrderedDict[str, float] = OrderedDict()

    def __len__(self) -> int:
        return len(self._seen)

    async def first_delivery(self, event_id: str) -> bool:
        now = self._clock()
        while self._seen:
            oldest, at = next(iter(self._seen.items()))
            if now - at < self._ttl and len(self._seen) < self._max:
                break
            del self._seen[oldest]
        if event_id in self._seen:
            return False
        self._seen[event_id] = now
        return True
