"""Innovation from feedback, feature requests, products and line items, worked out by hand
(NOW = 2026-01-01T00:00Z; window 180 days, the previous window the 180 days before it)."""

from __future__ import annotations

from engines import AnalysisConfig, HealthLabel, MetricStatus, SignalType, analyze
from engines.models import ObjectType
from tests.engines.objects_portals import (
    feedback,
    line_item,
    object_portal,
    product,
    refused,
    ticket,
)
from tests.engines.portals import ago, deal


def _feedback() -> tuple[object, ...]:
    """With a comment in the window: a1 (NPS), a2 (CSAT), a3 (CES); a4 only whitespace and a5 no
    comment do not count. In the previous window: b0..b6 = 7 with a comment."""
    now = [
        feedback("a1", survey_type="NPS", value="9", content="Love it", submitted_at=ago(3)),
        feedback("a2", survey_type="CSAT", response_group="PROMOTER", content="Quick", submitted_at=ago(30)),
        feedback("a3", survey_type="CES", value="5", content="Hard to find", submitted_at=ago(170)),
        feedback("a4", survey_type="NPS", value="7", content="   ", submitted_at=ago(4)),
        feedback("a5", survey_type="NPS", value="8", submitted_at=ago(5)),
    ]
    before = [
        feedback(f"b{i}", survey_type="NPS", value="8", content="ok", submitted_at=ago(200 + i))
        for i in range(7)
    ]
    return (*now, *before)


def _requests() -> tuple[object, ...]:
    """Feature requests created in the window: f1 (open), f2 (50 -> 20 days ago: 30 days), f3 (open).
    In the previous window: f4 (created 200 days ago, closed 100 days ago: 100 days, closed in the
    window) and f5 (300 days ago, open). s1 is a support ticket (another category)."""
    fr = {"category": "FEATURE_REQUEST", "pipeline_id": "sp"}
    return (
        ticket("f1", stage_id="new", created_at=ago(10), **fr),
        ticket("f2", stage_id="done", created_at=ago(50), closed_at=ago(20), **fr),
        ticket("f3", stage_id="new", created_at=ago(90), **fr),
        ticket("f4", stage_id="done", created_at=ago(200), closed_at=ago(100), **fr),
        ticket("f5", stage_id="new", created_at=ago(300), **fr),
        ticket(
            "s1",
            stage_id="done",
            created_at=ago(10),
            closed_at=ago(9),
            category="BILLING_ISSUE",
            pipeline_id="sp",
        ),
    )


def _products_and_lines() -> dict[str, object]:
    """New products (created within 365 days): p_new (100 days), p_new2 (364 days); p_old (800 days)
    and p_edge (366 days) are not. Won in the window (sales pipeline): w1 1,000, w2 500, w3 (no
    amount); w4 lost; o1 open. Line items: w1 p_new 300 and p_old 700, w2 p_old 500, w3 p_new2 50,
    o1 p_new 999 (not won), one without a deal."""
    deals = (
        deal("w1", stage_id="W", amount="1000", close_date=ago(10)),
        deal("w2", stage_id="W", amount="500", close_date=ago(20)),
        deal("w3", stage_id="W", close_date=ago(30)),
        deal("w4", stage_id="L", amount="800", close_date=ago(30)),
        deal("o1", stage_id="A", amount="999", close_date=ago(-30)),
    )
    products = (
        product("p_new", name="AI Forecasting", created_at=ago(100)),
        product("p_new2", name="Connector", created_at=ago(364)),
        product("p_old", name="Platform", created_at=ago(800)),
        product("p_edge", name="Seats", created_at=ago(366)),
    )
    lines = (
        line_item("l1", deal_id="w1", product_id="p_new", amount="300"),
        line_item("l2", deal_id="w1", product_id="p_old", amount="700"),
        line_item("l3", deal_id="w2", product_id="p_old", amount="500"),
        line_item("l4", deal_id="w3", product_id="p_new2", amount="50"),
        line_item("l5", deal_id="o1", product_id="p_new", amount="999"),
        line_item("l6", product_id="p_new", amount="10"),
    )
    return {"deals": deals, "products": products, "line_items": lines}


def _portal(**fields: object) -> object:
    parts = _products_and_lines()
    deals = parts.pop("deals")
    assert isinstance(deals, tuple)
    fields = {"feedback": _feedback(), "tickets": _requests(), **parts, **fields}
    return object_portal(*deals, **fields)


