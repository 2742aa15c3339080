"""Fulfillment engine: onboarding, delivery, renewal, expansion and satisfaction.

Deal data shows expansion (won amount from existing-business deals), delivery pressure (deals in the
pipeline's own last open stages and deals about to close) and the renewals pipeline. Renewal rates,
time to first value, open and overdue onboardings, NPS and CSAT come from renewal deals, onboarding
tickets and survey responses (:mod:`engines.objects.fulfillment`); an object that is empty or whose
scope HubSpot refused is a data gap naming what unlocks it. :func:`build` is the whole recipe: score,
metrics, signals, data gaps, the at-risk deals that concern delivery (late-stage and renewal ones)
and the overdue onboarding tickets.
"""

from __future__ import annotations

from engines.context import EngineContext, card_order
from engines.measures import Measures, money, percent
from engines.models import AtRiskDeal, DataGap, EngineName, EngineReport, Metric, MetricStatus, Pipeline
from engines.objects import (
    fulfillment_object_deductions,
    fulfillment_object_gaps,
    fulfillment_object_measurable,
    fulfillment_object_metrics,
    overdue_onboardings,
)
from engines.records import RiskFlag, SnapshotStats
from engines.scoring import Deduction, above_status, below_status, health_label, score_from
from engines.signals import data_quality_signals, rank, velocity_signals

__all__ = [
    "PURPOSE",
    "build",
    "fulfillment_data_gaps",
    "fulfillment_deductions",
    "fulfillment_measurable",
    "fulfillment_metrics",
]

PURPOSE = "Fulfillment shows whether won customers are delivered to, renewed and expanded."

# What a card shows first: retention stand-ins, satisfaction, onboarding, then the deal-side load.
CARD_ORDER = (
    "gross_renewal_rate",
    "net_renewal_rate",
    "nps",
    "time_to_first_value_days",
    "csat",
    "overdue_onboardings",
    "expansion_share",
    "late_stage_at_risk",
    "open_onboardings",
    "nps_responses",
)


def _late_share(st: SnapshotStats) -> float | None:
    return percent(st.late_at_risk, st.late_deals)


def fulfillment_metrics(
    st: SnapshotStats, m: Measures, currency: str, renewal: Pipeline | None
) -> dict[str, Metric]:
    cfg = st.config
    window = f"won in the last {st.window_days} days"
    late_share = _late_share(st)
    late_status = above_status(late_share, cfg.at_risk_critical_above, cfg.at_risk_warning_above)
    metrics = {
        "expansion_share": Metric(
            label="Expansion share of won value",
            value=m.expansion_share,
            unit="%",
            status=below_status(m.expansion_share, cfg.expansion_critical_below, cfg.expansion_warning_below),
            note=f"Won amount from existing-business deals / all won amount, deals {window}.",
            benchmark=cfg.expansion_warning_below,
        ),
        "expansion_won_value": Metric(
            label="Expansion won value",
            value=money(st.expansion_won_value),
            unit=currency,
            status=MetricStatus.HEALTHY if st.expansion_won_value > 0 else MetricStatus.WARNING,
            note=f"Sum of amounts of existing-business deals {window}.",
        ),
        "won_value": Metric(
            label="Won value",
            value=money(st.won_value),
            unit=currency,
            status=MetricStatus.HEALTHY if st.won_value > 0 else MetricStatus.WARNING,
            note=f"Sum of amounts of deals {window}: the work delivery has to absorb.",
        ),
        "late_stage_deals": Metric(
            label="Late-stage deals",
            value=st.late_deals,
            unit="deals",
            status=late_status if st.late_deals else MetricStatus.HEALTHY,
            note=f"Open deals in the last {cfg.late_stage_count} open stages of their pipeline.",
        ),
        "late_stage_value": Metric(
            label="Late-stage value",
            value=money(st.late_value),
            unit=currency,
            status=late_status if st.late_deals else MetricStatus.HEALTHY,
            note="Sum of amounts of late-stage deals: the delivery load that is about to arrive.",
        ),
        "late_stage_at_risk": Metric(
            label="Late-stage deals at risk",
            value=st.late_at_risk,
            unit="deals",
            status=late_status if st.late_deals else MetricStatus.UNKNOWN,
            note=f"{late_share if late_share is not None else 0} % of late-stage deals are at risk.",
        ),
        "closing_soon_deals": Metric(
            label="Deals closing soon",
            value=st.closing_soon_deals,
            unit="deals",
            status=MetricStatus.HEALTHY,
            note=f"Open deals with a close date in the next {cfg.closing_soon_days} days.",
        ),
        "closing_soon_value": Metric(
            label="Value closing soon",
            value=money(st.closing_soon_value),
            unit=currency,
            status=MetricStatus.HEALTHY,
            note=f"Sum of amounts of open deals closing in the next {cfg.closing_soon_days} days.",
        ),
    }
    if renewal is not None:
        ps = st.pipelines.get(renewal.id)
        if ps is not None:
            share = percent(ps.at_risk, ps.open_deals)
            metrics["renewal_open_deals"] = Metric(
                label=f"Open renewals ({renewal.label})",
                value=ps.open_deals,
                unit="deals",
                status=MetricStatus.HEALTHY,
                note="Open deals in the configured renewals pipeline.",
            )
            metrics["renewal_pipeline_value"] = Metric(
                label="Renewal pipeline value",
                value=money(ps.open_value),
                unit=currency,
                status=MetricStatus.HEALTHY,
                note="Sum of amounts of open renewal deals.",
            )
            metrics["renewal_at_risk"] = Metric(
                label="Renewals at risk",
                value=ps.at_risk,
                unit="deals",
                status=above_status(share, cfg.at_risk_critical_above, cfg.at_risk_warning_above),
                note=f"{share if share is not None else 0} % of open renewals are at risk.",
            )
    return metrics


