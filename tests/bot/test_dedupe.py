"""The event-retry memory is bounded in size and in time."""

from __future__ import annotations

from bot.slack.dedupe import MemoryEventDeduper


async def test_first_delivery_wins_within_the_window() -> None:
    now = [0.0]
    seen = MemoryEventDeduper(ttl=60.0, max_entries=100, clock=lambda: now[0])
    assert await seen.first_delivery("Ev1")
    assert not await seen.first_delivery("Ev1")
    now[0] = 59.0
    assert not await seen.first_delivery("Ev1")
    now[0] = 61.0
    assert await seen.first_delivery("Ev1")  # long after Slack's last retry (~6 min in real life)


async def test_size_is_bounded_oldest_first() -> None:
    seen = MemoryEventDeduper(ttl=3600.0, max_entries=3, clock=lambda: 0.0)
    for event_id in ("a", "b", "c", "d", "e"):
        assert await seen.first_delivery(event_id)
    assert len(seen) == 3
    assert not await seen.first_delivery("e")
    assert await seen.first_delivery("a")  # evicted, so a very late duplicate is no longer known
