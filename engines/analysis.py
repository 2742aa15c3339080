"""Public entry points: snapshot in, one typed report per engine out.

This module only orchestrates. :func:`analyze_all` computes the shared statistics once (one pass over
the deals) into an :class:`~engines.context.EngineContext` and hands it to each engine's
``build(context)`` (:mod:`engines.growth`, :mod:`engines.fulfillment`, :mod:`engines.innovation`),
where that engine's whole recipe lives; :func:`analyze` builds one report. ``now`` defaults to the
snapshot's ``taken_at`` so a stored snapshot always gives the same answer; pass ``now`` to analyse
"as of" another moment.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from engines import fulfillment, growth, innovation
from engines.config import AnalysisConfig
from engines.context import EngineContext
from engines.dates import to_utc
from engines.errors import UnknownEngineError, UnknownPipelineError
from engines.measures import measure
from engines.models import EngineName, EngineReport, Pipeline, PortalSnapshot
from engines.objects._common import resolve_by_label
from engines.objects.facts import coverage_target
from engines.records import SnapshotStats
from engines.stats import compute_stats

__all__ = ["analyze", "analyze_all", "resolve_engine", "resolve_pipeline"]


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
) -> EngineContext:
    cfg = config or AnalysisConfig()
    chosen = resolve_pipeline(snapshot, pipeline)
    when = to_utc(now) if now is not None else None
    at = when or snapshot.taken_at
    target = coverage_target(snapshot, at, cfg)  # its period is summed in the same pass
    period = (target.start, target.end) if target is not None else None
    stats = compute_stats(snapshot, chosen, now=at, config=cfg, period=period)
    # The setting, else the one pipeline labelled "renewal" (several: none guessed; a data gap says so).
    renewal, _ = resolve_by_label(snapshot.pipelines, cfg.renewal_pipeline, "renewal")
    warnings = _warnings(snapshot, stats)
    if cfg.renewal_pipeline and renewal is None:
        # A typo in the setting must not read as "no renewals pipeline configured".
        names = ", ".join(p.label for p in snapshot.pipelines) or "none"
        warnings += (
            f"The renewals pipeline '{cfg.renewal_pipeline}' is not in this portal (pipelines: {names}).",
        )
    return EngineContext(
        snapshot=snapshot,
        pipeline=chosen,
        renewal=renewal,
        stats=stats,
        measures=measure(stats),
        warnings=warnings,
    )


# Each engine's whole recipe is its module's ``build(context)``.
_BUILDERS: dict[EngineName, Callable[[EngineContext], EngineReport]] = {
    EngineName.GROWTH: growth.build,
    EngineName.FULFILLMENT: fulfillment.build,
    EngineName.INNOVATION: innovation.build,
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
