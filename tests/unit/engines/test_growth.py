"""Every growth metric pinned on the hand-computed 8-deal portal (tests/unit/engines/portals.py).

Worked by hand (now = 2026-01-01, lookback 180 days):
- open: d1 (A), d2 (B), d3 (C), d8 (stage "ghost", unlisted -> counted open) = 4
- pipeline value: 1000 + 2000 + 0 (d3 amount "abc") + 0 (d8 amount 0) = 3000
- weighted: 1000*0.2 + 2000*0.5 + 0*0.8 (+ d8: no probability) = 1200
- closed in window: d4 won, d5 lost, d6 won (d7 closed 400 days ago, outside) -> win rate 2/3 = 66.7
- cycle of won in window: d4 90 days, d6 20 days -> 55.0
- days in stage (current-stage entry): A 10 (d1), B 40 (d2), C 20 (d3); d8 has none -> 1 data gap
- entered (history + current stage): A 7 (d1..d7), B 4 (d2, d3, d4, d5), C 3 (d3, d4, d6);
  stopped (furthest stage, not won): A d1, d7; B d2, d5; C d3 -> A→B 5/7 = 71.4, B→C 2/4 = 50.0,
  C→W 2/3 = 66.7; average (71.4 + 50.0 + 66.7) / 3 = 62.7
- at risk: d2 only (quiet 40 days, close date passed, created 200 days ago) -> 1 of 4 = 25 %
- early stage (A) share of open deals in listed stages: 1 of 3 = 33.3 %
- score: 4 open deals < 5 -> -30; every other rule passes -> 70, Healthy
"""

from __future__ import annotations

from typing import Any

import pytest

from engines import (
    AnalysisConfig,
    EngineName,
    EngineReport,
    HealthLabel,
    MetricStatus,
    RiskReason,
    SignalType,
    analyze,
)
from tests.unit.engines.portals import NOW, ago, deal, hand_portal, portal


@pytest.fixture(scope="module")
def report() -> EngineReport:
    return analyze(hand_portal(), "growth")


def value(report: EngineReport, key: str) -> Any:
    return report.metrics[key].value


def test_volume_and_value(report: EngineReport) -> None:
    assert value(report, "open_deals") == 4
    assert value(report, "pipeline_value") == 3000.0
    assert value(report, "weighted_pipeline_value") == 1200.0
    assert report.metrics["open_deals"].status is MetricStatus.CRITICAL
    assert report.metrics["open_deals"].unit == "deals"
    assert report.metrics["pipeline_value"].unit == "EUR"


def test_win_rate_and_cycle(report: EngineReport) -> None:
    assert value(report, "win_rate") == 66.7
    assert value(report, "won_deals") == 2
    assert value(report, "lost_deals") == 1
    assert value(report, "won_value") == 6000.0
    assert value(report, "avg_sales_cycle_days") == 55.0
    assert report.metrics["avg_sales_cycle_days"].status is MetricStatus.HEALTHY


def test_time_in_stage_uses_current_stage_entry(report: EngineReport) -> None:
    assert value(report, "avg_days_in_stage") == {"A": 10.0, "B": 40.0, "C": 20.0}
    assert value(report, "deals_without_stage_entry") == 1
    assert report.metrics["avg_days_in_stage"].status is MetricStatus.WARNING  # B over 30, not over 60
    assert any(g.key == "stage_entry_timestamps" for g in report.data_gaps)


def test_conversion_from_stage_history(report: EngineReport) -> None:
    assert value(report, "conversion_rates") == {"A→B": 71.4, "B→C": 50.0, "C→W": 66.7}
    assert value(report, "avg_conversion_rate") == 62.7


def test_at_risk_and_early_share(report: EngineReport) -> None:
    assert value(report, "at_risk_deals") == 1
    assert value(report, "at_risk_value") == 2000.0
    assert report.metrics["at_risk_deals"].status is MetricStatus.HEALTHY  # 25 % is not above 25 %
    assert value(report, "early_stage_share") == 33.3
    (row,) = report.at_risk
    assert row.id == "d2"
    assert row.reasons == (
        RiskReason.NO_RECENT_ACTIVITY,
        RiskReason.PAST_CLOSE_DATE,
        RiskReason.OPEN_TOO_LONG,
    )
    assert (row.days_in_stage, row.days_since_activity) == (40.0, 40.0)
    assert (row.owner_name, row.owner_email) == ("ben@example.com", "ben@example.com")
    assert row.stage_label == "Stage B"
    assert row.url == "https://app.hubspot.com/contacts/42/record/0-3/d2"


def test_score_and_report_fields(report: EngineReport) -> None:
    assert report.engine is EngineName.GROWTH
    assert report.score == 70
    assert report.label is HealthLabel.HEALTHY
    assert report.deals_analyzed == 8
    assert report.as_of == NOW
    assert (report.source, report.time_zone, report.currency) == ("test", "Europe/Berlin", "EUR")
    assert report.pipeline is None
    assert report.pipeline_label == "All pipelines"
    assert report.purpose


def test_signals(report: EngineReport) -> None:
    velocity = [s for s in report.signals if s.type is SignalType.VELOCITY_ANOMALY]
    assert [(s.evidence["stage_id"], s.strength, s.deal_ids) for s in velocity] == [("B", 0.033, ("d2",))]
    quality = {s.name: s for s in report.signals if s.type is SignalType.DATA_QUALITY}
    assert quality["Deals without an amount"].deal_ids == ("d3",)
    assert quality["Deals with a zero amount"].deal_ids == ("d8",)
    assert quality["Deals in a stage the pipeline no longer lists"].deal_ids == ("d8",)
    assert quality["Incomplete field: deal type"].evidence["completeness"] == 50.0
    assert not [s for s in report.signals if s.type is SignalType.CONVERSION_DROP_OFF]
    strengths = [s.strength for s in report.signals]
    assert strengths == sorted(strengths, reverse=True)