def fulfillment_measurable(st: SnapshotStats) -> bool:
    """Scored only when there is won business or late-stage pipeline to judge."""
    return st.won_deals > 0 or st.late_deals > 0


def fulfillment_deductions(st: SnapshotStats, m: Measures) -> list[Deduction]:
    cfg = st.config
    out: list[Deduction] = []
    if m.expansion_share is not None:
        if m.expansion_share < cfg.expansion_critical_below:
            out.append(Deduction("expansion_share", cfg.points_expansion_critical, "almost no expansion"))
        elif m.expansion_share < cfg.expansion_warning_below:
            out.append(Deduction("expansion_share", cfg.points_expansion_warning, "little expansion"))
    late_share = _late_share(st)
    if late_share is not None:
        if late_share > cfg.at_risk_critical_above:
            out.append(
                Deduction("late_stage_at_risk", cfg.points_late_stage_at_risk_critical, "late deals at risk")
            )
        elif late_share > cfg.at_risk_warning_above:
            out.append(
                Deduction(
                    "late_stage_at_risk", cfg.points_late_stage_at_risk_warning, "some late deals at risk"
                )
            )
    return out


def fulfillment_data_gaps(st: SnapshotStats, m: Measures) -> list[DataGap]:
    """The deal-side gaps; renewals, onboarding and surveys are :mod:`engines.objects.fulfillment`'s."""
    gaps: list[DataGap] = []
    if m.expansion_share is None:
        gaps.append(
            DataGap(
                key="won_deals_in_window",
                missing=f"no won deal amounts in the last {st.window_days} days",
                unlocks="expansion share",
            )
        )
    return gaps


def _late_stage_ids(st: SnapshotStats) -> set[str]:
    """The open stages each pipeline counts as late (its last ``late_stage_count`` open stages)."""
    late_ids: set[str] = set()
    for ps in st.pipelines.values():
        late_ids.update(ps.open_stage_ids[ps.late_from :])
    return late_ids


def _delivery_at_risk(ctx: EngineContext) -> tuple[AtRiskDeal, ...]:
    """The at-risk deals delivery must watch: late-stage ones and those in the renewals pipeline."""
    renewal_id = ctx.renewal.id if ctx.renewal is not None else None
    flags = ctx.stats.at_risk.flags
    return tuple(
        deal
        for deal, row in zip(ctx.at_risk.deals, ctx.at_risk.rows, strict=True)
        if flags[row] & RiskFlag.LATE_STAGE or (renewal_id is not None and deal.pipeline_id == renewal_id)
    )


def build(ctx: EngineContext) -> EngineReport:
    """The fulfillment report: expansion, late-stage load and renewals, scored when measurable."""
    st, m, facts = ctx.stats, ctx.measures, ctx.objects
    measurable = fulfillment_measurable(st) or fulfillment_object_measurable(facts)
    deductions = [*fulfillment_deductions(st, m), *fulfillment_object_deductions(facts)]
    score = score_from(deductions) if measurable else None
    signals = [
        *velocity_signals(st, m, stages=_late_stage_ids(st)),
        *data_quality_signals(st, fields=("deal_type", "close_date")),
    ]
    metrics = {**fulfillment_metrics(st, m, ctx.currency, ctx.renewal), **fulfillment_object_metrics(facts)}
    return ctx.report(
        EngineName.FULFILLMENT,
        score=score,
        label=health_label(score, st.config),
        purpose=PURPOSE,
        metrics=card_order(metrics, CARD_ORDER),
        signals=rank(signals),
        data_gaps=(*fulfillment_data_gaps(st, m), *fulfillment_object_gaps(facts)),
        at_risk=_delivery_at_risk(ctx),
        overdue_onboardings=overdue_onboardings(facts),
    )
