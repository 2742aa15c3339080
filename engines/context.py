"""What every engine's ``build`` reads: the snapshot, the chosen scope and the shared statistics.

:func:`engines.analysis.analyze_all` makes one :class:`EngineContext` (one pass over the deals) and
hands it to each engine's ``build(context)``; an engine never loops over deals itself. The at-risk
list is built on first use and shared by the engines that show it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from engines.at_risk import AtRiskList, build_at_risk
from engines.measures import Measures
from engines.models import EngineName, EngineReport, Metric, Pipeline, PortalSnapshot
from engines.objects import ObjectFacts
from engines.records import SnapshotStats

__all__ = ["ALL_PIPELINES", "EngineContext", "card_order"]

ALL_PIPELINES = "All pipelines"


@dataclass(frozen=True)
class EngineContext:
    """One analysis: ``stats`` and ``measures`` cover ``pipeline`` (``None``: all pipelines)."""

    snapshot: PortalSnapshot
    pipeline: Pipeline | None
    renewal: Pipeline | None  # the renewals pipeline (the setting, else the one labelled "renewal")
    stats: SnapshotStats
    measures: Measures
    warnings: tuple[str, ...]

    @cached_property
    def at_risk(self) -> AtRiskList:
        """Every at-risk deal of the scope, largest amount first (built once, shared)."""
        return build_at_risk(self.snapshot, self.stats)

    @cached_property
    def objects(self) -> ObjectFacts:
        """The counts behind the metrics of contacts, tickets, surveys, products, line items and
        goals (each computed on first use, shared by the engines)."""
        return ObjectFacts(self.snapshot, self.stats, selection=self.pipeline)

    @property
    def currency(self) -> str:
        return self.snapshot.portal.currency

    def report(self, engine: EngineName, **fields: object) -> EngineReport:
        """``engine``'s report: the header every report shares plus the engine's own ``fields``."""
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


def card_order(metrics: dict[str, Metric], first: tuple[str, ...]) -> dict[str, Metric]:
    """``metrics`` with the keys of ``first`` (those present) in front: what a card shows first."""
    ordered = {key: metrics[key] for key in first if key in metrics}
    ordered.update((key, metric) for key, metric in metrics.items() if key not in ordered)
    return ordered
