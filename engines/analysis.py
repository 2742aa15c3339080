"""Public entry points: snapshot in, one typed report per engine out.

:func:`analyze_all` computes the shared statistics once (one pass over the deals) and builds all three
reports from them; :func:`analyze` builds one. ``now`` defaults to the snapshot's ``taken_at`` so a
stored snapshot always gives the same answer; pass ``now`` to analyse "as of" another moment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from engines.at_risk import AtRiskList, build_at_risk
from engines.config import AnalysisConfig
from engines.dates import to_utc
from engines.errors import UnknownEngineError, UnknownPipelineError
from engines.fulfillment import PURPOSE as FULFILLMENT_PURPOSE
from engines.fulfillment import (
    fulfillment_data_gaps,
    fulfillment_deductions,
    fulfillment_measurable,
    fulfillment_metrics,
)
from engines.growth import PURPOSE as GROWTH_PURPOSE
from engines.growth import growth_data_gaps, growth_deductions, growth_metrics
from engines.innovation import GAPS as INNOVATION_GAPS
from engines.innovation import PURPOSE as INNOVATION_PURPOSE
from engines.innovation import innovation_metrics
from engines.measures import Measures, measure
from engines.models import EngineName, EngineReport, Pipeline, PortalSnapshot
from engines.records import RiskFlag, SnapshotStats
from engines.scoring import health_label, score_from
from engines.signals import (
    attribution_signals,
    conversion_signals,
    data_quality_signals,
    rank,
    velocity_signals,
    win_loss_signals,
)
from engines.stats import compute_stats

__all__ = ["analyze", "analyze_all", "resolve_engine", "resolve_pipeline"]

ALL_PIPELINES = "All pipelines"


@dataclass(frozen=True)
class _Context:
    snapshot: PortalSnapshot
    pipeline: Pipeline | None
    renewal: Pipeline | None
    stats: SnapshotStats
    measures: Measures
    warnings: tuple[str, ...]

    @cached_property
    def at_risk(self) -> AtRiskList:
        return build_at_risk(self.snapshot, self.stats)

    def report(self, engine: EngineName, **fields: object) -> EngineReport:
        snap = self.snapshot
        return EngineReport.model_validate(
            {
                "engine": engine,
                "pipeline": self.pipeline.id if self.pipeline is not None else None,
                "pipeline_label": self.pipeline.label if self.pipeline is not None else ALL_PIPELINES,
                "as_of": self.stats.now,
                "source": snap.source,
                "time_zone": snap.portal.time_zone,
                "currency": snap.portal.currency,
                "deals_analyzed": self.stats.deals_analyzed,
                "warnings": self.warnings,
                **fields,
            }
        )


def resolve_engine(engine: EngineName | str) -> EngineName:
    """An engine name, case-insensitive; anything else raises :class:`UnknownEngineError`."""
    if isinstance(engine, EngineName):
        return engine
    try:
        return EngineName(str(engine).strip().casefold())
    except ValueError:
        names = ", ".join(e.value for e in EngineName)
        raise UnknownEngineError(f"No engine called '{engine}'. Engines: {names}.") from None


def resolve_pipeline(snapshot: PortalSnapshot, pipeline: str | None) -> Pipeline | None:
    """The pipeline to analyse: ``pipeline`` (id or label), else the snapshot's, else ``None`` (all)."""
    wanted = pipeline if pipeline is not None else snapshot.pipeline_id
    if wanted is None:
        return None
    found = snapshot.find_pipeline(wanted)
    if found is None:  # ids too, case-insensitively: people type "Default" for HubSpot's "default"
        folded = wanted.strip().casefold()
        found = next((p for p in snapshot.pipelines if p.id.casefold() == folded), None)
    if found is None:
        raise UnknownPipelineError(wanted, [p.label for p in snapshot.pipelines])
    return found


def _warnings(snapshot: PortalSnapshot, st: SnapshotStats) -> tuple[str, ...]:
    out: list[str] = []
    read = len(snapshot.deals)
    if snapshot.truncated or (snapshot.deals_total is not None and snapshot.deals_total > read):
        of_total = f" of {snapshot.deals_total:,}" if snapshot.deals_total is not None else ""
        out.append(
            f"Only {read:,}{of_total} deals were read (the read was cut short); every number covers "
            "those deals only."
        )
    if st.window_days < st.config.lookback_days:
        out.append(
            f"The source read closed deals of the last {st.window_days} days only, so win rate and "
            "sales cycle use that window."
        )
    out.extend(snapshot.warnings)
    return tuple(out)


