"""Two runners on one PostgreSQL database: every firing posted exactly once.

Runs against the real server on 127.0.0.1:5432 (database ``test``), in a schema of its own that is
dropped afterwards, so repeated runs and the rest of the suite never collide. Skipped, with the
reason shown, when that server is not reachable.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bot.runtime import running_bot
from bot.schedules import ScheduleRunner
from bot.storage import Database, FiringStatus, Schedule, ScheduleStore
from bot.storage.tables import Base
from tests.bot.harness import BOT_TOKEN, make_settings
from tests.fakes.slack import FakeSlack
from tests.storage.helpers import FakeClock

pytestmark = pytest.mark.postgres

POLL = timedelta(milliseconds=50)
START = datetime(2026, 3, 28, 23, 0, tzinfo=UTC)  # the firings below cross Berlin's spring-forward night


async def test_two_replicas_post_each_firing_exactly_once(pg_url: str) -> None:
    # Two replicas: separate engines, separate connection pools, one database.
    replica_a, replica_b = Database(pg_url), Database(pg_url)
    try:
        # Both migrate at once at start-up, as two pods would: one here, one in another process (the
        # advisory lock in the migration environment serialises them).
        other_process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            "import os; from bot.storage import Database; Database(os.environ['VEB_TEST_URL']).migrate()",
            env={**os.environ, "VEB_TEST_URL": pg_url},
        )
        await asyncio.gather(asyncio.to_thread(replica_a.migrate), asyncio.to_thread(replica_b.migrate))
        assert await asyncio.wait_for(other_process.wait(), timeout=60) == 0
        clock = FakeClock(START)  # the schedules exist from START on: nothing to catch up
        store_a, store_b = ScheduleStore(replica_a, clock=clock), ScheduleStore(replica_b, clock=clock)
        berlin, utc, new_york = [
            (await store.add(channel_id=channel, cron=cron, spec=cron, timezone=zone)).id
            for store, channel, cron, zone in (
                (store_a, "C1", "*/10 * * * *", "Europe/Berlin"),
                (store_b, "C2", "5,35 * * * *", "UTC"),
                (store_a, "C3", "*/15 * * * *", "America/New_York"),
            )
        ]

        posted: list[tuple[str, datetime, str]] = []

        def poster(name: str):  # type: ignore[no-untyped-def]
            async def post(schedule: Schedule, fire_at: datetime) -> None:
                await asyncio.sleep(random.uniform(0, 0.003))
                posted.append((schedule.id, fire_at, name))

            return post

        runner_a = ScheduleRunner(store_a, poster("a"), clock=clock, replica_id="replica-a")
        runner_b = ScheduleRunner(store_b, poster("b"), clock=clock, replica_id="replica-b")

        # Six hours of five-minute polls, the two replicas polling at slightly different moments.
        tick = START
        while tick < START + timedelta(hours=6):
            offset = timedelta(seconds=random.uniform(0, 20))
            await asyncio.gather(runner_a.run_once(tick + offset), runner_b.run_once(tick + offset / 2))
            tick += timedelta(minutes=5)

        counts = Counter((schedule_id, fire_at) for schedule_id, fire_at, _ in posted)
        # Both replicas really raced for the claims (each won some), and no firing went out twice.
        assert set(Counter(name for _, _, name in posted)) == {"a", "b"}
        assert max(counts.values()) == 1, [key for key, n in counts.items() if n > 1]

        def fired(schedule_id: str) -> set[datetime]:
            return {fire_at for sid, fire_at in counts if sid == schedule_id}

        minute = timedelta(minutes=1)
        assert fired(utc) == {START + 5 * minute + 30 * minute * k for k in range(12)}
        assert fired(new_york) == {START + 15 * minute * k for k in range(1, 24)}
        # Berlin: 00:10..01:50 CET, then 02:00-02:50 do not exist (one firing at 03:00 CEST = 01:00 UTC),
        # then 03:10..06:50 CEST.
        jump = datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
        assert fired(berlin) == (
            {START + 10 * minute * k for k in range(1, 12)} | {jump + 10 * minute * k for k in range(24)}
        )
        firings = await store_b.firings(limit=1000)
        assert len(firings) == len(posted)
        assert {f.status for f in firings} == {FiringStatus.POSTED}
        assert {(f.schedule_id, f.fire_at) for f in firings} == set(counts)
    finally:
        replica_a.dispose()
        replica_b.dispose()


async def test_concurrent_claims_of_one_firing_have_one_winner(pg_url: str) -> None:
    """Many claims of the same firing, racing from two pools' worker threads: exactly one wins."""
    replica_a, replica_b = Database(pg_url), Database(pg_url)
    try:
        await asyncio.to_thread(replica_a.migrate)
        store_a, store_b = ScheduleStore(replica_a), ScheduleStore(replica_b)
        schedule = await store_a.add(channel_id="C1", cron="0 9 * * 1", spec="x", timezone="UTC")
        fire_at = datetime(2026, 11, 23, 9, tzinfo=UTC)
        claims = [
            (store_a if i % 2 else store_b).claim(schedule.id, fire_at, claimed_by=f"r{i}") for i in range(16)
        ]
        results = await asyncio.gather(*claims)
        assert results.count(True) == 1
    finally:
        replica_a.dispose()
        replica_b.dispose()