def test_feedback_items_and_the_drop_signal() -> None:
    """Now: a1, a2, a3 + f1, f2, f3 = 6. Before: b0..b6 + f4, f5 = 9. Fell by 3/9 = 33.3 % (> 30):
    a signal and the 'feedback falling' deduction (15)."""
    report = analyze(_portal(), "innovation")
    assert report.metrics["feedback_items"].value == 6
    assert report.metrics["feedback_items_previous"].value == 9
    [signal] = [s for s in report.signals if s.type is SignalType.FEEDBACK_DROP]
    assert signal.evidence["drop_percent"] == 33.3
    assert report.metrics["feedback_items"].status is MetricStatus.WARNING
    calmer = analyze(_portal(), "innovation", config=AnalysisConfig(feedback_drop_above=40))
    assert not [s for s in calmer.signals if s.type is SignalType.FEEDBACK_DROP]


def test_feature_requests() -> None:
    """Closed in the window: f2 (30 days), f4 (100 days): 2, median (30 + 100) / 2 = 65.0 days.
    Created in the window 3, still open 2 (f1, f3) = 66.7 % > 50: piling up (15 points)."""
    report = analyze(_portal(), "innovation")
    assert report.metrics["feature_requests_closed"].value == 2
    assert report.metrics["feature_request_days"].value == 65.0
    assert report.metrics["feature_requests_open"].value == 2
    assert report.metrics["feature_requests_open"].status is MetricStatus.WARNING


def test_new_products_adoption_and_revenue_share() -> None:
    """New products: 2. Won in the window: w1, w2, w3; with a new-product line item: w1 (l1), w3 (l4)
    -> 2/3 = 66.7 %, healthy. Revenue share: (300 + 50) / won value 1,500 (w3 has no amount) = 23.3 %.
    Score: 100 - 15 (feedback falling) - 15 (feature requests piling up) = 70, Healthy."""
    report = analyze(_portal(), "innovation")
    assert report.metrics["new_products"].value == 2
    assert report.metrics["new_product_adoption"].value == 66.7
    assert report.metrics["new_product_adoption"].status is MetricStatus.HEALTHY
    assert report.metrics["new_product_revenue_share"].value == 23.3
    assert report.score == 70
    assert report.label is HealthLabel.HEALTHY


def test_deductions_for_no_feedback_no_new_products_and_low_adoption() -> None:
    """No feedback at all (30), no new product (20), and adoption 0 % of 1 won deal (critical, 20):
    100 - 70 = 30. The products are read, and an old one is on the won deal."""
    snap = object_portal(
        deal("w", stage_id="W", amount="100", close_date=ago(3)),
        products=(product("p", created_at=ago(900)),),
        line_items=(line_item("l", deal_id="w", product_id="p", amount="100"),),
    )
    report = analyze(snap, "innovation")
    assert report.metrics["feedback_items"].value == 0
    assert report.metrics["new_products"].value == 0
    assert report.metrics["new_product_adoption"].value == 0.0
    assert report.score == 30
    assert report.label is HealthLabel.CRITICAL


def test_insufficient_data_only_when_nothing_is_in_the_window() -> None:
    nothing = analyze(object_portal(), "innovation")
    assert nothing.score is None
    assert nothing.label is HealthLabel.INSUFFICIENT_DATA
    assert {"customer_feedback", "feature_requests", "products", "line_items"} <= {
        g.key for g in nothing.data_gaps
    }
    one_request = analyze(object_portal(tickets=(_requests()[0],)), "innovation")
    assert one_request.score is not None  # one feature request in the window is something to judge


def test_a_refused_scope_names_it_and_the_rest_still_scores() -> None:
    snap = _portal(object_reads=refused(ObjectType.LINE_ITEMS, "crm.objects.line_items.read"))
    report = analyze(snap, "innovation")
    assert "new_product_adoption" not in report.metrics
    gap = next(g for g in report.data_gaps if g.key == "line_items")
    assert "crm.objects.line_items.read" in gap.missing
    assert report.metrics["new_products"].value == 2
    assert report.score == 70
    products = analyze(
        _portal(object_reads=refused(ObjectType.PRODUCTS, "crm.objects.products.read")), "innovation"
    )
    assert "new_products" not in products.metrics
    assert "crm.objects.products.read" in next(g for g in products.data_gaps if g.key == "products").missing
