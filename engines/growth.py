"""Growth engine: create demand, capture it, convert it - the sales pipeline itself.

Reads the shared statistics only (no loop over deals here); the score rules are the original ones:
volume, average stage conversion, sales cycle, early-stage concentration and at-risk share.
:func:`build` is the whole recipe: score, metrics, signals, data gaps and the at-risk list.
"""

from __future__ import annotations

from engines.context import EngineContext, card_order
from engines.measures import Measures, money, percent, round1
from engines.models import DataGap, EngineName, EngineReport, Metric, MetricStatus
from engines.objects import growth_object_gaps, growth_object_metrics
from engines.records import DealIssue, SnapshotStats
from engines.scoring import Deduction, above_status, below_status, health_label, score_from
from engines.signals import (
    attribution_signals,
    conversion_signals,
    data_quality_signals,
    rank,
    velocity_signals,
    win_loss_signals,
)

__all__ = ["PURPOSE", "build", "growth_data_gaps", "growth_deductions", "growth_metrics"]

PURPOSE = "Growth shows whether the pipeline creates, moves and wins enough deals to hit the number."

# What a card shows first (it shows the first few metrics): the number, then how the pipeline converts.
CARD_ORDER = (
    "pipeline_coverage",
    "win_rate",
    "lead_to_qualified",
    "open_deals",
    "pipeline_value",
    "avg_sales_cycle_days",
    "leads_created",
    "at_risk_deals",
    "avg_conversion_rate",
    "weighted_pipeline_coverage",
)


def _days_status(days: dict[str, float], benchmark: float) -> MetricStatus:
    if not days:
        return MetricStatus.UNKNOWN
    worst = max(days.values())
    if worst > 2 * benchmark:
        return MetricStatus.CRITICAL
    if worst > benchmark:
        return MetricStatus.WARNING
    return MetricStatus.HEALTHY


def _value_status(value: float, deals: int) -> MetricStatus:
    return (
        MetricStatus.HEALTHY if value > 0 else MetricStatus.CRITICAL if deals == 0 else MetricStatus.WARNING
    )


def growth_metrics(st: SnapshotStats, m: Measures, currency: str) -> dict[str, Metric]:
    cfg = st.config
    window = f"closed in the last {st.window_days} days"
    open_n = st.open_deals
    no_entry = st.issues.get(DealIssue.NO_STAGE_ENTRY, 0)
    at_risk_n = len(st.at_risk)
    risk_share = m.at_risk_share if m.at_risk_share is not None else 0
    at_risk_value = sum(st.at_risk.amounts)
    return {
        "open_deals": Metric(
            label="Open deals",
            value=open_n,
            unit="deals",
            status=below_status(open_n, cfg.volume_critical_below, cfg.volume_warning_below),
            note="Deals not in a closed stage of their pipeline (unlisted/archived stages count as open).",
            benchmark=float(cfg.volume_warning_below),
        ),
        "pipeline_value": Metric(
            label="Pipeline value",
            value=money(st.open_value),
            unit=currency,
            status=_value_status(st.open_value, open_n),
            note="Sum of open deal amounts; missing or unusable amounts count as 0.",
        ),
        "weighted_pipeline_value": Metric(
            label="Weighted pipeline",
            value=money(st.weighted_value),
            unit=currency,
            status=_value_status(st.weighted_value, open_n),
            note=f"Open amounts times stage probability; {st.open_without_probability} open deals "
            "have no stage probability and add 0.",
        ),
        "win_rate": Metric(
            label="Win rate",
            value=m.win_rate,
            unit="%",
            status=below_status(m.win_rate, cfg.win_rate_critical_below, cfg.win_rate_warning_below),
            note=f"Won / (won + lost), deals {window}.",
            benchmark=cfg.win_rate_warning_below,
        ),
        "avg_sales_cycle_days": Metric(
            label="Average sales cycle",
            value=m.avg_cycle_days,
            unit="days",
            status=above_status(m.avg_cycle_days, cfg.cycle_critical_above, cfg.cycle_warning_above),
            note=f"Mean days from create date to close date of won deals {window}.",
            benchmark=cfg.cycle_warning_above,
        ),
        "avg_days_in_stage": Metric(
            label="Average days in stage",
            value=m.avg_days_in_stage or None,
            unit="days",
            status=_days_status(m.avg_days_in_stage, cfg.stage_days_benchmark),
            note="Per stage id: days since open deals entered their current stage; open deals "
            f"without an entry timestamp are left out ({no_entry}).",
            benchmark=cfg.stage_days_benchmark,
        ),
        "conversion_rates": Metric(
            label="Stage-to-stage conversion",
            value=m.conversion_rates or None,
            unit="%",
            status=below_status(
                m.avg_conversion, cfg.conversion_critical_below, cfg.conversion_warning_below
            ),
            note="Of deals that entered a stage (stage history, open and closed), the share that "
            "reached a later stage or were won.",
            benchmark=cfg.conversion_benchmark,
        ),
        "avg_conversion_rate": Metric(
            label="Average stage conversion",
            value=m.avg_conversion,
            unit="%",
            status=below_status(
                m.avg_conversion, cfg.conversion_critical_below, cfg.conversion_warning_below
            ),
            note="Mean of the stage-to-stage conversion rates.",
            benchmark=cfg.conversion_warning_below,
        ),
        "at_risk_deals": Metric(
            label="At-risk deals",
            value=at_risk_n,
            unit="deals",
            status=above_status(m.at_risk_share, cfg.at_risk_critical_above, cfg.at_risk_warning_above),
            note=f"Open deals with no activity for {cfg.stale_activity_days}+ days, past their close "
            f"date, or open {cfg.max_open_age_days}+ days ({risk_share} % of open deals).",
        ),
        "at_risk_value": Metric(
            label="Value at risk",
            value=money(at_risk_value),
            unit=currency,
            status=above_status(
                percent(at_risk_value, st.open_value), cfg.at_risk_critical_above, cfg.at_risk_warning_above
            ),
            note="Sum of amounts of the at-risk deals.",
        ),
        "early_stage_share": Metric(
            label="Deals in early stages",
            value=m.early_share,
            unit="%",
            status=above_status(m.early_share, 100.0, cfg.early_stage_share_above),
            note=f"Share of open deals in the first {round1(cfg.early_stage_fraction * 100)} % of "
            "their pipeline's open stages.",
            benchmark=cfg.early_stage_share_above,
        ),
        "won_deals": Metric(
            label="Won deals",
            value=st.won_deals,
            unit="deals",
            status=MetricStatus.HEALTHY if st.won_deals else MetricStatus.WARNING,
            note=f"Deals in a won stage, {window}.",
        ),
        "lost_deals": Metric(
            label="Lost deals",
            value=st.lost_deals,
            unit="deals",
            status=MetricStatus.HEALTHY,
            note=f"Deals in a closed stage that is not won, {window}.",
        ),
        "won_value": Metric(
            label="Won value",
            value=money(st.won_value),
            unit=currency,
            status=MetricStatus.HEALTHY if st.won_value > 0 else MetricStatus.WARNING,
            note=f"Sum of amounts of deals won, {window}.",
        ),
        "deals_without_stage_entry": Metric(
            label="Open deals without stage entry time",
            value=no_entry,
            unit="deals",
            status=MetricStatus.HEALTHY if no_entry == 0 else MetricStatus.WARNING,
            note="Their time in stage is unknown (never guessed from the deal's age).",
        ),
    }


