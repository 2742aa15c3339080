"""Remembering what Slack already sent, so neither a retry, a replay nor an edit produces a second answer.

Three stores, one idea (claim a key once; bounded in size and time):

- :class:`EventDeduper`, by ``event_id``: Slack re-sends an event (with ``x-slack-retry-num``) when
  it did not see a 2xx in time, and Bolt's HTTP mode does not deduplicate. Every event has a
  globally unique ``event_id``; the first delivery claims it here before any work starts.
- :class:`ReplayStore`, by (``X-Slack-Request-Timestamp``, ``X-Slack-Signature``): a signature only
  proves Slack sent those bytes *once*; Bolt accepts the same signed request again for 5 minutes, so
  a captured slash command could be replayed into a second card. :mod:`bot.runtime.http` claims each
  validly signed request's pair before Bolt sees it and answers a repeat with 401. Slack's own
  retries are signed afresh (new timestamp), so they pass and are deduplicated by ``event_id``.
- A second :class:`EventDeduper`, by message (:func:`mention_key`, ``channel:ts``): editing a message
  that mentions the bot makes Slack send ``app_mention`` again with a *new* ``event_id``; claiming the
  message keeps it to one answer (``BotDeps.seen_mentions``, kept :data:`MENTION_MEMORY`).

The memory stores serve one process. Replicas behind a load balancer each see only part of the
traffic, so they need shared stores implementing these protocols: ``build_deps(seen_events=...,
seen_mentions=...)`` and ``bot.runtime.http.http_app(..., replay_store=...)``. :mod:`bot.storage.seen`
implements them on the database, and ``engine-bot serve`` uses them whenever ``DATABASE_URL`` is set.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol

__all__ = [
    "MENTION_MEMORY",
    "REPLAY_WINDOW",
    "EventDeduper",
    "MemoryEventDeduper",
    "MemoryReplayStore",
    "ReplayStore",
    "mention_key",
]

# Bolt rejects a timestamp more than 5 minutes away from now, in either direction.
REPLAY_WINDOW = 300.0
# How long a mention stays answered, by message (see mention_key): edits come minutes, not days, later.
MENTION_MEMORY = 86_400.0


def mention_key(channel: str, message_ts: str) -> str:
    """The message a mention is in: Slack re-sends ``app_mention`` when it is edited, with a new
    ``event_id`` but the same ``channel`` and ``ts``, so this (not the event id) keeps it to one answer."""
    return f"{channel}:{message_ts}"


class EventDeduper(Protocol):
    async def first_delivery(self, event_id: str) -> bool:
        """Claim ``event_id``; ``True`` only for the first claim within the retention window."""
        ...


class ReplayStore(Protocol):
    async def first_use(self, timestamp: str, signature: str) -> bool:
        """Claim a validly signed request; ``True`` only the first time this pair is seen.

        Keep each pair at least ``2 * REPLAY_WINDOW`` seconds after its first use (a timestamp may
        be up to 5 minutes ahead of the clock and is then accepted for 10 minutes).
        """
        ...


class _SeenKeys:
    """Keys first seen within ``ttl`` seconds, at most ``max_entries`` of them (oldest go first)."""

    def __init__(self, *, ttl: float, max_entries: int, clock: Callable[[], float]) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self._ttl = ttl
        self._max = max_entries
        self._clock = clock
        self._seen: OrderedDict[str, float] = OrderedDict()

    def __len__(self) -> int:
        return len(self._seen)

    def claim(self, key: str) -> bool:
        # No await between the check and the insert: concurrent claims in one loop cannot both win.
        now = self._clock()
        while self._seen:
            oldest, at = next(iter(self._seen.items()))
            if now - at < self._ttl and len(self._seen) < self._max:
                break
            del self._seen[oldest]
        if key in self._seen:
            return False
        self._seen[key] = now
        return True


class MemoryEventDeduper:
    """In-process store: ``max_entries`` newest ids, each kept ``ttl`` seconds (Slack retries for ~6 min)."""

    def __init__(
        self, *, ttl: float = 3600.0, max_entries: int = 50_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._seen = _SeenKeys(ttl=ttl, max_entries=max_entries, clock=clock)

    def __len__(self) -> int:
        return len(self._seen)

    async def first_delivery(self, event_id: str) -> bool:
        return self._seen.claim(event_id)


class MemoryReplayStore:
    """In-process store of validly signed (timestamp, signature) pairs.

    Each pair is kept ``ttl`` seconds: Bolt's window on both sides of the clock plus a minute of
    slack for clock steps. Only requests whose signature verified are recorded, so nobody without
    the signing secret can fill it; ``max_entries`` must exceed the peak request rate times ``ttl``
    (the default, 100,000, covers ~150 requests a second), past which the oldest pairs go first.
    """

    def __init__(
        self,
        *,
        ttl: float = 2 * REPLAY_WINDOW + 60.0,
        max_entries: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._seen = _SeenKeys(ttl=ttl, max_entries=max_entries, clock=clock)

    def __len__(self) -> int:
        return len(self._seen)

    async def first_use(self, timestamp: str, signature: str) -> bool:
        return self._seen.claim(f"{timestamp}:{signature}")
