"""The public API: engine and pipeline resolution, scope, windows, warnings and the JSON form."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from engines import (
    EngineName,
    UnknownEngineError,
    UnknownPipelineError,
    analyze,
    analyze_all,
)
from engines.models import Pipeline, PortalSnapshot, Stage
from engines.sample import generate_portal
from tests.engines.portals import NOW, ago, deal, hand_pipeline, hand_portal, portal, second_pipeline

JSON_KEYS = {
    "engine",
    "score",
    "label",
    "purpose",
    "pipeline",
    "pipeline_label",
    "as_of",
    "source",
    "time_zone",
    "currency",
    "deals_analyzed",
    "metrics",
    "signals",
    "data_gaps",
    "at_risk",
    "overdue_onboardings",
    "warnings",
}


def two_pipelines() -> PortalSnapshot:
    return portal(
        deal("s1", amount=100, stage_id="A", created_at=ago(5), stage_entered_at={"A": ago(5)}),
        deal(
            "s2",
            amount=200,
            stage_id="W",
            created_at=ago(50),
            close_date=ago(10),
            stage_entered_at={"A": ago(50), "W": ago(10)},
        ),
        deal(
            "r1",
            pipeline_id="777",
            amount=50,
            stage_id="101",
            created_at=ago(9),
            stage_entered_at={"101": ago(9)},
        ),
        deal("r2", pipeline_id="777", amount=70, stage_id="199", created_at=ago(9)),
        deal("gone", amount=1_000_000, stage_id="A", archived=True),
        pipelines=(hand_pipeline(), second_pipeline()),
    )


def test_analyze_all_order_and_shared_rows() -> None:
    reports = analyze_all(hand_portal())
    assert [r.engine for r in reports] == [EngineName.GROWTH, EngineName.FULFILLMENT, EngineName.INNOVATION]
    growth, fulfillment, _ = reports
    # the at-risk rows are built once and shared by both reports
    assert fulfillment.at_risk[0] is growth.at_risk[0]
    assert reports == analyze_all(hand_portal())  # deterministic


@pytest.mark.parametrize("name", ["growth", "GROWTH", " Growth ", EngineName.GROWTH])
def test_engine_names(name: str) -> None:
    assert analyze(hand_portal(), name).engine is EngineName.GROWTH


def test_unknown_engine() -> None:
    with pytest.raises(UnknownEngineError) as caught:
        analyze(hand_portal(), "marketing")
    assert "marketing" in caught.value.user_message
    assert "growth" in caught.value.user_message


def test_pipeline_scope_by_label_id_and_snapshot() -> None:
    snap = two_pipelines()
    by_label = analyze(snap, "growth", pipeline="  RENEWALS ")
    assert (by_label.pipeline, by_label.pipeline_label) == ("777", "Renewals")
    assert by_label.deals_analyzed == 2
    assert by_label.metrics["open_deals"].value == 2  # r2 sits in an archived stage: counted open
    assert by_label.metrics["conversion_rates"].value == {"101→102": 0.0}
    assert analyze(snap, "growth", pipeline="DEFAULT").pipeline == "default"
    by_id = analyze(snap, "growth", pipeline="default")
    assert by_id.deals_analyzed == 2  # the archived deal is out of scope
    assert by_id.metrics["conversion_rates"].value == {"A→B": 50.0}
    scoped = snap.model_copy(update={"pipeline_id": "777"})
    assert analyze(scoped, "growth").pipeline == "777"
    everything = analyze(snap, "growth")
    assert everything.deals_analyzed == 4
    assert everything.metrics["conversion_rates"].value == {"A→B": 50.0, "101→102": 0.0}
    quality = {s.name for s in everything.signals}
    assert "Deals in an archived stage" in quality


def test_unknown_pipeline() -> None:
    with pytest.raises(UnknownPipelineError) as caught:
        analyze_all(two_pipelines(), pipeline="Marketing")
    assert caught.value.available == ["Sales Pipeline", "Renewals"]
    assert "Marketing" in caught.value.user_message


def test_stage_ids_shared_by_two_pipelines_stay_apart() -> None:
    twin = Pipeline(id="twin", label="Twin", stages=hand_pipeline().stages)
    snap = portal(
        deal("a", stage_id="B", stage_entered_at={"A": ago(3), "B": ago(1)}),
        deal("b", pipeline_id="twin", stage_id="A", stage_entered_at={"A": ago(3)}),
        pipelines=(hand_pipeline(), twin),
    )
    rates = analyze(snap, "growth").metrics["conversion_rates"].value
    assert rates == {"A→B": 100.0, "B→C": 0.0, "twin:A→B": 0.0}


def test_windows_now_and_truncation_warnings() -> None:
    snap = hand_portal(
        deals_total=20, truncated=True, lookback_days=15, warnings=("Owners could not be read.",)
    )
    report = analyze(snap, "growth")
    assert report.warnings[0] == (
        "Only 8 of 20 deals were read (the read was cut short); every number covers those deals only."
    )
    unknown_total = analyze(hand_portal(truncated=True), "innovation")
    assert unknown_total.warnings[0].startswith("Only 8 deals were read (the read was cut short)")
    assert "last 15 days" in report.warnings[1]
    assert report.warnings[2] == "Owners could not be read."
    assert report.metrics["win_rate"].value == 100.0  # only d4 (closed 10 days ago) is in 15 days
    later = analyze(hand_portal(), "growth", now=(NOW + timedelta(days=365)).replace(tzinfo=None))
    assert later.as_of == NOW + timedelta(days=365)
    assert later.metrics["win_rate"].value is None  # nothing closed in the 180 days before a year later


def test_closed_deal_without_close_date_is_left_out() -> None:
    snap = portal(
        deal("w", stage_id="W", close_date=ago(3), created_at=ago(10)),
        deal("l", stage_id="L", close_date=None, created_at=ago(10)),
    )
    report = analyze(snap, "growth")
    assert report.metrics["win_rate"].value == 100.0
    assert "Closed deals without a close date" in {s.name for s in report.signals}


def test_json_form_is_stable_and_strict() -> None:
    for report in analyze_all(hand_portal()):
        data = report.to_json_dict()
        assert set(data) == JSON_KEYS
        text = json.dumps(data, allow_nan=False)
        assert json.loads(text) == data
        for metric in data["metrics"].values():
            assert set(metric) == {"label", "value", "unit", "status", "note", "benchmark"}
    growth = analyze(hand_portal(), "growth").to_json_dict()
    assert growth["as_of"] == "2026-01-01T00:00:00Z"
    assert growth["metrics"]["avg_days_in_stage"]["value"] == {"A": 10.0, "B": 40.0, "C": 20.0}
    assert growth["at_risk"][0]["reasons"] == ["no_recent_activity", "past_close_date", "open_too_long"]


def test_pipeline_without_stages_and_empty_labels() -> None:
    bare = Pipeline(id="bare", label="Bare")
    odd = Pipeline(id="odd", label="Odd", stages=(Stage(id="x", label="X", is_closed=True),))
    snap = portal(
        deal("a", pipeline_id="bare", stage_id="x"),
        deal("b", pipeline_id="odd", stage_id="x"),
        pipelines=(bare, odd),
    )
    growth = analyze(snap, "growth")
    assert growth.metrics["open_deals"].value == 1  # "x" is not listed by "bare"; in "odd" it is lost
    assert growth.metrics["conversion_rates"].value is None


def test_deals_in_another_currency_are_reported() -> None:
    snap = portal(
        deal("a", amount=10, stage_id="A", currency="USD"), deal("b", amount=5, stage_id="A", currency="EUR")
    )
    report = analyze(snap, "growth")
    (signal,) = [s for s in report.signals if s.evidence.get("issue") == "other_currency"]
    assert signal.deal_ids == ("a",)
    assert report.metrics["pipeline_value"].value == 15.0


def test_required_metric_keys() -> None:
    growth, fulfillment, innovation = analyze_all(generate_portal(deals=240, seed=7, now=NOW))
    assert {
        "open_deals", "pipeline_value", "weighted_pipeline_value", "win_rate", "avg_sales_cycle_days",
        "avg_days_in_stage", "conversion_rates", "at_risk_deals",
    } <= set(growth.metrics)  # fmt: skip
    assert {"expansion_share", "late_stage_deals", "late_stage_value"} <= set(fulfillment.metrics)
    for report in (growth, fulfillment, innovation):
        assert report.purpose.endswith(".")
        for metric in report.metrics.values():
            assert metric.label
            assert metric.note
    assert growth.metrics["avg_days_in_stage"].value
    assert all("→" in key for key in growth.metrics["conversion_rates"].value)  # type: ignore[union-attr]
