"""Charts as PNG pictures with alt text: the score over the last reports, the pipeline waterfall, time
in stage against its benchmark, and stage-to-stage conversion.

Each function returns a :class:`Chart` (or ``None`` when there is nothing to draw), never raises on
thin data, and writes the alt text from the same numbers it draws, so the words say what the
picture says. The Slack side uploads ``Chart.png`` (:mod:`bot.charts.upload`); the CLI writes it to
a directory (``engine-bot report … --chart DIR``).
"""

from __future__ import annotations

from bot.charts.cards import engine_charts
from bot.charts.chart import Chart, ScorePoint, stage_labels
from bot.charts.history import score_chart
from bot.charts.stages import conversion_chart, stage_time_chart
from bot.charts.waterfall import waterfall_chart

__all__ = [
    "Chart",
    "ScorePoint",
    "conversion_chart",
    "engine_charts",
    "score_chart",
    "stage_labels",
    "stage_time_chart",
    "waterfall_chart",
]
