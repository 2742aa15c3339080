"""Innovation engine: gather, prioritize, build/test, launch - mostly outside the deal CRM.

A deal snapshot holds no feedback, roadmap, experiment or launch data, so this engine is honest about
it: it reports "Insufficient data" with the data gaps that would unlock a score, plus the CRM's own
data quality (the raw material every engine depends on). :func:`build` is the whole recipe.
"""

from __future__ import annotations

from engines.context import EngineContext
from engines.measures import percent
from engines.models import DataGap, EngineName, EngineReport, Metric, MetricStatus
from engines.records import DealIssue, SnapshotStats
from engines.scoring import below_status, health_label
from engines.signals import data_quality_signals, rank

__all__ = ["GAPS", "PURPOSE", "build", "innovation_metrics"]

PURPOSE = "Innovation shows whether customer input turns into products that are launched and adopted."

GAPS = (
    DataGap(
        key="customer_feedback",
        missing="feature requests or feedback linked to companies or deals",
        unlocks="what customers ask for, weighted by revenue",
    ),
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
    DataGap(
        key="launch_adoption",
        missing="launch dates and product usage or adoption data",
        unlocks="adoption of what was launched and its revenue effect",
    ),
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
    """The innovation report: unscored, with the data gaps that would unlock a score."""
    st = ctx.stats
    return ctx.report(
        EngineName.INNOVATION,
        score=None,
        label=health_label(None, st.config),
        purpose=PURPOSE,
        metrics=innovation_metrics(st),
        signals=rank(data_quality_signals(st)),
        data_gaps=GAPS,
    )
