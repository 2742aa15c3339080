"""Report history and trends: the change since the previous report, kept across restarts."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.storage import Database, ReportStore, scalar_metrics
from bot.storage.history import ReportHistory, Trend
from engines import EngineName, SignalType
from tests.storage.helpers import FakeClock, make_report


async def test_first_report_has_no_trend_and_the_second_has_one(db: Database, clock: FakeClock) -> None:
    store = ReportStore(db, clock=clock)
    first_at = clock()
    assert await store.record(make_report(score=64, metrics={"win_rate": 0.25, "cycle_days": 40})) is None

    clock.advance(timedelta(days=7))
    trend = await store.record(make_report(score=72, metrics={"win_rate": 0.3, "cycle_days": 35}))

    assert trend == Trend(
        previous_at=first_at,
        previous_score=64,
        score_delta=8,
        metric_deltas={"win_rate": 0.05, "cycle_days": -5.0},
    )


async def test_trend_compares_with_the_latest_previous_report_only(db: Database, clock: FakeClock) -> None:
    store = ReportStore(db, clock=clock)
    for score in (50, 60, 55):
        await store.record(make_report(score=score))
        clock.advance(timedelta(hours=1))
    trend = await store.record(make_report(score=58))
    assert trend is not None
    assert (trend.previous_score, trend.score_delta) == (55, 3)
    assert trend.previous_at == clock() - timedelta(hours=1)


async def test_engines_and_pipelines_have_separate_histories(db: Database, clock: FakeClock) -> None:
    store = ReportStore(db, clock=clock)
    await store.record(make_report(EngineName.GROWTH, 70))
    await store.record(make_report(EngineName.GROWTH, 40, pipeline="enterprise"))
    assert await store.record(make_report(EngineName.FULFILLMENT, 30)) is None

    all_pipelines = await store.record(make_report(EngineName.GROWTH, 75))
    enterprise = await store.record(make_report(EngineName.GROWTH, 38, pipeline="enterprise"))
    assert all_pipelines is not None
    assert enterprise is not None
    assert all_pipelines.score_delta == 5
    assert enterprise.score_delta == -2


async def test_only_comparable_scalar_metrics_get_deltas(db: Database, clock: FakeClock) -> None:
    store = ReportStore(db, clock=clock)
    await store.record(
        make_report(metrics={"win_rate": 0.2, "by_stage": {"a": 1.0}, "unknown": None, "old_only": 3})
    )
    trend = await store.record(
        make_report(metrics={"win_rate": 0.2, "by_stage": {"a": 2.0}, "unknown": 4, "new_only": 1})
    )
    assert trend is not None
    assert trend.metric_deltas == {"win_rate": 0.0}


async def test_unscored_report_gives_no_score_delta(db: Database, clock: FakeClock) -> None:
    store = ReportStore(db, clock=clock)
    await store.record(make_report(score=None))
    trend = await store.record(make_report(score=61))
    assert trend is not None
    assert (trend.previous_score, trend.score_delta) == (None, None)


async def test_snapshot_keeps_what_the_issue_lists(db: Database, clock: FakeClock) -> None:
    store = ReportStore(db, clock=clock)
    report = make_report(
        EngineName.GROWTH,
        66,
        pipeline="default",
        metrics={"win_rate": 0.31, "stage_mix": {"a": 0.5}},
        signals=(SignalType.VELOCITY_ANOMALY, SignalType.DATA_QUALITY, SignalType.VELOCITY_ANOMALY),
    )
    await store.record(report)
    [snapshot] = await store.history(EngineName.GROWTH, "default")
    assert snapshot.engine is EngineName.GROWTH
    assert snapshot.pipeline == "default"
    assert snapshot.score == 66
    assert snapshot.label == report.label.value
    assert snapshot.metrics == {"win_rate": 0.31} == scalar_metrics(report)
    assert snapshot.signal_types == ("data_quality", "velocity_anomaly")
    assert snapshot.as_of == report.as_of
    assert snapshot.recorded_at == clock()


async def test_history_survives_a_restart(data_dir: Path, clock: FakeClock) -> None:
    first = Database(data_dir=data_dir)
    first.migrate()
    await ReportStore(first, clock=clock).record(make_report(score=50))
    first.dispose()

    clock.advance(timedelta(days=7))
    second = Database(data_dir=data_dir)
    try:
        second.migrate()
        trend = await ReportStore(second, clock=clock).record(make_report(score=57))
    finally:
        second.dispose()
    assert trend is not None
    assert trend.score_delta == 7
    assert trend.previous_at == clock() - timedelta(days=7)


async def test_report_store_is_a_report_history(db: Database) -> None:
    history: ReportHistory = ReportStore(db)
    assert await history.record(make_report()) is None


async def test_changes_since_picks_the_baseline_at_or_before_the_window(
    db: Database, clock: FakeClock
) -> None:
    store = ReportStore(db, clock=clock)
    start = clock()
    await store.record(make_report(EngineName.GROWTH, 60))  # day 0
    clock.advance(timedelta(days=3))
    await store.record(make_report(EngineName.GROWTH, 64))  # day 3
    await store.record(make_report(EngineName.FULFILLMENT, 50))  # day 3, first ever
    clock.advance(timedelta(days=7))
    await store.record(make_report(EngineName.GROWTH, 72))  # day 10
    await store.record(make_report(EngineName.FULFILLMENT, 47))  # day 10

    changes = await store.changes_since(list(EngineName), None, clock() - timedelta(days=7))

    by_engine = {change.engine: change for change in changes}
    assert set(by_engine) == {EngineName.GROWTH, EngineName.FULFILLMENT}  # innovation has no reports
    growth = by_engine[EngineName.GROWTH]
    assert (growth.baseline_score, growth.latest_score, growth.delta) == (64, 72, 8)
    assert growth.baseline_at == start + timedelta(days=3)
    fulfillment = by_engine[EngineName.FULFILLMENT]
    assert (fulfillment.baseline_score, fulfillment.delta) == (50, -3)


async def test_changes_since_uses_the_oldest_report_in_the_window_when_nothing_is_older(
    db: Database, clock: FakeClock
) -> None:
    store = ReportStore(db, clock=clock)
    since = clock()
    clock.advance(timedelta(days=1))
    await store.record(make_report(EngineName.INNOVATION, 20))
    clock.advance(timedelta(days=1))
    await store.record(make_report(EngineName.INNOVATION, 26))
    await store.record(make_report(EngineName.GROWTH, 80))

    changes = {c.engine: c for c in await store.changes_since(list(EngineName), None, since)}
    assert changes[EngineName.INNOVATION].delta == 6
    only_one = changes[EngineName.GROWTH]
    assert (only_one.baseline_at, only_one.delta, only_one.latest_score) == (None, None, 80)
