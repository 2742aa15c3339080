"""Growth from contacts and goals, every number worked out by hand (NOW = 2026-01-01T00:00Z, window
180 days: 2025-07-05 to NOW; the portal's time zone is Europe/Berlin, UTC+1 in winter)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from engines import AnalysisConfig, MetricStatus, analyze
from engines.models import ObjectType
from tests.engines.objects_portals import contact, goal, object_portal, refused
from tests.engines.portals import NOW, ago, deal


def _leads_portal() -> list[object]:
    """c1 lead 10 days ago, MQL 5 days ago: a qualified lead.
    c2 lead 20 days ago, nothing else: a lead.
    c3 lead 30 days ago, customer yesterday: qualified.
    c4 lead 200 days ago (before the window), SQL 150 days ago: not counted.
    c5 no lead date, MQL 3 days ago: not counted (only contacts that entered lead in the window).
    c6 lead 40 days ago, the custom stage 2444598513 2 days ago: qualified only when configured."""
    return [
        contact("c1", lead=ago(10), marketingqualifiedlead=ago(5)),
        contact("c2", lead=ago(20)),
        contact("c3", lead=ago(30), customer=ago(1)),
        contact("c4", lead=ago(200), salesqualifiedlead=ago(150)),
        contact("c5", marketingqualifiedlead=ago(3)),
        contact("c6", lead=ago(40), **{"2444598513": ago(2)}),
    ]


def test_leads_created_and_lead_to_qualified() -> None:
    """Leads in the window: c1, c2, c3, c6 = 4. Qualified (default stages): c1, c3 = 2 -> 50.0 %,
    healthy (>= 25). With the custom stage added: c1, c3, c6 = 3 -> 75.0 %."""
    snap = object_portal(contacts=tuple(_leads_portal()))
    report = analyze(snap, "growth")
    assert report.metrics["leads_created"].value == 4
    assert report.metrics["lead_to_qualified"].value == 50.0
    assert report.metrics["lead_to_qualified"].status is MetricStatus.HEALTHY
    custom = AnalysisConfig(
        qualified_lifecycle_stages=("marketingqualifiedlead", "salesqualifiedlead", "customer", "2444598513")
    )
    assert analyze(snap, "growth", config=custom).metrics["lead_to_qualified"].value == 75.0
    assert "visit_to_lead" in {g.key for g in report.data_gaps}  # CR1: no API for sessions


def test_lead_to_qualified_rounds_half_up() -> None:
    """16 leads, 1 qualified: 6.25 % -> 6.3 (half-up; round() would give 6.2). Critical (< 10)."""
    contacts = [contact(f"c{i}", lead=ago(1 + i)) for i in range(15)]
    contacts.append(contact("q", lead=ago(2), opportunity=ago(1)))
    report = analyze(object_portal(contacts=tuple(contacts)), "growth")
    assert report.metrics["lead_to_qualified"].value == 6.3
    assert report.metrics["lead_to_qualified"].status is MetricStatus.CRITICAL


def _coverage_deals() -> tuple[object, ...]:
    """o1 open in B (p 0.5) 1,500 closing in 30 days; o2 open in C (p 0.8) 1,000 closing in 60 days;
    o3 open in A 5,000 closing in 120 days; w1 won 400 half an hour before NOW (31 Dec 23:30 UTC =
    1 Jan 00:30 in Berlin: inside Q1 there); w2 won 300 ten days ago; a renewal deal open in 777."""
    return (
        deal("o1", stage_id="B", amount="1500", close_date=NOW + timedelta(days=30)),
        deal("o2", stage_id="C", amount="1000", close_date=NOW + timedelta(days=60)),
        deal("o3", stage_id="A", amount="5000", close_date=NOW + timedelta(days=120)),
        deal("w1", stage_id="W", amount="400", close_date=NOW - timedelta(minutes=30)),
        deal("w2", stage_id="W", amount="300", close_date=ago(10)),
        deal("r1", pipeline_id="777", stage_id="101", amount="800", close_date=NOW + timedelta(days=20)),
    )


def test_coverage_from_the_revenue_target_of_the_quarter_in_the_portal_time_zone() -> None:
    """Q1 2026 in Berlin: 31 Dec 23:00 UTC to 31 Mar 22:00 UTC. Target 1,000, won in it: w1 400, so
    600 remain. Open in it (all pipelines): o1 1,500 + o2 1,000 + r1 800 = 3,300 -> 3300 / 600 = 5.5,
    healthy. Weighted: 750 + 800 + 400 (r1 at 0.5) = 1,950 -> 3.25 -> 3.3 (half-up), healthy.
    The sales pipeline alone: (1,500 + 1,000) / 600 = 4.1666 -> 4.2; weighted 1,550 / 600 = 2.58 -> 2.6,
    warning (>= 2, < 3)."""
    snap = object_portal(*_coverage_deals())
    cfg = AnalysisConfig(revenue_target=1000)
    everything = analyze(snap, "growth", config=cfg)
    assert everything.metrics["pipeline_coverage"].value == 5.5
    assert everything.metrics["weighted_pipeline_coverage"].value == 3.3
    sales = analyze(snap, "growth", config=cfg, pipeline="default")
    assert sales.metrics["pipeline_coverage"].value == 4.2
    assert sales.metrics["pipeline_coverage"].status is MetricStatus.HEALTHY
    assert sales.metrics["weighted_pipeline_coverage"].value == 2.6
    assert sales.metrics["weighted_pipeline_coverage"].status is MetricStatus.WARNING
    assert "revenue_target" in sales.metrics["pipeline_coverage"].note


def test_coverage_from_the_goals_that_contain_now() -> None:
    """g1 [1 Dec, 1 Feb) 500 and g2 [NOW, 1 Mar) 700 contain NOW; g3 ended on 1 Dec, g4 starts on
    1 Feb. Period 1 Dec to 1 Mar, target 1,200. Sales pipeline: won in it w1 400 + w2 300 = 700 ->
    500 remain; open closing before 1 Mar: o1 1,500 (o2 closes on 2 Mar) -> 3.0, healthy;
    weighted 750 / 500 = 1.5, critical."""
    goals = (
        goal("g1", target_amount="500", start_at="2025-12-01T00:00:00Z", end_at="2026-02-01T00:00:00Z"),
        goal("g2", target_amount="700", start_at=NOW, end_at="2026-03-01T00:00:00Z"),
        goal("g3", target_amount="900", start_at="2025-10-01T00:00:00Z", end_at="2025-12-01T00:00:00Z"),
        goal("g4", target_amount="900", start_at="2026-02-01T00:00:00Z", end_at="2026-05-01T00:00:00Z"),
    )
    snap = object_portal(*_coverage_deals(), goals=goals)
    report = analyze(snap, "growth", pipeline="default")
    assert report.metrics["pipeline_coverage"].value == 3.0
    assert report.metrics["pipeline_coverage"].status is MetricStatus.HEALTHY
    assert report.metrics["weighted_pipeline_coverage"].value == 1.5
    assert report.metrics["weighted_pipeline_coverage"].status is MetricStatus.CRITICAL
    assert "2 HubSpot goal targets" in report.metrics["pipeline_coverage"].note


def test_target_met_is_null_and_healthy() -> None:
    """Target 300 for the quarter, w1 won 400 in it: nothing remains to win."""
    report = analyze(object_portal(*_coverage_deals()), "growth", config=AnalysisConfig(revenue_target=300))
    coverage = report.metrics["pipeline_coverage"]
    assert coverage.value is None
    assert coverage.status is MetricStatus.HEALTHY
    assert "target met" in coverage.note


def test_no_target_and_refused_scopes_are_data_gaps_naming_what_unlocks_them() -> None:
    plain = analyze(object_portal(*_coverage_deals()), "growth")
    assert "pipeline_coverage" not in plain.metrics
    gap = next(g for g in plain.data_gaps if g.key == "pipeline_coverage")
    assert "revenue_target" in gap.missing
    assert "crm.objects.goals.read" in gap.missing
    goals = analyze(
        object_portal(object_reads=refused(ObjectType.GOAL_TARGETS, "crm.objects.goals.read")), "growth"
    )
    assert "403" in next(g for g in goals.data_gaps if g.key == "pipeline_coverage").missing
    contacts = analyze(
        object_portal(
            contacts=tuple(_leads_portal()),
            object_reads=refused(ObjectType.CONTACTS, "crm.objects.contacts.read"),
        ),
        "growth",
    )
    assert "leads_created" not in contacts.metrics
    leads_gap = next(g for g in contacts.data_gaps if g.key == "leads")
    assert "crm.objects.contacts.read" in leads_gap.missing
    assert contacts.metrics["open_deals"].value == 0  # the rest of the report still arrives


def test_no_leads_in_the_window() -> None:
    report = analyze(object_portal(contacts=(contact("old", lead=ago(400)),)), "growth")
    assert report.metrics["leads_created"].value == 0
    assert "lead_to_qualified" not in report.metrics
    assert "lead_to_qualified" in {g.key for g in report.data_gaps}


def test_quarter_boundaries_follow_the_portal_time_zone() -> None:
    """NOW is 1 Jan 00:00 UTC; in New York it is still 31 Dec, so the quarter is Q4 2025 there and a
    deal won on 31 Dec 12:00 UTC counts toward it, while in Berlin it does not."""
    won = deal("w", stage_id="W", amount="100", close_date=datetime(2025, 12, 31, 12, tzinfo=UTC))
    opened = deal("o", stage_id="B", amount="450", close_date=datetime(2025, 12, 31, 20, tzinfo=UTC))
    cfg = AnalysisConfig(revenue_target=250)
    berlin = object_portal(won, opened)
    new_york = berlin.model_copy(
        update={"portal": berlin.portal.model_copy(update={"time_zone": "America/New_York"})}
    )
    # Berlin, Q1: nothing won or closing in it -> 0 / 250 = 0.0. New York, Q4: 450 / (250 - 100) = 3.0.
    assert analyze(berlin, "growth", config=cfg).metrics["pipeline_coverage"].value == 0.0
    assert analyze(new_york, "growth", config=cfg).metrics["pipeline_coverage"].value == 3.0