def _prepare(
    snapshot: PortalSnapshot, now: datetime | None, config: AnalysisConfig | None, pipeline: str | None
) -> _Context:
    cfg = config or AnalysisConfig()
    chosen = resolve_pipeline(snapshot, pipeline)
    when = to_utc(now) if now is not None else None
    stats = compute_stats(snapshot, chosen, now=when or snapshot.taken_at, config=cfg)
    renewal = snapshot.find_pipeline(cfg.renewal_pipeline) if cfg.renewal_pipeline else None
    warnings = _warnings(snapshot, stats)
    if cfg.renewal_pipeline and renewal is None:
        # A typo in the setting must not read as "no renewals pipeline configured".
        names = ", ".join(p.label for p in snapshot.pipelines) or "none"
        warnings += (
            f"The renewals pipeline '{cfg.renewal_pipeline}' is not in this portal (pipelines: {names}).",
        )
    return _Context(
        snapshot=snapshot,
        pipeline=chosen,
        renewal=renewal,
        stats=stats,
        measures=measure(stats),
        warnings=warnings,
    )


def _growth(ctx: _Context) -> EngineReport:
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
        purpose=GROWTH_PURPOSE,
        metrics=growth_metrics(st, m, ctx.snapshot.portal.currency),
        signals=rank(signals),
        data_gaps=tuple(growth_data_gaps(st, m)),
        at_risk=ctx.at_risk.deals,
    )


def _fulfillment(ctx: _Context) -> EngineReport:
    st, m = ctx.stats, ctx.measures
    score = score_from(fulfillment_deductions(st, m)) if fulfillment_measurable(st) else None
    late_ids: set[str] = set()
    for ps in st.pipelines.values():
        late_ids.update(ps.open_stage_ids[ps.late_from :])
    renewal_id = ctx.renewal.id if ctx.renewal is not None else None
    flags = st.at_risk.flags
    at_risk = tuple(
        deal
        for deal, row in zip(ctx.at_risk.deals, ctx.at_risk.rows, strict=True)
        if flags[row] & RiskFlag.LATE_STAGE or (renewal_id is not None and deal.pipeline_id == renewal_id)
    )
    signals = [
        *velocity_signals(st, m, stages=late_ids),
        *data_quality_signals(st, fields=("deal_type", "close_date")),
    ]
    return ctx.report(
        EngineName.FULFILLMENT,
        score=score,
        label=health_label(score, st.config),
        purpose=FULFILLMENT_PURPOSE,
        metrics=fulfillment_metrics(st, m, ctx.snapshot.portal.currency, ctx.renewal),
        signals=rank(signals),
        data_gaps=tuple(fulfillment_data_gaps(st, m, ctx.renewal is not None)),
        at_risk=at_risk,
    )


def _innovation(ctx: _Context) -> EngineReport:
    st = ctx.stats
    return ctx.report(
        EngineName.INNOVATION,
        score=None,
        label=health_label(None, st.config),
        purpose=INNOVATION_PURPOSE,
        metrics=innovation_metrics(st),
        signals=rank(data_quality_signals(st)),
        data_gaps=INNOVATION_GAPS,
    )


_BUILDERS: dict[EngineName, Callable[[_Context], EngineReport]] = {
    EngineName.GROWTH: _growth,
    EngineName.FULFILLMENT: _fulfillment,
    EngineName.INNOVATION: _innovation,
}


def analyze(
    snapshot: PortalSnapshot,
    engine: EngineName | str,
    *,
    now: datetime | None = None,
    config: AnalysisConfig | None = None,
    pipeline: str | None = None,
) -> EngineReport:
    """One engine's report. Raises ``UnknownEngineError`` / ``UnknownPipelineError`` on bad names."""
    name = resolve_engine(engine)
    return _BUILDERS[name](_prepare(snapshot, now, config, pipeline))


def analyze_all(
    snapshot: PortalSnapshot,
    *,
    now: datetime | None = None,
    config: AnalysisConfig | None = None,
    pipeline: str | None = None,
) -> list[EngineReport]:
    """Growth, fulfillment and innovation reports from one pass over the deals."""
    ctx = _prepare(snapshot, now, config, pipeline)
    return [_BUILDERS[name](ctx) for name in EngineName]
