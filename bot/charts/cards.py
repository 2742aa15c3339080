"""Which charts go with an engine card: the score over the last reports, and for the Growth engine
time in stage and stage-to-stage conversion. Chart kinds are prefixed with the engine
(``growth-score``), so one card's (or one directory's) pictures never collide."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

from bot.charts.chart import Chart, ScorePoint
from bot.charts.history import score_chart
from bot.charts.stages import conversion_chart, stage_time_chart
from engines import AnalysisConfig, EngineReport

__all__ = ["engine_charts"]


def engine_charts(
    report: EngineReport,
    *,
    labels: Mapping[str, str],
    history: Sequence[ScorePoint] = (),
    config: AnalysisConfig | None = None,
) -> list[Chart]:
    """The charts for ``report``: ``history`` is its engine's scores, oldest first, ending with this
    report's (no score chart when fewer than two have a score); ``labels`` names the stages."""
    made = [
        score_chart(
            history,
            report.engine,
            pipeline_label=report.pipeline_label,
            time_zone=report.time_zone,
            config=config,
        ),
        stage_time_chart(report, labels),
        conversion_chart(report, labels),
    ]
    prefix = report.engine.value
    return [dataclasses.replace(chart, kind=f"{prefix}-{chart.kind}") for chart in made if chart is not None]
