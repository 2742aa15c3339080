"""The weekly summary a scheduled post appends: score changes over the week, in the schedule's zone."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.schedules import summary_blocks, weekly_summary_blocks
from bot.schedules.summary import change_text
from bot.storage import Database, ReportStore, ScheduleStore, ScoreChange
from engines import EngineName
from tests.support.clock import FakeClock
from tests.unit.bot.storage.helpers import make_report


def text_of(blocks: list) -> str:  # type: ignore[type-arg]
    return json.dumps([block.to_dict() for block in blocks], ensure_ascii=False)


async def test_week_in_review_since_last_monday(db: Database, clock: FakeClock) -> None:
    reports = ReportStore(db, clock=clock)
    schedules = ScheduleStore(db, clock=clock)
    clock.set(datetime(2026, 11, 16, 8, 0, tzinfo=UTC))  # Mon 16 Nov 09:00 Berlin
    schedule = await schedules.add(
        channel_id="C1", cron="0 9 * * mon", spec="weekly mon 09:00", timezone="Europe/Berlin"
    )
    for engine, score in ((EngineName.GROWTH, 64), (EngineName.FULFILLMENT, 58), (EngineName.INNOVATION, 40)):
        await reports.record(make_report(engine, score))
    clock.advance(timedelta(days=7))  # Mon 23 Nov, the next scheduled post records its reports first
    for engine, score in ((EngineName.GROWTH, 72), (EngineName.FULFILLMENT, 55), (EngineName.INNOVATION, 40)):
        await reports.record(make_report(engine, score))

    blocks = await weekly_summary_blocks(reports, schedule, clock())

    body = text_of(blocks)
    assert "since Mon 16 Nov: growth ▲ 8 (72), fulfillment ▼ 3 (55), innovation ＝ (40)" in body
    assert blocks[0].to_dict()["type"] == "section"


async def test_a_pipeline_is_matched_by_the_id_the_reports_carry(db: Database, clock: FakeClock) -> None:
    reports = ReportStore(db, clock=clock)
    store = ScheduleStore(db, clock=clock)
    schedule = await store.add(
        channel_id="C1",
        cron="0 9 * * 1",
        spec="x",
        timezone="UTC",
        engines=[EngineName.GROWTH],
        pipeline="Enterprise",
    )
    await reports.record(make_report(EngineName.GROWTH, 50, pipeline="pipe-17"))
    await reports.record(make_report(EngineName.GROWTH, 40))  # all pipelines: not this schedule's history
    clock.advance(timedelta(days=7))
    await reports.record(make_report(EngineName.GROWTH, 56, pipeline="pipe-17"))

    blocks = await weekly_summary_blocks(reports, schedule, clock(), pipeline_id="pipe-17")
    assert "growth ▲ 6 (56)" in text_of(blocks)


async def test_no_history_no_summary(db: Database, clock: FakeClock) -> None:
    schedule = await ScheduleStore(db, clock=clock).add(
        channel_id="C1", cron="0 9 * * 1", spec="x", timezone="UTC"
    )
    assert await weekly_summary_blocks(ReportStore(db, clock=clock), schedule, clock()) == []


def test_change_texts_and_mixed_baseline_days() -> None:
    now = datetime(2026, 11, 23, 8, tzinfo=UTC)
    first = ScoreChange(EngineName.GROWTH, None, latest_score=70, latest_at=now)
    unscored = ScoreChange(
        EngineName.INNOVATION, None, latest_score=None, latest_at=now, baseline_score=20, baseline_at=now
    )
    assert change_text(first) == "growth 70 (first report)"
    assert change_text(unscored) == "innovation n/a (no comparable score)"
    growth = ScoreChange(
        EngineName.GROWTH,
        None,
        70,
        now,
        baseline_score=60,
        baseline_at=datetime(2026, 11, 16, 23, 30, tzinfo=UTC),
    )
    fulfillment = ScoreChange(
        EngineName.FULFILLMENT,
        None,
        50,
        now,
        baseline_score=52,
        baseline_at=datetime(2026, 11, 17, 9, tzinfo=UTC),
    )
    # 23:30 UTC on the 16th is already the 17th in Berlin, so both baselines are the same local day.
    berlin = text_of(summary_blocks([growth, fulfillment], zone=ZoneInfo("Europe/Berlin")))
    assert "since Tue 17 Nov: growth ▲ 10 (70), fulfillment ▼ 2 (50)" in berlin
    utc = text_of(summary_blocks([growth, fulfillment], zone=ZoneInfo("UTC")))
    assert "growth ▲ 10 (70) since Mon 16 Nov, fulfillment ▼ 2 (50) since Tue 17 Nov" in utc
