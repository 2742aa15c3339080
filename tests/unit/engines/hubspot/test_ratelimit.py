"""The sliding-window pacer: never more than ``limit`` starts in any window, and 429 pauses."""

from __future__ import annotations

import asyncio
import time

from engines.hubspot._ratelimit import SlidingWindowLimiter


async def _starts(limiter: SlidingWindowLimiter, count: int) -> list[float]:
    starts: list[float] = []

    async def one() -> None:
        await limiter.acquire()
        starts.append(time.monotonic())

    await asyncio.gather(*(one() for _ in range(count)))
    return sorted(starts)


async def test_no_window_ever_holds_more_than_the_limit() -> None:
    limiter = SlidingWindowLimiter(3, 0.1)
    starts = await _starts(limiter, 10)
    for i in range(len(starts) - 3):
        assert starts[i + 3] - starts[i] >= 0.1 - 1e-3  # the 4th start after any start is a window later
    assert starts[2] - starts[0] < 0.05  # the first three go at once: no needless waiting


async def test_block_pauses_everyone_for_the_given_time() -> None:
    limiter = SlidingWindowLimiter(100, 1.0)
    began = time.monotonic()
    limiter.block(0.15)
    starts = await _starts(limiter, 3)
    assert all(s - began >= 0.15 - 1e-3 for s in starts)
