"""The default schedule from the environment: upserted at start, idempotent, removable by unsetting."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.schedules import ENV_SCHEDULE_ID, ScheduleError, ensure_default_schedule
from bot.storage import Database, ScheduleOrigin, ScheduleStore
from engines import EngineName
from tests.support.clock import FakeClock


async def test_environment_schedule_is_created_once_across_restarts(data_dir: Path, clock: FakeClock) -> None:
    env = {
        "channel": "#C0REVOPS",
        "schedule": "weekly mon 09:00",
        "timezone": "Europe/Berlin",
        "engines": "growth",
    }
    for _start in range(3):
        db = Database(data_dir=data_dir)
        db.migrate()
        store = ScheduleStore(db, clock=clock)
        made = await ensure_default_schedule(store, **env)
        schedules = await store.schedules()
        db.dispose()
        clock.advance(timedelta(hours=1))
        assert made is not None
        assert [s.id for s in schedules] == [ENV_SCHEDULE_ID]
    assert made.channel_id == "C0REVOPS"
    assert (made.cron, made.timezone, made.engines) == ("0 9 * * mon", "Europe/Berlin", (EngineName.GROWTH,))
    assert made.origin is ScheduleOrigin.ENVIRONMENT
    assert made.created_by is None
    assert made.updated_at == made.created_at  # nothing changed, nothing rewritten


async def test_changing_the_environment_updates_the_schedule(db: Database, clock: FakeClock) -> None:
    store = ScheduleStore(db, clock=clock)
    first = await ensure_default_schedule(
        store, channel="C1", schedule="0 9 * * 1", timezone=None, engines=None
    )
    clock.advance(timedelta(days=1))
    second = await ensure_default_schedule(
        store, channel="C2", schedule="daily 07:00", timezone="America/New_York", engines="all"
    )
    assert first is not None
    assert second is not None
    assert first.timezone == "UTC"
    assert first.engines == tuple(EngineName)
    assert (second.channel_id, second.cron, second.timezone) == ("C2", "0 7 * * *", "America/New_York")
    assert second.created_at == first.created_at
    assert len(await store.schedules()) == 1


async def test_unsetting_the_schedule_removes_it_but_not_slack_schedules(db: Database) -> None:
    store = ScheduleStore(db)
    await ensure_default_schedule(store, channel="C1", schedule="0 9 * * 1")
    slack = await store.add(channel_id="C1", cron="0 9 * * 2", spec="0 9 * * 2", timezone="UTC")
    assert await ensure_default_schedule(store, channel="C1", schedule="") is None
    assert [s.id for s in await store.schedules()] == [slack.id]
    assert await ensure_default_schedule(store, channel=None, schedule=None) is None


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"channel": None, "schedule": "0 9 * * 1"}, "REPORT_CHANNEL"),
        ({"channel": "C1", "schedule": "every monday"}, "REPORT_SCHEDULE"),
        ({"channel": "C1", "schedule": "0 9 * * 1", "timezone": "Berlin"}, "REPORT_TIMEZONE"),
        ({"channel": "C1", "schedule": "0 9 * * 1", "engines": "growth,sales"}, "REPORT_ENGINES"),
    ],
)
async def test_bad_environment_fails_at_start_naming_the_variable(
    db: Database, env: dict[str, str | None], variable: str
) -> None:
    store = ScheduleStore(db)
    with pytest.raises(ScheduleError, match=variable):
        await ensure_default_schedule(store, **env)  # type: ignore[arg-type]
    assert await store.schedules() == []
