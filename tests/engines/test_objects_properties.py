"""Property tests for the object metrics: hostile contacts, tickets, survey responses, products, line
items and goals (garbage dates and numbers, unknown stages and pipelines) never crash the analysis,
and every rate stays in its range."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engines import AnalysisConfig, analyze_all
from engines.models import (
    Contact,
    Deal,
    FeedbackSubmission,
    GoalTarget,
    LineItem,
    ObjectRead,
    ObjectType,
    PortalSnapshot,
    Product,
    ReadState,
    Ticket,
)
from tests.engines.objects_portals import line_item, object_portal, product
from tests.engines.portals import NOW, ago, deal
from tests.engines.test_properties import amounts, dates, raw_deals

PROPORTIONS = (
    "lead_to_qualified",
    "gross_renewal_rate",
    "csat",
    "new_product_adoption",
)
NON_NEGATIVE = (
    "leads_created",
    "net_renewal_rate",
    "pipeline_coverage",
    "weighted_pipeline_coverage",
    "time_to_first_value_days",
    "open_onboardings",
    "overdue_onboardings",
    "nps_responses",
    "feedback_items",
    "feedback_items_previous",
    "feature_requests_closed",
    "feature_request_days",
    "feature_requests_open",
    "new_products",
    "new_product_revenue_share",
)
LIFECYCLE = ["lead", "marketingqualifiedlead", "customer", "2444598513", "subscriber"]
ids = st.sampled_from(["1", "2", "3", "4", "x", ""])
texts = st.one_of(
    st.none(), st.sampled_from(["", "  ", "FEATURE_REQUEST", "NPS", "CSAT", "PROMOTER", "nps", "other"])
)


@st.composite
def portals(draw: st.DrawFn) -> PortalSnapshot:
    def many(build: Any, **fields: Any) -> tuple[Any, ...]:
        rows = draw(st.lists(st.fixed_dictionaries(fields), max_size=8))
        return tuple(build.model_validate({"id": str(i), **row}) for i, row in enumerate(rows))

    deals = tuple(Deal.model_validate(draw(raw_deals(i))) for i in range(draw(st.integers(0, 8))))
    reads = draw(
        st.dictionaries(
            st.sampled_from(list(ObjectType)),
            st.builds(ObjectRead, state=st.sampled_from(list(ReadState))),
        )
    )
    return object_portal(
        *deals,
        object_reads=reads,
        contacts=many(
            Contact, stage_entered_at=st.dictionaries(st.sampled_from(LIFECYCLE), dates, max_size=3)
        ),
        tickets=many(
            Ticket,
            pipeline_id=st.sampled_from(["ob", "sp", "nope", None]),
            stage_id=st.sampled_from(["kick", "live", "new", "done", "ghost", None]),
            category=texts,
            created_at=dates,
            closed_at=dates,
        ),
        feedback=many(
            FeedbackSubmission,
            survey_type=texts,
            value=amounts,
            response_group=texts,
            content=texts,
            submitted_at=dates,
            created_at=dates,
        ),
        products=many(Product, created_at=dates),
        line_items=many(
            LineItem, deal_id=st.sampled_from(["d0", "d1", "d2", None]), product_id=ids, amount=amounts
        ),
        goals=many(GoalTarget, target_amount=amounts, start_at=dates, end_at=dates),
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(portals(), st.one_of(st.none(), st.floats(min_value=0, max_value=1e9)))
def test_object_metrics_stay_in_range(snap: PortalSnapshot, target: float | None) -> None:
    for report in analyze_all(snap, config=AnalysisConfig(revenue_target=target)):
        json.dumps(report.to_json_dict(), allow_nan=False)
        for key in PROPORTIONS:
            value = report.metrics[key].value if key in report.metrics else None
            assert value is None or 0.0 <= value <= 100.0, (key, value)  # type: ignore[operator]
        for key in NON_NEGATIVE:
            value = report.metrics[key].value if key in report.metrics else None
            assert value is None or value >= 0, (key, value)  # type: ignore[operator]
        if "nps" in report.metrics:
            nps = report.metrics["nps"].value
            assert isinstance(nps, float)
            assert -100.0 <= nps <= 100.0
        assert report.score is None or 0 <= report.score <= 100
        assert all(t.days_open is None or t.days_open >= 0 for t in report.overdue_onboardings)


def test_absurd_ratios_stay_finite() -> None:
    """A target of 5e-324 and a won deal of 1e-300 make ratios beyond a float's range: they are
    capped (1e300), never infinite, so the JSON form stays valid."""
    snap = object_portal(
        deal("o", stage_id="B", amount="1e12", close_date=NOW),
        deal("w", stage_id="W", amount="1e-300", close_date=ago(1)),
        products=(product("p", created_at=ago(1)),),
        line_items=(line_item("l", deal_id="w", product_id="p", amount="1e12"),),
    )
    for report in analyze_all(snap, config=AnalysisConfig(revenue_target=5e-324)):
        json.dumps(report.to_json_dict(), allow_nan=False)
    growth, _, innovation = analyze_all(snap, config=AnalysisConfig(revenue_target=5e-324))
    assert growth.metrics["pipeline_coverage"].value == 1e300
    assert innovation.metrics["new_product_revenue_share"].value == 1e300
