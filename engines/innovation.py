"""Innovation engine: gather, prioritize, build/test, launch.

Customer feedback (survey comments and feature-request tickets), how feature requests are answered,
products launched in the last year and their adoption on won deals come from HubSpot's feedback
submissions, tickets, products and line items (:mod:`engines.objects.innovation`); roadmaps and
experiments live outside the CRM and stay data gaps. The CRM's own data quality (the raw material
every engine depends on) is reported beside them. :func:`build` is the whole recipe.
"""

from __future__ import annotations

from engines.context import EngineContext, card_order
from engines.measures import percent
from engines.models import DataGap, EngineName, EngineReport, Metric, MetricStatus
from engines.objects import (
    innovation_object_deductions,
    innovation_object_gaps,
    innovation_object_measurable,
    innovation_object_metrics,
    innovation_object_signals,
)
from engines.records import DealIssue, SnapshotStats
from engines.scoring import below_status, health_label, score_from
from engines.signals import data_quality_signals, rank

__all__ = ["GAPS", "PURPOSE", "build", "innovation_metrics"]

PURPOSE = "Innovation shows whether customer input turns into products that are launched and adopted."

# Still outside the CRM: no HubSpot object holds a roadmap or experiments.
GAPS = (
    DataGap(
        key="prioritization",
        missing="a roadmap or backlog with priorities",
        unlocks="whether the most valuable requests are worked on",
    ),
    DataGap(
        key="build_and_test",
        missing="experiment, beta or delivery data",
        unlocks="time from request to tested solution",
    ),
)

# What a card shows first: what customers ask for, what was launched and whether it sells.
CARD_ORDER = (
    "feedback_items",
    "new_product_adoption",
    "new_products",
    "feature_requests_closed",
    "feature_request_days",
    "new_product_revenue_share",
    "feature_requests_open",
    "feedback_items_previous",
)


def innovation_metrics(st: SnapshotStats) -> dict[str, Metric]:
    cfg = st.config
    shares = [
        percent(filled, st.open_deals if key == "stage_entry" else st.deals_analyzed)
        for key, filled in st.filled.items()
    ]
    known = [s for s in shares if s is not None]
    completeness = round(sum(known) / len(known), 1) if known else None
    unlisted = st.issues.get(DealIssue.UNLISTED_STAGE, 0) + st.issues.get(DealIssue.ARCHIVED_STAGE, 0)
    missing_amount = st.issues.get(DealIssue.MISSING_AMOUNT, 0)
    return {
        "field_completeness": Metric(
            label="CRM field completeness",
            value=completeness,
            unit="%",
            status=below_status(completeness, cfg.field_completeness_below / 2, cfg.field_completeness_below),
            note="Mean share of deals with amount, close date, owner, create date, activity, deal type "
            "and current-stage entry time filled in.",
            benchmark=cfg.field_completeness_below,
        ),
        "deals_missing_amount": Metric(
            label="Deals without an amount",
            value=missing_amount,
            unit="deals",
            status=MetricStatus.HEALTHY if missing_amount == 0 else MetricStatus.WARNING,
            note="Missing or non-numeric amounts; they count as 0 in every value.",
        ),
        "deals_in_unlisted_stages": Metric(
            label="Deals in unlisted or archived stages",
            value=unlisted,
            unit="deals",
            status=MetricStatus.HEALTHY if unlisted == 0 else MetricStatus.WARNING,
            note="Stage ids the pipeline no longer lists or has archived; they count as open.",
        ),
    }


def build(ctx: EngineContext) -> EngineReport:
    """The innovation report: feedback, feature requests, new products and their adoption, scored
    when any of them holds something in the window; the CRM's data quality beside them."""
    st, facts = ctx.stats, ctx.objects
    score = score_from(innovation_object_deductions(facts)) if innovation_object_measurable(facts) else None
    metrics = {**innovation_object_metrics(facts), **innovation_metrics(st)}
    return ctx.report(
        EngineName.INNOVATION,
        score=score,
        label=health_label(score, st.config),
        purpose=PURPOSE,
        metrics=card_order(metrics, CARD_ORDER),
        signals=rank([*innovation_object_signals(facts), *data_quality_signals(st)]),
        data_gaps=(*innovation_object_gaps(facts), *GAPS),
    )
