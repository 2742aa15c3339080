"""Fulfillment from renewal deals, onboarding tickets and survey responses, worked out by hand
(NOW = 2026-01-01T00:00Z, window 180 days; renewals pipeline '777' "Renewals", found by its label)."""

from __future__ import annotations

from engines import AnalysisConfig, MetricStatus, analyze, analyze_all
from engines.models import ObjectType, Pipeline
from tests.engines.objects_portals import ONBOARDING, SUPPORT, feedback, object_portal, refused, ticket
from tests.engines.portals import ago, deal, hand_pipeline, second_pipeline


def _renewal_deals() -> tuple[object, ...]:
    """r1 renewed 900 (10 days ago), r2 renewed 600 (100 days ago), r3 churned 500 (20 days ago),
    r4 churned 1,000 300 days ago (outside the window); e1 existing business won 400 in the sales
    pipeline, e2 new business won 700, e3 existing business lost 200."""
    return (
        deal("r1", pipeline_id="777", stage_id="103", amount="900", close_date=ago(10)),
        deal("r2", pipeline_id="777", stage_id="103", amount="600", close_date=ago(100)),
        deal("r3", pipeline_id="777", stage_id="104", amount="500", close_date=ago(20)),
        deal("r4", pipeline_id="777", stage_id="104", amount="1000", close_date=ago(300)),
        deal("e1", stage_id="W", amount="400", close_date=ago(5), deal_type="existingbusiness"),
        deal("e2", stage_id="W", amount="700", close_date=ago(5), deal_type="newbusiness"),
        deal("e3", stage_id="L", amount="200", close_date=ago(5), deal_type="existingbusiness"),
    )


def test_gross_and_net_renewal_rates_are_company_level() -> None:
    """Gross: won 900 + 600 = 1,500 of 1,500 + 500 = 2,000 -> 75.0 %, critical (< 80).
    Net: (1,500 + e1 400) / 2,000 -> 95.0 %, warning (>= 90, < 100). The same on a card for the sales
    pipeline only: renewal rates use every pipeline. Deductions: gross critical 20, net warning 5."""
    snap = object_portal(*_renewal_deals())
    report = analyze(snap, "fulfillment")
    gross, net = report.metrics["gross_renewal_rate"], report.metrics["net_renewal_rate"]
    assert (gross.value, gross.status) == (75.0, MetricStatus.CRITICAL)
    assert (net.value, net.status) == (95.0, MetricStatus.WARNING)
    assert "gross revenue retention" in gross.note
    assert "net revenue retention" in net.note
    sales = analyze(snap, "fulfillment", pipeline="default")
    assert sales.metrics["gross_renewal_rate"].value == 75.0
    assert sales.metrics["net_renewal_rate"].value == 95.0
    plain = analyze(
        object_portal(*_renewal_deals()),
        "fulfillment",
        config=AnalysisConfig(points_gross_renewal_critical=0, points_net_renewal_warning=0),
    )
    assert report.score is not None
    assert plain.score is not None
    assert plain.score - report.score == 25


def test_renewals_pipeline_by_setting_or_label_and_never_guessed() -> None:
    twin = Pipeline(id="888", label="Renewal Upsells", stages=second_pipeline().stages)
    two = object_portal(*_renewal_deals(), pipelines=(hand_pipeline(), second_pipeline(), twin))
    gap = next(g for g in analyze(two, "fulfillment").data_gaps if g.key == "renewal_pipeline")
    assert "'Renewals'" in gap.missing
    assert "'Renewal Upsells'" in gap.missing
    assert "gross_renewal_rate" not in analyze(two, "fulfillment").metrics
    chosen = analyze(two, "fulfillment", config=AnalysisConfig(renewal_pipeline="renewals"))
    assert chosen.metrics["gross_renewal_rate"].value == 75.0
    none = object_portal(*_renewal_deals(), pipelines=(hand_pipeline(),))
    gap = next(g for g in analyze(none, "fulfillment").data_gaps if g.key == "renewal_pipeline")
    assert "renewal_pipeline" in gap.missing


