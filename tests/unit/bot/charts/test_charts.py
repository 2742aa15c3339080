"""Each chart type rendered from a fixed report: a real PNG of the expected size, not blank, opaque
(readable on Slack's dark theme), and alt text that states the numbers the picture shows."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from matplotlib.image import imread

from bot.charts.cards import engine_charts
from bot.charts.chart import ALT_TEXT_MAX, Chart, ScorePoint, stage_labels
from bot.charts.history import score_chart
from bot.charts.stages import conversion_chart, stage_time_chart
from bot.charts.waterfall import waterfall_chart
from engines import EngineName, EngineReport, Metric, analyze
from engines.changes import DealState, DealTimeline, cents, compute_changes
from engines.sample import generate_portal

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def pixels(chart: Chart) -> np.ndarray:
    assert chart.png.startswith(PNG_SIGNATURE)
    image = imread(io.BytesIO(chart.png), format="png")
    assert image.dtype == np.float32
    return image


def check_picture(chart: Chart, *, min_height: int = 300) -> None:
    image = pixels(chart)
    height, width, channels = image.shape
    assert width == 800  # phone-width friendly: Slack scales it down, text stays >= 15 px at full size
    assert min_height <= height <= 900
    assert channels in (3, 4)
    if channels == 4:
        assert image[..., 3].min() == 1.0, "transparent pixels would vanish on Slack's dark theme"
    rgb = image[..., :3]
    assert rgb[0, 0].tolist() == [1.0, 1.0, 1.0]  # the opaque white card
    assert rgb.std() > 0.05, "blank picture"
    ink = (rgb.sum(axis=2) < 0.5).mean()  # dark text and lines
    assert 0.002 < ink < 0.3
    packed = (rgb * 255).astype(np.uint32) @ np.array([65536, 256, 1], dtype=np.uint32)
    assert len(np.unique(packed)) > 50  # text, bars, grid: not a flat fill
    assert 0 < len(chart.alt_text) <= ALT_TEXT_MAX
    assert chart.filename == f"{chart.kind}.png"


@pytest.fixture(scope="module")
def growth() -> tuple[EngineReport, dict[str, str]]:
    snapshot = generate_portal(now=NOW)
    return analyze(snapshot, "growth"), stage_labels(snapshot.pipelines)


def test_score_over_the_last_twelve_reports() -> None:
    scores = [55, 58, None, 61, 64, 52, 60, 67, 71, 74, 73, 76, 78]  # 13: the oldest is left out
    points = [ScorePoint(NOW - timedelta(weeks=12 - i), s) for i, s in enumerate(scores)]
    chart = score_chart(points, EngineName.GROWTH, pipeline_label="Sales Pipeline")
    assert chart is not None
    check_picture(chart)
    assert chart.kind == "score"
    assert chart.alt_text == (
        "Line chart of the Growth score over the last 12 reports (Sales Pipeline), 15 Sep to 1 Dec: "
        "from 58 on 15 Sep to 78 on 1 Dec, up 20. Lowest 52 (13 Oct), highest 78 (1 Dec). The latest "
        "score is in the Healthy band (70 and above). 1 report without a score (too little data) left out."
    )


def test_score_chart_needs_two_scores() -> None:
    one = [ScorePoint(NOW, 70), ScorePoint(NOW, None)]
    assert score_chart(one, EngineName.GROWTH) is None


def test_waterfall_from_a_change_report() -> None:
    def open_deal(amount: str, stage: str = "lead") -> DealState:
        return DealState(
            name="Deal", amount=cents(amount), pipeline_id="sales", stage_id=stage, owner_id="o1"
        )

    won = DealState(
        name="Big", amount=cents("40000"), pipeline_id="sales", stage_id="won", closed=True, won=True
    )
    report = compute_changes(
        [
            DealTimeline("1", None, open_deal("25000")),
            DealTimeline("2", None, open_deal("5000")),
            DealTimeline("3", open_deal("40000"), won),
            DealTimeline("4", open_deal("10000"), open_deal("12500")),
            DealTimeline("5", open_deal("100000"), open_deal("100000")),
        ],
        since=NOW - timedelta(days=7),
        until=NOW,
        pipeline="sales",
        stages={"sales": ("lead", "won")},
    )
    chart = waterfall_chart(report, currency="USD", pipeline_label="Sales")
    check_picture(chart, min_height=250)
    assert chart.alt_text == (
        "Waterfall of open pipeline value (Sales) from 24 Nov to 1 Dec: $150k at the start; "
        "created +$30k (2 deals); won −$40k (1 deal); amount up +$2.5k (1 deal); $142.5k at the end."
    )


def test_waterfall_with_nothing_changed_still_draws_both_totals() -> None:
    report = compute_changes(
        [DealTimeline("1", DealState(amount=cents("10")), DealState(amount=cents("10")))],
        since=NOW - timedelta(days=1),
        until=NOW,
        stages={},
        covered_from=NOW - timedelta(hours=3),
    )
    chart = waterfall_chart(report)
    check_picture(chart, min_height=200)
    assert "no deal changed its open value" in chart.alt_text
    assert "The change log starts on 1 Dec, after the start asked for." in chart.alt_text


def test_time_in_stage_against_the_benchmark(growth: tuple[EngineReport, dict[str, str]]) -> None:
    report, labels = growth
    chart = stage_time_chart(report, labels)
    assert chart is not None
    check_picture(chart)
    days = report.metrics["avg_days_in_stage"].value
    assert isinstance(days, dict)
    benchmark = report.metrics["avg_days_in_stage"].benchmark
    assert benchmark is not None
    over = sum(1 for d in days.values() if d > benchmark)
    assert f"against a benchmark of {benchmark:g} days" in chart.alt_text
    assert f"{over} of {len(days)} stages are over the benchmark." in chart.alt_text
    for stage, value in days.items():
        assert f"{labels.get(stage, stage)} {value:g} days" in chart.alt_text


def test_conversion_against_the_benchmark(growth: tuple[EngineReport, dict[str, str]]) -> None:
    report, labels = growth
    chart = conversion_chart(report, labels)
    assert chart is not None
    check_picture(chart)
    rates = report.metrics["conversion_rates"].value
    assert isinstance(rates, dict)
    assert "Appointment Scheduled → Qualified To Buy" in chart.alt_text
    assert f"of {len(rates)} stage pairs convert below the benchmark" in chart.alt_text


def test_stage_charts_say_below_and_over_in_words() -> None:
    report = EngineReport(
        engine=EngineName.GROWTH,
        as_of=NOW,
        metrics={
            "avg_days_in_stage": Metric(label="d", value={"a": 10.0, "b": 45.0, "c": 90.0}, benchmark=30.0),
            "conversion_rates": Metric(label="c", value={"a→b": 20.0, "b→c": 75.5}, benchmark=50.0),
        },
    )
    labels = {"a": "Lead", "b": "Demo", "c": "Proposal"}
    time_chart = stage_time_chart(report, labels)
    conversion = conversion_chart(report, labels)
    assert time_chart is not None
    assert conversion is not None
    check_picture(time_chart, min_height=250)
    check_picture(conversion, min_height=250)
    assert "Lead 10 days (within); Demo 45 days (over); Proposal 90 days (over 2×)." in time_chart.alt_text
    assert "Lead → Demo 20 % (below); Demo → Proposal 75.5 % (at or above)." in conversion.alt_text


def test_stage_charts_need_their_metric() -> None:
    bare = EngineReport(engine=EngineName.FULFILLMENT, as_of=NOW)
    assert stage_time_chart(bare) is None
    assert conversion_chart(bare) is None


def test_a_chart_is_the_same_bytes_each_time(growth: tuple[EngineReport, dict[str, str]]) -> None:
    report, labels = growth
    first, second = conversion_chart(report, labels), conversion_chart(report, labels)
    assert first is not None
    assert second is not None
    assert first.png == second.png


def test_engine_card_charts(growth: tuple[EngineReport, dict[str, str]]) -> None:
    report, labels = growth
    history = [ScorePoint(NOW - timedelta(weeks=1), 64), ScorePoint(NOW, report.score)]
    kinds = [c.kind for c in engine_charts(report, labels=labels, history=history)]
    assert kinds == ["growth-score", "growth-time_in_stage", "growth-conversion"]
    assert [c.kind for c in engine_charts(report, labels=labels)] == [
        "growth-time_in_stage",
        "growth-conversion",
    ]
    fulfillment = EngineReport(engine=EngineName.FULFILLMENT, as_of=NOW, score=50)
    assert [c.filename for c in engine_charts(fulfillment, labels={}, history=history)] == [
        "fulfillment-score.png"
    ]
