"""The runner with a hand-driven clock: on time, once, catch-up within grace, outcomes recorded."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from bot.schedules import ScheduleRunner
from bot.schedules.delivery import DeliveryError
from bot.storage import Database, FiringStatus, Schedule, ScheduleStore
from bot.storage.tables import Base
from tests.support.clock import FakeClock

MONDAY_9_BERLIN = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


class Poster:
    """Records what the runner asked to post; can be told to fail."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, datetime]] = []
        self.error: Exception | None = None

    async def __call__(self, schedule: Schedule, fire_at: datetime) -> None:
        if self.error is not None:
            raise self.error
        self.posts.append((schedule.id, fire_at))


@pytest.fixture
def store(db: Database, clock: FakeClock) -> ScheduleStore:
    clock.set(datetime(2026, 11, 16, 12, 0, tzinfo=UTC))
    return ScheduleStore(db, clock=clock)


async def add(store: ScheduleStore, cron: str, zone: str = "Europe/Berlin") -> Schedule:
    return await store.add(channel_id="C0REVOPS", cron=cron, spec=cron, timezone=zone, created_by="U0ALICE")


async def test_fires_on_time_and_only_once(store: ScheduleStore, clock: FakeClock) -> None:
    schedule = await add(store, "0 9 * * mon")
    poster = Poster()
    runner = ScheduleRunner(store, poster, clock=clock)

    assert await runner.run_once(MONDAY_9_BERLIN - timedelta(seconds=1)) == []
    results = await runner.run_once(MONDAY_9_BERLIN + timedelta(seconds=2))
    for later in (5, 30, 59 * 60):
        assert await runner.run_once(MONDAY_9_BERLIN + timedelta(seconds=later)) == []

    assert poster.posts == [(schedule.id, MONDAY_9_BERLIN)]
    assert [(r.schedule_id, r.status) for r in results] == [(schedule.id, FiringStatus.POSTED)]
    [firing] = await store.firings(schedule.id)
    assert (firing.status, firing.claimed_by, firing.detail) == (FiringStatus.POSTED, runner.replica_id, None)


async def test_a_restarted_runner_does_not_post_a_firing_again(
    store: ScheduleStore, clock: FakeClock
) -> None:
    await add(store, "0 9 * * mon")
    poster = Poster()
    await ScheduleRunner(store, poster, clock=clock).run_once(MONDAY_9_BERLIN + timedelta(seconds=1))
    # A new process (fresh in-memory state) during the grace period relies on the claim row.
    await ScheduleRunner(store, poster, clock=clock).run_once(MONDAY_9_BERLIN + timedelta(minutes=10))
    assert len(poster.posts) == 1


async def test_missed_firing_within_grace_posts_once_at_start_up(store: ScheduleStore) -> None:
    """Down from 03:30 to 08:20 with an hourly schedule: one post at start-up (08:00), not five."""
    schedule = await add(store, "0 * * * *", zone="UTC")
    poster = Poster()
    runner = ScheduleRunner(store, poster, grace=timedelta(hours=6))
    start_up = datetime(2026, 11, 17, 8, 20, tzinfo=UTC)

    await runner.run_once(start_up)
    await runner.run_once(start_up + timedelta(seconds=30))

    assert poster.posts == [(schedule.id, datetime(2026, 11, 17, 8, 0, tzinfo=UTC))]
    assert len(await store.firings()) == 1


async def test_missed_firing_older_than_grace_is_skipped(store: ScheduleStore) -> None:
    await add(store, "0 9 * * mon")
    poster = Poster()
    runner = ScheduleRunner(store, poster, grace=timedelta(hours=1))
    assert await runner.run_once(MONDAY_9_BERLIN + timedelta(hours=1, seconds=1)) == []
    assert poster.posts == []
    # ... and the next one is posted normally.
    await runner.run_once(MONDAY_9_BERLIN + timedelta(days=7, seconds=1))
    assert len(poster.posts) == 1


async def test_a_new_schedule_does_not_fire_for_times_before_it_existed(
    store: ScheduleStore, clock: FakeClock
) -> None:
    clock.set(MONDAY_9_BERLIN + timedelta(minutes=5))  # created five minutes after Monday 09:00
    await add(store, "0 9 * * mon")
    poster = Poster()
    await ScheduleRunner(store, poster).run_once(MONDAY_9_BERLIN + timedelta(minutes=6))
    assert poster.posts == []


async def test_failure_is_recorded_with_its_reason_and_other_schedules_still_post(
    store: ScheduleStore,
) -> None:
    ok = await add(store, "0 9 * * mon")
    failing = await add(store, "0 9 * * *")
    poster = Poster()

    async def post(schedule: Schedule, fire_at: datetime) -> None:
        if schedule.id == failing.id:
            raise DeliveryError("not in channel and could not join it: channel_not_found", notified="U0ALICE")
        await poster(schedule, fire_at)

    results = await ScheduleRunner(store, post).run_once(MONDAY_9_BERLIN + timedelta(seconds=1))

    assert poster.posts == [(ok.id, MONDAY_9_BERLIN)]
    assert {r.schedule_id: r.status for r in results} == {
        ok.id: FiringStatus.POSTED,
        failing.id: FiringStatus.FAILED,
    }
    [firing] = await store.firings(failing.id)
    assert firing.status is FiringStatus.FAILED
    assert (
        firing.detail
        == "not in channel and could not join it: channel_not_found (told <@U0ALICE> how to fix it)"
    )