def _onboarding_tickets() -> tuple[object, ...]:
    """Closed in 'Customer Onboarding' within the window: t1 40 -> 10 days ago (30 days), t2 100 -> 50
    (50 days), t3 30.5 -> 20 (10.5 days), t5 80.1 -> 60 (20.1 days). t4 closed 300 days ago (outside);
    t8 in the closed stage without a close date (left out); t6 open since 50 days (overdue), t7 open
    since 10 days; s1 a closed support ticket (another pipeline)."""
    return (
        ticket("t1", pipeline_id="ob", stage_id="live", created_at=ago(40), closed_at=ago(10)),
        ticket("t2", pipeline_id="ob", stage_id="live", created_at=ago(100), closed_at=ago(50)),
        ticket("t3", pipeline_id="ob", stage_id="live", created_at=ago(30.5), closed_at=ago(20)),
        ticket("t4", pipeline_id="ob", stage_id="live", created_at=ago(400), closed_at=ago(300)),
        ticket("t5", pipeline_id="ob", stage_id="live", created_at=ago(80.1), closed_at=ago(60)),
        ticket("t8", pipeline_id="ob", stage_id="live", created_at=ago(20)),
        ticket(
            "t6", pipeline_id="ob", stage_id="kick", created_at=ago(50), subject="Kickoff Acme", owner_id="o1"
        ),
        ticket("t7", pipeline_id="ob", stage_id="kick", created_at=ago(10)),
        ticket("s1", pipeline_id="sp", stage_id="done", created_at=ago(90), closed_at=ago(1)),
    )


def test_time_to_first_value_is_the_median_of_onboarding_tickets() -> None:
    """Durations 10.5, 20.1, 30, 50 days: median (20.1 + 30) / 2 = 25.05 -> 25.1 (half-up), healthy
    (<= 30). Open onboardings t6, t7 = 2; overdue (open > 45 days) t6 = 1, 50 % of open: warning."""
    report = analyze(object_portal(tickets=_onboarding_tickets()), "fulfillment")
    ttv = report.metrics["time_to_first_value_days"]
    assert (ttv.value, ttv.status) == (25.1, MetricStatus.HEALTHY)
    assert report.metrics["open_onboardings"].value == 2
    overdue = report.metrics["overdue_onboardings"]
    assert (overdue.value, overdue.status) == (1, MetricStatus.WARNING)
    [listed] = report.overdue_onboardings
    assert listed.id == "t6"
    assert listed.url == "https://app.hubspot.com/contacts/42/record/0-5/t6"
    assert listed.days_open == 50.0
    assert listed.stage_label == "Kickoff"
    assert listed.owner_name == "Ana Lopez"
    longer = analyze(
        object_portal(tickets=_onboarding_tickets()),
        "fulfillment",
        config=AnalysisConfig(onboarding_overdue_days=60),
    )
    assert longer.metrics["overdue_onboardings"].value == 0
    assert longer.overdue_onboardings == ()


def test_onboarding_pipeline_by_setting_and_its_gaps() -> None:
    other = Pipeline(id="ob2", label="Onboarding EMEA", stages=ONBOARDING.stages)
    two = object_portal(tickets=_onboarding_tickets(), ticket_pipelines=(ONBOARDING, SUPPORT, other))
    gap = next(g for g in analyze(two, "fulfillment").data_gaps if g.key == "onboarding_pipeline")
    assert "'Customer Onboarding'" in gap.missing
    assert "'Onboarding EMEA'" in gap.missing
    chosen = analyze(two, "fulfillment", config=AnalysisConfig(onboarding_ticket_pipeline="ob"))
    assert chosen.metrics["time_to_first_value_days"].value == 25.1
    refused_tickets = analyze(
        object_portal(tickets=_onboarding_tickets(), object_reads=refused(ObjectType.TICKETS, "tickets")),
        "fulfillment",
    )
    assert "time_to_first_value_days" not in refused_tickets.metrics
    gap = next(g for g in refused_tickets.data_gaps if g.key == "onboarding_tickets")
    assert "tickets" in gap.missing
    assert "403" in gap.missing