def growth_deductions(st: SnapshotStats, m: Measures) -> list[Deduction]:
    cfg = st.config
    out: list[Deduction] = []
    if st.open_deals < cfg.volume_critical_below:
        out.append(Deduction("open_deals", cfg.points_volume_critical, "very few open deals"))
    elif st.open_deals < cfg.volume_warning_below:
        out.append(Deduction("open_deals", cfg.points_volume_warning, "few open deals"))
    if m.avg_conversion is not None:
        if m.avg_conversion < cfg.conversion_critical_below:
            out.append(
                Deduction("avg_conversion_rate", cfg.points_conversion_critical, "very low conversion")
            )
        elif m.avg_conversion < cfg.conversion_warning_below:
            out.append(Deduction("avg_conversion_rate", cfg.points_conversion_warning, "low conversion"))
    if m.avg_cycle_days is not None:
        if m.avg_cycle_days > cfg.cycle_critical_above:
            out.append(Deduction("avg_sales_cycle_days", cfg.points_cycle_critical, "very long sales cycle"))
        elif m.avg_cycle_days > cfg.cycle_warning_above:
            out.append(Deduction("avg_sales_cycle_days", cfg.points_cycle_warning, "long sales cycle"))
    if m.early_share is not None and m.early_share > cfg.early_stage_share_above:
        out.append(Deduction("early_stage_share", cfg.points_early_stage, "pipeline stuck in early stages"))
    if m.at_risk_share is not None:
        if m.at_risk_share > cfg.at_risk_critical_above:
            out.append(Deduction("at_risk_deals", cfg.points_at_risk_critical, "most open deals at risk"))
        elif m.at_risk_share > cfg.at_risk_warning_above:
            out.append(Deduction("at_risk_deals", cfg.points_at_risk_warning, "many open deals at risk"))
    return out


def growth_data_gaps(st: SnapshotStats, m: Measures) -> list[DataGap]:
    gaps: list[DataGap] = []
    no_entry = st.issues.get(DealIssue.NO_STAGE_ENTRY, 0)
    if no_entry:
        gaps.append(
            DataGap(
                key="stage_entry_timestamps",
                missing=f"current-stage entry timestamps of open deals ({no_entry} without one)",
                unlocks="exact time in stage and velocity signals for those deals",
            )
        )
    if m.win_rate is None:
        gaps.append(
            DataGap(
                key="closed_deals_in_window",
                missing=f"no won or lost deals with a close date in the last {st.window_days} days",
                unlocks="win rate",
            )
        )
    if m.avg_cycle_days is None:
        gaps.append(
            DataGap(
                key="won_deals_with_dates",
                missing="no won deals in the window with both create and close dates",
                unlocks="average sales cycle",
            )
        )
    if not m.conversions:
        gaps.append(
            DataGap(
                key="stage_history",
                missing="no stage-entry history for the pipeline's open stages",
                unlocks="stage-to-stage conversion and drop-off signals",
            )
        )
    return gaps


def build(ctx: EngineContext) -> EngineReport:
    """The growth report: every open deal at risk, signals on velocity, conversion, wins and data."""
    st, m = ctx.stats, ctx.measures
    score = score_from(growth_deductions(st, m)) if st.deals_analyzed else None
    signals = [
        *velocity_signals(st, m),
        *conversion_signals(st, m),
        *win_loss_signals(st, m, {o.id: o.name for o in ctx.snapshot.owners}),
        *attribution_signals(st, m),
        *data_quality_signals(st),
    ]
    return ctx.report(
        EngineName.GROWTH,
        score=score,
        label=health_label(score, st.config),
        purpose=PURPOSE,
        metrics=card_order(
            {**growth_metrics(st, m, ctx.currency), **growth_object_metrics(ctx.objects)}, CARD_ORDER
        ),
        signals=rank(signals),
        data_gaps=(*growth_data_gaps(st, m), *growth_object_gaps(ctx.objects)),
        at_risk=ctx.at_risk.deals,
    )