def test_every_score_rule_deducts_its_points() -> None:
    """Ten open deals, all early, all quiet, one slow won deal, nothing advances: every rule fails."""
    deals = [
        deal(
            f"o{i}",
            amount=100,
            stage_id="A",
            created_at=ago(20),
            stage_entered_at={"A": ago(20)},
            last_activity_at=ago(60),
            close_date=ago(-30),
        )
        for i in range(10)
    ]
    deals.append(
        deal(
            "won",
            amount=100,
            stage_id="W",
            created_at=ago(300),
            close_date=ago(5),
            stage_entered_at={"A": ago(300), "W": ago(5)},
        )
    )
    cfg = AnalysisConfig()
    report = analyze(portal(*deals), "growth", config=cfg)
    # A→B: 1 of 11 advanced (the won deal) = 9.1 -> conversion < 25: -25; cycle 295 > 180: -20;
    # early share 100 > 70: -10; at risk 100 % > 50: -20; 10 open deals is not < 10: no volume rule.
    assert report.metrics["avg_conversion_rate"].value == 9.1
    assert report.metrics["avg_sales_cycle_days"].value == 295.0
    assert report.score == 100 - 25 - 20 - 10 - 20
    assert report.label is HealthLabel.CRITICAL
    by_type = {s.type: s for s in report.signals}
    drop = by_type[SignalType.CONVERSION_DROP_OFF]  # 11 deals entered A, 9.1 % < 50 %
    assert drop.strength == 0.818  # (50 - 9.1) / 50
    assert (drop.evidence["entered"], drop.evidence["advanced"]) == (11, 1)
    assert len(drop.deal_ids) == 10  # the ten open deals stopped at A
    shift = by_type[SignalType.ATTRIBUTION_SHIFT]  # all open value in the early stage
    assert shift.strength == 1.0  # (100 - 70) / 30
    assert shift.evidence["early_value_share"] == 100.0
    clusters = [s for s in report.signals if s.name.startswith("Stagnation cluster")]
    assert {s.evidence["stale_deals"] for s in clusters} == {10}


def test_warning_tier_deductions_and_custom_config() -> None:
    deals = [
        deal(
            f"o{i}",
            amount=100,
            stage_id="B",
            created_at=ago(10),
            stage_entered_at={"A": ago(10), "B": ago(5)},
            last_activity_at=ago(1),
            close_date=ago(-30),
        )
        for i in range(6)
    ]
    report = analyze(portal(*deals), "growth")
    assert report.metrics["open_deals"].status is MetricStatus.WARNING
    assert report.score == 100 - 15  # 6 open deals: 5 <= n < 10
    lenient = AnalysisConfig(volume_critical_below=1, volume_warning_below=2)
    assert analyze(portal(*deals), "growth", config=lenient).score == 100


def test_no_deals_is_insufficient_data() -> None:
    report = analyze(portal(), "growth", now=NOW)
    assert report.score is None
    assert report.label is HealthLabel.INSUFFICIENT_DATA
    assert report.metrics["win_rate"].value is None
    assert report.metrics["win_rate"].status is MetricStatus.UNKNOWN
    assert report.metrics["conversion_rates"].value is None
    assert report.at_risk == ()


def test_owner_stagnation_cluster_names_the_owner() -> None:
    deals = [
        deal(f"q{i}", amount=10 * (i + 1), stage_id="B", owner_id="o1", created_at=ago(20),
             stage_entered_at={"B": ago(20)}, last_activity_at=ago(31 + i), close_date=ago(-30))
        for i in range(5)
    ]  # fmt: skip
    deals.append(
        deal("busy", amount=5, stage_id="B", owner_id="o1", created_at=ago(3), last_activity_at=ago(1))
    )
    report = analyze(portal(*deals), "growth")
    (cluster,) = [s for s in report.signals if s.evidence.get("owner_id") == "o1"]
    assert cluster.name == "Stagnation cluster: Ana Lopez's deals"
    assert cluster.evidence["owner_name"] == "Ana Lopez"
    assert (cluster.evidence["stale_deals"], cluster.evidence["open_deals"]) == (5, 6)
    assert cluster.strength == 0.833  # 5 of 6 quiet
    assert cluster.deal_ids == ("q4", "q3", "q2", "q1", "q0")  # largest amount first


def test_losses_concentrating_after_one_stage() -> None:
    """Six lost deals: four got no further than B, one than A, one than C -> 4 of 6 = 66.7 % after B."""
    histories = [["A", "B"]] * 4 + [["A"], ["A", "B", "C"]]
    deals = [
        deal(f"l{i}", amount=100 + i, stage_id="L", created_at=ago(60), close_date=ago(10),
             stage_entered_at={**{s: ago(50 - j) for j, s in enumerate(path)}, "L": ago(10)})
        for i, path in enumerate(histories)
    ]  # fmt: skip
    report = analyze(portal(*deals), "growth")
    (signal,) = [s for s in report.signals if s.name.startswith("Losses concentrate")]
    assert signal.name == "Losses concentrate after Stage B"
    assert (signal.evidence["lost_after_stage"], signal.evidence["lost_total"]) == (4, 6)
    assert signal.evidence["share"] == 66.7
    assert signal.strength == 0.667
    assert signal.deal_ids == ("l3", "l2", "l1", "l0")
