"""Proactive rate limiting: stay under HubSpot's limits instead of bouncing off them.

HubSpot counts requests in rolling windows (search: 5 a second per account; everything else: 100 or
190 per 10 seconds per app). A sliding window of request start times is the exact shape of that rule,
so a caller that waits for a free slot here never sees a 429 from its own traffic. A token bucket
would allow a burst after an idle spell that a rolling window rejects, which is why it is not used.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable

__all__ = ["SlidingWindowLimiter"]


class SlidingWindowLimiter:
    """At most ``limit`` request starts in any ``window`` seconds, granted first come first served.

    ``block(seconds)`` pauses every caller (used when HubSpot answers 429 anyway, for instance because
    another process shares the token). Instances bind to the event loop of their first use.
    """

    def __init__(self, limit: int, window: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("a rate limit needs limit >= 1 and window > 0")
        self.limit = limit
        self.window = window
        self._clock = clock
        self._starts: deque[float] = deque()
        self._blocked_until = 0.0
        self._lock = asyncio.Lock()

    def block(self, seconds: float) -> None:
        """Let no request start for ``seconds`` from now (extends, never shortens, a running pause)."""
        self._blocked_until = max(self._blocked_until, self._clock() + max(0.0, seconds))

    async def acquire(self) -> float:
        """Wait for a free slot and take it. Returns the seconds spent waiting (queue included)."""
        entered = self._clock()
        async with self._lock:  # one waiter at a time keeps the order fair and the count exact
            while True:
                now = self._clock()
                delay = self._blocked_until - now
                if delay <= 0:
                    horizon = now - self.window
                    while self._starts and self._starts[0] <= horizon:
                        self._starts.popleft()
                    if len(self._starts) < self.limit:
                        self._starts.append(now)
                        return now - entered
                    delay = self._starts[0] - horizon
                await asyncio.sleep(delay)

    def moved(self) -> SlidingWindowLimiter:
        """This limiter for another event loop (its lock is bound to this one's): the same starts and
        pause, since the window is the portal's, not the loop's. A process that runs one loop after
        another (``asyncio.run`` per command) would otherwise start each with a blank window and
        meet HubSpot's 429 for the searches the previous loop sent a moment ago."""
        other = SlidingWindowLimiter(self.limit, self.window, clock=self._clock)
        other._starts = deque(self._starts)
        other._blocked_until = self._blocked_until
        return other
