"""Schedules and firing claims in the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.storage import Database, FiringStatus, ScheduleOrigin, ScheduleStore
from engines import EngineName
from tests.support.clock import FakeClock

MONDAY_9 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


async def _add(store: ScheduleStore, **overrides: object) -> str:
    fields: dict[str, object] = {
        "channel_id": "C0REVOPS",
        "cron": "0 9 * * mon",
        "spec": "weekly mon 09:00",
        "timezone": "Europe/Berlin",
        "engines": [EngineName.GROWTH, EngineName.FULFILLMENT],
        "pipeline": None,
        "created_by": "U0ALICE",
    }
    fields.update(overrides)
    schedule = await store.add(**fields)  # type: ignore[arg-type]
    return schedule.id


async def test_add_list_get_remove(db: Database, clock: FakeClock) -> None:
    store = ScheduleStore(db, clock=clock)
    first = await _add(store)
    clock.advance(timedelta(minutes=1))
    second = await _add(store, channel_id="C0OTHER", engines=[], pipeline="Enterprise")

    listed = await store.schedules()
    assert [s.id for s in listed] == [first, second]
    assert [s.id for s in await store.schedules("C0OTHER")] == [second]
    one = await store.get(first)
    assert one is not None
    assert one.engines == (EngineName.GROWTH, EngineName.FULFILLMENT)
    assert one.origin is ScheduleOrigin.SLACK
    assert one.zone.key == "Europe/Berlin"
    assert one.created_at == clock() - timedelta(minutes=1)
    other = await store.get(second)
    assert other is not None
    assert other.engines == tuple(EngineName)  # none given means all three
    assert other.pipeline == "Enterprise"

    assert await store.remove(first) is True
    assert await store.remove(first) is False
    assert await store.get(first) is None
    assert [s.id for s in await store.schedules()] == [second]


async def test_ids_are_short_and_distinct(db: Database) -> None:
    store = ScheduleStore(db)
    ids = {await _add(store) for _ in range(20)}
    assert len(ids) == 20
    assert all(len(i) == 6 and i.isalnum() for i in ids)


async def test_unknown_time_zone_is_refused(db: Database) -> None:
    store = ScheduleStore(db)
    with pytest.raises(Exception, match="Mars/Olympus"):
        await _add(store, timezone="Mars/Olympus")
    assert await store.schedules() == []


async def test_upsert_keeps_created_at_and_moves_updated_at(db: Database, clock: FakeClock) -> None:
    store = ScheduleStore(db, clock=clock)
    made = await store.upsert(
        "env-default", channel_id="C1", cron="0 9 * * 1", spec="0 9 * * 1", timezone="UTC"
    )
    clock.advance(timedelta(hours=1))
    same = await store.upsert(
        "env-default", channel_id="C1", cron="0 9 * * 1", spec="0 9 * * 1", timezone="UTC"
    )
    assert same.updated_at == made.updated_at
    clock.advance(timedelta(hours=1))
    changed = await store.upsert(
        "env-default", channel_id="C1", cron="30 8 * * *", spec="daily 08:30", timezone="UTC"
    )
    assert changed.created_at == made.created_at
    assert changed.updated_at == clock()
    assert changed.cron == "30 8 * * *"
    assert changed.origin is ScheduleOrigin.ENVIRONMENT
    assert len(await store.schedules()) == 1


async def test_a_firing_can_be_claimed_once(db: Database, clock: FakeClock) -> None:
    store = ScheduleStore(db, clock=clock)
    schedule_id = await _add(store)
    assert await store.claim(schedule_id, MONDAY_9, claimed_by="replica-a") is True
    assert await store.claim(schedule_id, MONDAY_9, claimed_by="replica-b") is False
    # The same instant written in another zone is the same firing.
    berlin = MONDAY_9.astimezone(datetime.now().astimezone().tzinfo)
    assert await store.claim(schedule_id, berlin, claimed_by="replica-b") is False
    assert await store.claim(schedule_id, MONDAY_9 + timedelta(days=7), claimed_by="replica-b") is True

    [later, first] = await store.firings(schedule_id)
    assert (first.claimed_by, first.status, first.fire_at) == ("replica-a", FiringStatus.CLAIMED, MONDAY_9)
    assert later.claimed_by == "replica-b"


async def test_outcome_is_recorded_on_the_claim(db: Database, clock: FakeClock) -> None:
    store = ScheduleStore(db, clock=clock)
    schedule_id = await _add(store)
    await store.claim(schedule_id, MONDAY_9, claimed_by="a")
    clock.advance(timedelta(seconds=5))
    await store.finish(schedule_id, MONDAY_9, status=FiringStatus.FAILED, detail="Slack error: is_archived")
    await store.claim(schedule_id, MONDAY_9 + timedelta(days=7), claimed_by="a")
    await store.finish(schedule_id, MONDAY_9 + timedelta(days=7), status=FiringStatus.POSTED)

    [newest, oldest] = await store.firings(schedule_id)
    assert (oldest.status, oldest.detail, oldest.finished_at) == (
        FiringStatus.FAILED,
        "Slack error: is_archived",
        clock(),
    )
    last = await store.last_firings()
    assert last[schedule_id] == newest
    assert newest.status is FiringStatus.POSTED


async def test_naive_datetimes_are_refused(db: Database) -> None:
    store = ScheduleStore(db)
    schedule_id = await _add(store)
    with pytest.raises(Exception, match="naive datetime"):
        await store.claim(schedule_id, datetime(2026, 11, 23, 8, 0), claimed_by="a")


async def test_schedules_and_firings_survive_a_restart(data_dir: Path, clock: FakeClock) -> None:
    first = Database(data_dir=data_dir)
    first.migrate()
    store = ScheduleStore(first, clock=clock)
    schedule_id = await _add(store, pipeline="Enterprise")
    await store.claim(schedule_id, MONDAY_9, claimed_by="a")
    first.dispose()

    second = Database(data_dir=data_dir)
    try:
        second.migrate()
        again = ScheduleStore(second, clock=clock)
        restored = await again.get(schedule_id)
        assert restored is not None
        assert (restored.pipeline, restored.cron, restored.timezone) == (
            "Enterprise",
            "0 9 * * mon",
            "Europe/Berlin",
        )
        assert await again.claim(schedule_id, MONDAY_9, claimed_by="b") is False
    finally:
        second.dispose()