def _surveys() -> tuple[object, ...]:
    """NPS in the window: 10, 9, 9, 8, 7, 6, 3 and n8 (no submission time, created 3 days ago) 10:
    8 responses, promoters 10/9/9/10 = 4, detractors 6/3 = 2. Left out: n9 (200 days ago), n10 (not a
    number), n11 (submitted 200 days ago, created yesterday: the submission time counts), n12 (11, not
    an NPS answer). CSAT in the window: 3 PROMOTER, 1 PASSIVE, 1 DETRACTOR, 1 without a group."""
    nps = [
        feedback(f"n{i}", survey_type="NPS", value=str(v), submitted_at=ago(1 + i))
        for i, v in enumerate((10, 9, 9, 8, 7, 6, 3))
    ]
    nps += [
        feedback("n8", survey_type="NPS", value="10", created_at=ago(3)),
        feedback("n9", survey_type="NPS", value="0", submitted_at=ago(200)),
        feedback("n10", survey_type="NPS", value="n/a", submitted_at=ago(2)),
        feedback("n11", survey_type="NPS", value="0", submitted_at=ago(200), created_at=ago(1)),
        feedback("n12", survey_type="NPS", value="11", submitted_at=ago(2)),
    ]
    csat = [
        feedback(f"c{i}", survey_type="CSAT", response_group=g, submitted_at=ago(5))
        for i, g in enumerate(("PROMOTER", "PROMOTER", "PROMOTER", "PASSIVE", "DETRACTOR", None))
    ]
    return (*nps, *csat)


def test_nps_and_csat() -> None:
    """NPS = 4/8 - 2/8 = 25.0, warning (>= 0, < 30): deduction 10. CSAT = 3/5 = 60.0, warning."""
    report = analyze(object_portal(feedback=_surveys()), "fulfillment")
    nps = report.metrics["nps"]
    assert (nps.value, nps.status) == (25.0, MetricStatus.WARNING)
    assert report.metrics["nps_responses"].value == 8
    csat = report.metrics["csat"]
    assert (csat.value, csat.status) == (60.0, MetricStatus.WARNING)
    assert report.score == 90  # nothing else to judge: only the NPS warning deducts (10 points)


def test_nps_rounds_half_up_away_from_zero() -> None:
    """16 responses, 1 promoter and 2 detractors: -1/16 = -6.25 % -> -6.3 (half-up: away from zero;
    round() would give -6.2). Critical (< 0)."""
    values = [10, 0, 0, *([8] * 13)]
    report = analyze(
        object_portal(
            feedback=tuple(
                feedback(f"n{i}", survey_type="NPS", value=str(v), submitted_at=ago(1))
                for i, v in enumerate(values)
            )
        ),
        "fulfillment",
    )
    assert report.metrics["nps"].value == -6.3
    assert report.metrics["nps"].status is MetricStatus.CRITICAL


def test_surveys_refused_or_missing_are_gaps_and_the_rest_arrives() -> None:
    refused_report = analyze(
        object_portal(
            *_renewal_deals(),
            feedback=_surveys(),
            object_reads=refused(ObjectType.FEEDBACK_SUBMISSIONS, "crm.objects.feedback_submissions.read"),
        ),
        "fulfillment",
    )
    assert "nps" not in refused_report.metrics
    gap = next(g for g in refused_report.data_gaps if g.key == "surveys")
    assert "crm.objects.feedback_submissions.read" in gap.missing
    assert refused_report.metrics["gross_renewal_rate"].value == 75.0
    empty = analyze(object_portal(), "fulfillment")
    assert {"renewal_rates", "onboarding_tickets", "surveys"} <= {g.key for g in empty.data_gaps}
    assert empty.score is None


def test_every_engine_reports_with_all_objects_together() -> None:
    snap = object_portal(*_renewal_deals(), tickets=_onboarding_tickets(), feedback=_surveys())
    growth, fulfillment, innovation = analyze_all(snap)
    assert fulfillment.metrics["time_to_first_value_days"].value == 25.1
    assert fulfillment.metrics["nps"].value == 25.0
    assert growth.overdue_onboardings == ()
    assert innovation.overdue_onboardings == ()
