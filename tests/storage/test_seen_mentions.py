"""Mentions answered once per message (channel, ts) across replicas: the ``mention`` kind of seen keys.

Two store objects on one database stand for two replicas, as in test_seen.py.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.storage import Database, DatabaseEventDeduper, DatabaseMentionDeduper
from bot.storage.seen import SeenKeys
from tests.storage.helpers import FakeClock


async def test_a_message_is_claimed_once_across_replicas_for_a_day(db: Database, clock: FakeClock) -> None:
    replica_a = DatabaseMentionDeduper(db, clock=clock, prune_every=1000)
    replica_b = DatabaseMentionDeduper(db, clock=clock, prune_every=1000)
    assert await replica_a.first_delivery("C0SALES:1764000000.000100")
    assert not await replica_b.first_delivery("C0SALES:1764000000.000100")  # the edit, on B
    assert await replica_b.first_delivery("C0SALES:1764000000.000200")  # another message
    assert await replica_b.first_delivery("C0OTHER:1764000000.000100")  # same ts, other channel
    clock.advance(timedelta(hours=23, minutes=59))
    assert not await replica_b.first_delivery("C0SALES:1764000000.000100")
    clock.advance(timedelta(minutes=2))
    assert await replica_b.first_delivery("C0SALES:1764000000.000100")


async def test_mention_keys_do_not_collide_with_event_ids(db: Database, clock: FakeClock) -> None:
    mentions = DatabaseMentionDeduper(db, clock=clock)
    events = DatabaseEventDeduper(db, clock=clock)
    assert await events.first_delivery("C0SALES:1764000000.000100")
    assert await mentions.first_delivery("C0SALES:1764000000.000100")
    table = SeenKeys(db, clock=clock)
    assert (table.count("event"), table.count("mention")) == (1, 1)


@pytest.mark.postgres
async def test_concurrent_claims_of_one_message_on_postgresql_have_one_winner(pg_url: str) -> None:
    """The mention and its edit racing to replicas on two connection pools: one claim wins."""
    replica_a, replica_b = Database(pg_url), Database(pg_url)
    clock = FakeClock(datetime(2026, 11, 16, 8, 0, tzinfo=UTC))
    try:
        await asyncio.to_thread(replica_a.migrate)
        stores = [DatabaseMentionDeduper(db, clock=clock) for db in (replica_a, replica_b) for _ in range(4)]
        claims = await asyncio.gather(*(s.first_delivery("C0SALES:1764000000.000100") for s in stores))
        assert claims.count(True) == 1
        assert SeenKeys(replica_a, clock=clock).count("mention") == 1
    finally:
        replica_a.dispose()
        replica_b.dispose()