async def test_unexpected_errors_are_recorded_without_stopping_the_runner(store: ScheduleStore) -> None:
    schedule = await add(store, "0 9 * * mon")
    poster = Poster()
    poster.error = RuntimeError("HubSpot went away\nTraceback noise")
    runner = ScheduleRunner(store, poster)
    [result] = await runner.run_once(MONDAY_9_BERLIN + timedelta(seconds=1))
    assert (result.status, result.detail) == (FiringStatus.FAILED, "RuntimeError: HubSpot went away")
    # A failed firing is not retried (it was claimed); the next one is posted.
    poster.error = None
    await runner.run_once(MONDAY_9_BERLIN + timedelta(minutes=1))
    await runner.run_once(MONDAY_9_BERLIN + timedelta(days=7, seconds=1))
    assert poster.posts == [(schedule.id, MONDAY_9_BERLIN + timedelta(days=7))]


async def test_daily_report_through_berlins_fall_back_night_posts_once(
    store: ScheduleStore, clock: FakeClock
) -> None:
    clock.set(datetime(2026, 10, 1, tzinfo=UTC))
    schedule = await add(store, "30 2 * * *")
    poster = Poster()
    runner = ScheduleRunner(store, poster)
    moment = datetime(2026, 10, 24, 22, 0, tzinfo=UTC)  # Sunday 00:00 CEST
    while moment < datetime(2026, 10, 25, 6, 0, tzinfo=UTC):
        await runner.run_once(moment)
        moment += timedelta(minutes=10)
    # 02:30 CEST (00:30 UTC) fires; the repeated 02:30 CET (01:30 UTC) does not.
    assert poster.posts == [(schedule.id, datetime(2026, 10, 25, 0, 30, tzinfo=UTC))]


async def test_removed_schedule_stops_firing(store: ScheduleStore) -> None:
    schedule = await add(store, "0 9 * * mon")
    poster = Poster()
    runner = ScheduleRunner(store, poster)
    await store.remove(schedule.id)
    assert await runner.run_once(MONDAY_9_BERLIN + timedelta(seconds=1)) == []


async def test_sleep_is_until_the_next_firing_but_at_most_the_poll_interval(store: ScheduleStore) -> None:
    await add(store, "0 9 * * mon")
    runner = ScheduleRunner(store, Poster(), poll_interval=timedelta(seconds=30))
    await runner.run_once(MONDAY_9_BERLIN - timedelta(seconds=10))
    assert runner.seconds_until_next(MONDAY_9_BERLIN - timedelta(seconds=10)) == pytest.approx(10.05)
    assert runner.seconds_until_next(MONDAY_9_BERLIN - timedelta(hours=2)) == 30


async def test_run_loop_posts_with_an_injected_clock_and_stops(
    store: ScheduleStore, clock: FakeClock
) -> None:
    schedule = await add(store, "0 9 * * mon")
    posted = asyncio.Event()
    fired: list[datetime] = []

    async def post(_schedule: Schedule, fire_at: datetime) -> None:
        fired.append(fire_at)
        posted.set()

    clock.set(MONDAY_9_BERLIN + timedelta(seconds=3))
    runner = ScheduleRunner(store, post, clock=clock, poll_interval=timedelta(milliseconds=20))
    task = asyncio.create_task(runner.run())
    await asyncio.wait_for(posted.wait(), timeout=10)
    await asyncio.sleep(0.1)  # several more polls at the same fake time: still one post
    runner.stop()
    await asyncio.wait_for(task, timeout=5)
    assert fired == [MONDAY_9_BERLIN]
    assert (await store.firings(schedule.id))[0].status is FiringStatus.POSTED


async def test_run_loop_survives_a_failing_poll(db: Database, store: ScheduleStore, clock: FakeClock) -> None:
    clock.set(MONDAY_9_BERLIN + timedelta(seconds=1))
    runner = ScheduleRunner(store, Poster(), clock=clock, poll_interval=timedelta(milliseconds=20))
    with db.engine.begin() as connection:
        connection.execute(text("DROP TABLE schedules"))  # every poll now fails
    task = asyncio.create_task(runner.run())
    await asyncio.sleep(0.15)
    assert not task.done()
    Base.metadata.create_all(db.engine)  # the database is back
    clock.set(MONDAY_9_BERLIN - timedelta(minutes=1))
    schedule = await add(store, "0 9 * * mon")
    clock.set(MONDAY_9_BERLIN + timedelta(seconds=2))
    for _ in range(200):
        if await store.firings():
            break
        await asyncio.sleep(0.02)
    runner.stop()
    await asyncio.wait_for(task, timeout=5)
    [firing] = await store.firings(schedule.id)
    assert firing.status is FiringStatus.POSTED