async def test_postgres_schema_matches_the_models(pg_url: str) -> None:
    db = Database(pg_url)
    try:
        await asyncio.to_thread(db.migrate)
        with db.engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    finally:
        db.dispose()
    assert differences == []


async def test_serving_replicas_start_together_and_post_each_firing_once(pg_url: str, tmp_path: Path) -> None:
    """Three ``engine-bot serve`` wirings on one database, started at once as pods are: they migrate
    once, all upsert the environment's schedule without tripping over each other, and the firing is
    posted to Slack by exactly one of them."""
    monday_9_berlin = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    clock = FakeClock(monday_9_berlin - timedelta(minutes=2))
    async with FakeSlack(bot_token=BOT_TOKEN) as slack:
        settings = make_settings(
            slack,
            database_url=pg_url,
            data_dir=tmp_path / "unused",
            report_channel="C0REVOPS",
            report_schedule="weekly mon 09:00",
            report_timezone="Europe/Berlin",
            report_engines="growth",
        )

        def cards(s: FakeSlack) -> list[str]:
            return [c.payload["channel"] for c in s.messages_sent() if c.method == "chat.postMessage"]

        async with contextlib.AsyncExitStack() as stack:
            replicas = await asyncio.gather(
                *(
                    stack.enter_async_context(running_bot(settings, clock=clock, poll_interval=POLL))
                    for _ in range(3)
                )
            )
            clock.set(monday_9_berlin + timedelta(seconds=1))
            await slack.wait_for(lambda s: len(cards(s)) >= 1)
            await asyncio.sleep(20 * POLL.total_seconds())  # every replica polls again: nothing more
            schedules = await replicas[0].storage.schedules.schedules()
            [firing] = await replicas[1].storage.schedules.firings()

    assert cards(slack) == ["C0REVOPS"]
    assert [s.id for s in schedules] == ["env-default"]
    assert (firing.fire_at, firing.status) == (monday_9_berlin, FiringStatus.POSTED)


async def test_concurrent_upserts_of_the_environment_schedule_all_succeed(pg_url: str) -> None:
    """Pods starting together all upsert ``env-default``; the losers of the insert race update."""
    replicas = [Database(pg_url) for _ in range(4)]
    try:
        await asyncio.to_thread(replicas[0].migrate)
        stores = [ScheduleStore(db) for db in replicas]
        upserts = [
            stores[i % 4].upsert("env-default", channel_id="C1", cron="0 9 * * 1", spec="x", timezone="UTC")
            for i in range(16)
        ]
        results = await asyncio.gather(*upserts)
        assert {r.id for r in results} == {"env-default"}
        assert len(await stores[0].schedules()) == 1
    finally:
        for db in replicas:
            db.dispose()
