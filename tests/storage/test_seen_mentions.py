"""Mentions answered once per message (channel, ts) across replicas: the ``mention`` kind of seen keys.

Two store objects on one database stand for two replicas, as in test_seen.py.
"""

from __future__ import annotations

from datetime import timedelta

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
