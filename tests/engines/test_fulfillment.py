"""Fulfillment and innovation metrics pinned on the hand-computed portal (see test_growth.py).

By hand: won in window d4 (5000, existing business) and d6 (1000, new) -> expansion 5000/6000 = 83.3 %;
late stages are B and C (the last two open stages): d2 and d3, value 2000 + 0; d2 is at risk -> 50 %
of late deals (warning tier: -10) -> score 90; closing in 30 days: d1 (+20 d, 1000) and d3 (+10 d, 0).
"""

from __future__ import annotations

from datetime import UTC, datetime

from engines import AnalysisConfig, HealthLabel, MetricStatus, analyze
from engines.sample import generate_portal
from tests.engines.portals import ago, deal, hand_pipeline, hand_portal, portal, second_pipeline


def test_fulfillment_metrics_by_hand() -> None:
    report = analyze(hand_portal(), "fulfillment")
    values = {key: metric.value for key, metric in report.metrics.items()}
    assert values["expansion_share"] == 83.3
    assert values["expansion_won_value"] == 5000.0
    assert values["won_value"] == 6000.0
    assert values["late_stage_deals"] == 2
    assert values["late_stage_value"] == 2000.0
    assert values["late_stage_at_risk"] == 1
    assert values["closing_soon_deals"] == 2
    assert values["closing_soon_value"] == 1000.0
    assert report.metrics["late_stage_at_risk"].status is MetricStatus.WARNING
    assert report.score == 90
    assert report.label is HealthLabel.HEALTHY
    assert [d.id for d in report.at_risk] == ["d2"]
    # The hand portal's snapshot read no other objects: each is a gap naming what unlocks it.
    gaps = {g.key: g for g in report.data_gaps}
    assert {"onboarding_tickets", "surveys", "renewal_pipeline"} <= set(gaps)
    assert "scope tickets" in gaps["onboarding_tickets"].missing


def test_expansion_rules() -> None:
    won = [
        deal(
            f"w{i}", amount=1000, stage_id="W", deal_type="newbusiness", created_at=ago(30), close_date=ago(5)
        )
        for i in range(19)
    ]
    won.append(
        deal(
            "x",
            amount=1000,
            stage_id="W",
            deal_type="existingbusiness",
            created_at=ago(30),
            close_date=ago(5),
        )
    )
    report = analyze(portal(*won), "fulfillment")
    assert report.metrics["expansion_share"].value == 5.0
    assert report.metrics["expansion_share"].status is MetricStatus.CRITICAL
    assert report.score == 100 - AnalysisConfig().points_expansion_critical


def test_renewal_pipeline_when_configured() -> None:
    snap = portal(
        deal(
            "r1",
            pipeline_id="777",
            amount=900,
            stage_id="101",
            created_at=ago(10),
            stage_entered_at={"101": ago(10)},
            last_activity_at=ago(45),
        ),
        deal(
            "r2",
            pipeline_id="777",
            amount=100,
            stage_id="102",
            created_at=ago(10),
            stage_entered_at={"101": ago(10), "102": ago(3)},
            last_activity_at=ago(1),
        ),
        deal("s1", amount=50, stage_id="A", created_at=ago(3), last_activity_at=ago(1)),
        pipelines=(hand_pipeline(), second_pipeline()),
    )
    report = analyze(snap, "fulfillment", config=AnalysisConfig(renewal_pipeline="renewals"))
    assert report.metrics["renewal_open_deals"].value == 2
    assert report.metrics["renewal_pipeline_value"].value == 1000.0
    assert report.metrics["renewal_at_risk"].value == 1
    assert report.metrics["renewal_at_risk"].status is MetricStatus.WARNING  # 50 %
    assert "r1" in {d.id for d in report.at_risk}
    assert "renewal_pipeline" not in {g.key for g in report.data_gaps}
    # renewals has two open stages (101, 102; 199 is archived): 102 is late, so r2 is; s1 in A is not
    assert report.metrics["late_stage_deals"].value == 1


def test_fulfillment_without_won_or_late_deals_is_insufficient() -> None:
    report = analyze(portal(deal("a", amount=10, stage_id="A")), "fulfillment")
    assert report.score is None
    assert report.label is HealthLabel.INSUFFICIENT_DATA
    assert report.metrics["expansion_share"].value is None
    assert report.metrics["expansion_share"].status is MetricStatus.UNKNOWN


def test_innovation_is_honest_about_missing_data() -> None:
    report = analyze(hand_portal(), "innovation")
    assert report.score is None
    assert report.label is HealthLabel.INSUFFICIENT_DATA
    # completeness by field: amount 7/8, close 7/8, owner 7/8, create 8/8, activity 8/8, type 4/8,
    # current-stage entry 3 of 4 open -> (87.5*3 + 100*2 + 50 + 75) / 7 = 83.9
    assert report.metrics["field_completeness"].value == 83.9
    assert report.metrics["deals_missing_amount"].value == 1
    assert report.metrics["deals_in_unlisted_stages"].value == 1
    # No survey, ticket, product or line item was read: data gaps, and no roadmap data anywhere.
    assert {g.key for g in report.data_gaps} == {
        "customer_feedback",
        "feature_requests",
        "products",
        "line_items",
        "prioritization",
        "build_and_test",
    }
    assert report.signals
    assert report.at_risk == ()


def test_a_renewal_pipeline_the_portal_does_not_have_is_a_warning_not_silence() -> None:
    snap = generate_portal(deals=60, seed=3, now=datetime(2026, 11, 25, tzinfo=UTC))
    report = analyze(snap, "fulfillment", config=AnalysisConfig(renewal_pipeline="Renewalz"))
    assert any("'Renewalz' is not in this portal" in w for w in report.warnings)
    assert "renewal_open_deals" not in report.metrics
