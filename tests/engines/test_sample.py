"""The sample portal: deterministic, realistic in shape, messy where real portals are messy."""

from __future__ import annotations

from datetime import UTC, datetime

from engines import EngineName, SampleSource, analyze_all
from engines.models import Deal
from engines.sample import MESSY_NAME, PORTAL_ID, UNLISTED_STAGE_ID, generate_portal

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


def test_deterministic_for_seed_and_now() -> None:
    a = generate_portal(deals=300, seed=3, now=NOW)
    b = generate_portal(deals=300, seed=3, now=NOW)
    c = generate_portal(deals=300, seed=4, now=NOW)
    assert a == b
    assert a.deals != c.deals
    assert analyze_all(a) == analyze_all(b)


def test_sizes_from_nothing_to_a_few() -> None:
    for size in (0, 1, 5):
        snap = generate_portal(deals=size, seed=1, now=NOW)
        assert len(snap.deals) == size
        assert snap.deals_total == size
        reports = analyze_all(snap)
        assert [r.engine for r in reports] == list(EngineName)


def test_portal_shape() -> None:
    snap = generate_portal(deals=600, seed=7, now=NOW)
    assert snap.portal.portal_id == PORTAL_ID
    assert snap.portal.time_zone == "America/New_York"
    assert snap.portal.currency == "USD"
    assert snap.taken_at == NOW
    default = snap.pipeline("default")
    assert default is not None
    assert [s.id for s in default.ordered_stages] == [
        "appointmentscheduled",
        "qualifiedtobuy",
        "presentationscheduled",
        "decisionmakerboughtin",
        "contractsent",
        "closedwon",
        "closedlost",
    ]
    custom = [p for p in snap.pipelines if p.id != "default"]
    assert custom
    assert all(s.id.isdigit() for p in custom for s in p.stages)
    assert 6 <= len(snap.owners) <= 10
    assert all(o.email and o.email.endswith("@example.com") for o in snap.owners)
    assert {d.deal_type for d in snap.deals} == {"newbusiness", "existingbusiness"}


def test_stage_histories_are_consistent() -> None:
    snap = generate_portal(deals=2000, seed=11, now=NOW)
    stages = {p.id: p for p in snap.pipelines}
    for d in snap.deals:
        assert d.created_at is not None
        assert d.created_at <= NOW
        pipeline = stages[d.pipeline_id or ""]
        order = {s.id: s.display_order for s in pipeline.stages}
        entries = sorted(
            (when, order.get(stage_id, 99))
            for stage_id, when in d.stage_entered_at.items()
            if stage_id in order
        )
        times = [when for when, _ in entries]
        assert times == sorted(times)
        assert all(d.created_at <= when <= NOW for when in times)
        assert [o for _, o in entries] == sorted(o for _, o in entries)  # entered in display order
        stage = pipeline.stage(d.stage_id)
        if stage is not None and stage.is_closed:
            assert d.close_date is not None
            assert d.close_date <= NOW


def test_mix_and_messy_data() -> None:
    snap = generate_portal(deals=2000, seed=7, now=NOW)
    closed = {s.id: s for p in snap.pipelines for s in p.stages if s.is_closed}
    won = [d for d in snap.deals if d.stage_id in closed and closed[d.stage_id].is_won]
    lost = [d for d in snap.deals if d.stage_id in closed and closed[d.stage_id].is_lost]
    open_ = [d for d in snap.deals if d.stage_id not in closed]
    assert won
    assert lost
    assert open_
    assert any(d.close_date is not None and d.close_date < NOW for d in open_)  # past close date
    assert any(d.amount is None for d in snap.deals)
    assert any(d.amount == 0 for d in snap.deals)
    assert any(d.stage_id == UNLISTED_STAGE_ID for d in snap.deals)
    assert any(d.stage_id not in d.stage_entered_at for d in open_)
    assert snap.deals[2].name == MESSY_NAME
    assert "<!channel>" in MESSY_NAME
    assert "&" in MESSY_NAME
    # model_construct skipped validation: the values must still be what validation would produce
    for d in snap.deals[:50]:
        assert Deal.model_validate(d.model_dump()) == d


def test_default_now_is_the_current_time() -> None:
    before = datetime.now(UTC)
    snap = generate_portal(deals=3, seed=1)
    assert before <= snap.taken_at <= datetime.now(UTC)


async def test_sample_source_scopes_by_pipeline_label() -> None:
    source = SampleSource(deals=120, seed=5, now=NOW)
    snap = await source.snapshot("renewals & expansion")
    assert snap.pipeline_id == "14620931"
    growth, fulfillment, _ = analyze_all(snap)
    assert growth.pipeline == "14620931"
    assert growth.pipeline_label == "Renewals & Expansion"
    in_pipeline = sum(1 for d in snap.deals if d.pipeline_id == "14620931")
    assert growth.deals_analyzed == in_pipeline
    assert fulfillment.metrics["expansion_share"].value in (None, 100.0)  # renewals are all existing business


ISSUE_13_METRICS = {
    EngineName.GROWTH: {
        "leads_created",
        "lead_to_qualified",
        "pipeline_coverage",
        "weighted_pipeline_coverage",
    },
    EngineName.FULFILLMENT: {
        "gross_renewal_rate",
        "net_renewal_rate",
        "time_to_first_value_days",
        "open_onboardings",
        "overdue_onboardings",
        "nps",
        "nps_responses",
        "csat",
    },
    EngineName.INNOVATION: {
        "feedback_items",
        "feedback_items_previous",
        "feature_requests_closed",
        "feature_request_days",
        "new_products",
        "new_product_adoption",
        "new_product_revenue_share",
    },
}


def test_the_sample_portal_measures_all_three_engines() -> None:
    """The demo portal's other objects follow its deals: every engine is scored and shows the metrics
    of issue #13, with values (no data gap for an object it holds)."""
    snap = generate_portal(seed=7, now=NOW)
    assert len(snap.tickets) == len(snap.feedback) == 120
    assert len(snap.line_items) == 480  # 1 to 3 a deal, 2 on average
    deal_ids = {d.id for d in snap.deals}
    assert all(li.deal_id in deal_ids for li in snap.line_items)
    onboarding = [t for t in snap.tickets if t.pipeline_id == "8412345"]
    won = {s.id for p in snap.pipelines for s in p.stages if s.is_won}
    closed_at = {d.name: d.close_date for d in snap.deals if d.stage_id in won}
    assert onboarding
    for t in onboarding:  # opened when a deal was won
        assert t.subject is not None
        close = closed_at[t.subject.removeprefix("Onboarding: ")]
        assert close is not None
        assert t.created_at is not None
        assert close <= t.created_at
    assert all(t.created_at is not None and t.created_at <= NOW for t in snap.tickets)
    for report in analyze_all(snap):
        assert report.score is not None, report.engine
        data = report.to_json_dict()
        assert ISSUE_13_METRICS[report.engine] <= set(data["metrics"])
        for key in ISSUE_13_METRICS[report.engine] - {"pipeline_coverage", "weighted_pipeline_coverage"}:
            assert data["metrics"][key]["value"] is not None, key
        gaps = {g["key"] for g in data["data_gaps"]}
        assert not gaps & {
            "leads",
            "surveys",
            "onboarding_tickets",
            "renewal_pipeline",
            "products",
            "line_items",
        }
    assert generate_portal(deals=50, seed=7, now=NOW, objects=False).tickets == ()
    with_objects = generate_portal(deals=50, seed=7, now=NOW)
    assert with_objects.deals == generate_portal(deals=50, seed=7, now=NOW, objects=False).deals
