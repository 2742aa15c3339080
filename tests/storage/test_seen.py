"""Event dedupe and replay guard in the database (SQLite here; PostgreSQL in test_seen_postgres.py).

Two store objects on one database stand for two replicas: each has its own process memory, so a
repeat one of them refuses was refused by the database.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.runtime import running_bot
from bot.slack.dedupe import MemoryEventDeduper
from bot.storage import DEFAULT_DB_FILENAME, Database, DatabaseEventDeduper, DatabaseReplayStore
from bot.storage.seen import SeenKeys
from bot.storage.tables import SeenKeyRow
from tests.bot.harness import make_settings
from tests.fakes.slack import FakeSlack
from tests.storage.helpers import FakeClock

SIGNATURE = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"


def _keys(db: Database) -> list[tuple[str, str]]:
    with db.sessions() as session:
        return [(row.kind, row.key) for row in session.scalars(select(SeenKeyRow))]


async def test_an_event_is_first_delivered_once_across_replicas_until_it_expires(
    db: Database, clock: FakeClock
) -> None:
    replica_a = DatabaseEventDeduper(db, ttl=60.0, clock=clock, prune_every=1000)
    replica_b = DatabaseEventDeduper(db, ttl=60.0, clock=clock, prune_every=1000)
    assert await replica_a.first_delivery("Ev1")
    assert not await replica_b.first_delivery("Ev1")  # the retry reached the other replica
    assert not await replica_a.first_delivery("Ev1")
    assert await replica_b.first_delivery("Ev2")
    clock.advance(timedelta(seconds=59))
    assert not await replica_b.first_delivery("Ev1")
    clock.advance(timedelta(seconds=2))
    # Expired: the row is still there (not pruned yet) but no longer counts, and is taken over.
    assert await replica_b.first_delivery("Ev1")
    assert not await replica_a.first_delivery("Ev1")
    assert sorted(_keys(db)) == [("event", "Ev1"), ("event", "Ev2")]


async def test_a_signed_request_is_used_once_and_its_signature_is_never_stored(
    db: Database, clock: FakeClock
) -> None:
    replica_a = DatabaseReplayStore(db, clock=clock)
    replica_b = DatabaseReplayStore(db, clock=clock)
    assert await replica_a.first_use("1764061200", SIGNATURE)
    assert not await replica_b.first_use("1764061200", SIGNATURE)
    assert await replica_b.first_use("1764061201", SIGNATURE)  # another request
    assert await replica_b.first_use("1764061200", SIGNATURE[:-1] + "0")
    clock.advance(timedelta(seconds=2 * 300 + 59))  # kept past Bolt's window on both sides of now
    assert not await replica_a.first_use("1764061200", SIGNATURE)
    keys = _keys(db)
    assert len(keys) == 3
    for kind, key in keys:
        assert kind == "replay"
        assert len(key) == 64
        assert SIGNATURE[3:20] not in key
        assert "1764061200" not in key


async def test_long_event_ids_are_hashed_to_fit(db: Database, clock: FakeClock) -> None:
    long_id = "Ev" + "x" * 300
    replica_a = DatabaseEventDeduper(db, clock=clock)
    assert await replica_a.first_delivery(long_id)
    assert not await DatabaseEventDeduper(db, clock=clock).first_delivery(long_id)
    assert await replica_a.first_delivery(long_id[:-1])
    assert {len(key) for _, key in _keys(db)} == {64}


async def test_expired_rows_are_pruned_in_bounded_batches(db: Database, clock: FakeClock) -> None:
    table = SeenKeys(db, clock=clock)
    filler = DatabaseEventDeduper(db, ttl=60.0, clock=clock, prune_every=1000)
    for i in range(50):
        assert await filler.first_delivery(f"old{i}")
    clock.advance(timedelta(minutes=2))
    # One prune removes at most prune_limit rows: one short transaction whatever piled up.
    pruner = DatabaseEventDeduper(db, ttl=60.0, clock=clock, prune_every=10, prune_limit=20)
    assert await pruner.first_delivery("new0")
    assert table.count() == 50 - 20 + 1
    # Steady state: every tenth claim prunes, so at most ten rows outlive their expiry.
    for i in range(1, 100):
        clock.advance(timedelta(seconds=61))
        assert await pruner.first_delivery(f"new{i}")
    assert table.count() <= 10
    assert table.count("replay") == 0


async def test_a_database_error_fails_open_to_this_process_memory(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    """No table (think: database gone): every event is still answered once per replica, the
    operator is warned once per outage, and the claims go back to the database when it is back."""
    db = Database(f"sqlite:///{tmp_path / 'broken.db'}")
    try:
        replica_a = DatabaseEventDeduper(db, clock=clock)
        replica_b = DatabaseReplayStore(db, clock=clock)
        with caplog.at_level(logging.INFO, logger="bot.storage.seen"):
            assert await replica_a.first_delivery("Ev1")
            assert not await replica_a.first_delivery("Ev1")  # this replica still remembers it
            assert await replica_a.first_delivery("Ev2")
            assert await replica_b.first_use("1764061200", SIGNATURE)
            assert not await replica_b.first_use("1764061200", SIGNATURE)
            warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
            assert len(warnings) == 2  # one per store and outage, not one per request
            assert all("OperationalError" in w for w in warnings)
            db.migrate()  # the database is back
            assert await replica_a.first_delivery("Ev3")
            assert not await DatabaseEventDeduper(db, clock=clock).first_delivery("Ev3")
            assert "answers again" in caplog.records[-1].getMessage()
    finally:
        db.dispose()


async def test_a_database_that_does_not_answer_fails_open_within_the_timeout(
    db: Database, data_dir: Path, clock: FakeClock
) -> None:
    """A locked database (the driver waits up to 10 s for it) costs a request ``timeout``, not 10 s."""
    dedupe = DatabaseEventDeduper(db, clock=clock, timeout=0.3)
    blocker = sqlite3.connect(data_dir / DEFAULT_DB_FILENAME, isolation_level=None)
    try:
        blocker.execute("BEGIN EXCLUSIVE")
        started = time.monotonic()
        assert await dedupe.first_delivery("Ev1")
        assert time.monotonic() - started < 2.0
        assert not await dedupe.first_delivery("Ev1")
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()


async def test_serve_shares_the_stores_only_with_database_url(tmp_path: Path) -> None:
    """SQLite in DATA_DIR is one process: memory. DATABASE_URL means replicas: the database."""
    async with FakeSlack() as slack:
        local = make_settings(slack, data_dir=tmp_path / "local")
        async with running_bot(local) as bot:
            assert isinstance(bot.deps.seen_events, MemoryEventDeduper)
        shared = make_settings(slack, database_url=f"sqlite:///{tmp_path / 'shared.db'}")
        async with running_bot(shared) as bot:
            assert isinstance(bot.deps.seen_events, DatabaseEventDeduper)
