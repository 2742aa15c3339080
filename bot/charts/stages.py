"""Per-stage charts from the Growth report: time in stage against its benchmark, and stage-to-stage
conversion against its benchmark.

One horizontal bar per stage (or stage pair) in pipeline order, the benchmark as a dashed line with
its value written on it, and each bar labelled with its number and a status word ("over", "below"),
so the picture reads without colour.
"""

from __future__ import annotations

from collections.abc import Mapping

import bot.charts.style as style
from bot.charts.chart import Chart, clip_alt
from engines import EngineReport

__all__ = ["conversion_chart", "stage_time_chart"]

_LABEL_MAX = 30
ARROW = "→"  # conversion_rates keys are "from→to" (docs/json.md)
_BEHIND = {"facecolor": style.BACKGROUND, "edgecolor": "none", "pad": 0.5}


def _short(text: str) -> str:
    return text if len(text) <= _LABEL_MAX else text[: _LABEL_MAX - 1].rstrip() + "…"


def _ordered(values: Mapping[str, float], order: list[str]) -> list[str]:
    rank = {key: i for i, key in enumerate(order)}
    return sorted(values, key=lambda key: (rank.get(key, len(rank)), key))


def _bars(
    heading: str,
    detail: str,
    rows: list[tuple[str, float, str, str]],
    benchmark: float | None,
    benchmark_text: str,
    axis_label: str,
    limit: float | None = None,
) -> bytes:
    """Rows of (label, value, value text, colour). Each label sits on its own line above its bar, so
    the bars get the whole width of a phone; bars not in the first colour are also hatched."""
    fig, ax = style.figure(1.9 + 0.62 * len(rows))
    style.title(fig, heading, detail)
    ys = list(range(len(rows)))
    values = [value for _, value, _, _ in rows]
    colours = [colour for _, _, _, colour in rows]
    bars = ax.barh(ys, values, color=colours, edgecolor=style.INK, linewidth=0.6, height=0.42)
    for bar, colour in zip(bars, colours, strict=True):
        if colour != style.UP:
            bar.set_hatch("//")
    top = max([*values, benchmark or 0.0, 1.0])
    right = limit if limit is not None else top * 1.3
    for y, (label, value, text, _) in zip(ys, rows, strict=True):
        ax.text(
            0,
            y - 0.27,
            label,
            va="bottom",
            ha="left",
            fontsize=style.BASE_FONT - 2,
            color=style.INK,
            bbox=_BEHIND,  # the benchmark line passes behind the words
        )
        ax.text(
            value + right * 0.012,
            y,
            text,
            va="center",
            fontsize=style.BASE_FONT - 2,
            color=style.INK,
            bbox=_BEHIND,
        )
    if benchmark is not None:
        ax.axvline(benchmark, color=style.INK, linestyle="--", linewidth=1.4, zorder=0.5)
        axis_label = f"{axis_label}; dashed line: {benchmark_text}"
    ax.set_yticks([])
    ax.spines["left"].set_visible(False)
    ax.set_ylim(len(rows) + 0.1, -0.85)
    ax.set_xlim(0, right)
    ax.set_xlabel(axis_label, fontsize=style.BASE_FONT - 2, color=style.INK)
    ax.grid(axis="x", color=style.GRID, linewidth=0.8)
    ax.set_axisbelow(True)
    return style.png_bytes(fig)


def _scope(report: EngineReport) -> str:
    return report.pipeline_label or report.pipeline or "all pipelines"


def stage_time_chart(report: EngineReport, labels: Mapping[str, str] | None = None) -> Chart | None:
    """Average days open deals have been in their current stage, per stage, against the benchmark
    (``avg_days_in_stage``); ``None`` when the report has no such metric or no stage with data."""
    metric = report.metrics.get("avg_days_in_stage")
    if metric is None or not isinstance(metric.value, dict) or not metric.value:
        return None
    names = dict(labels or {})
    days = metric.value
    benchmark = metric.benchmark
    rows: list[tuple[str, float, str, str]] = []
    spoken: list[str] = []
    over = 0
    for stage in _ordered(days, list(names)):
        value = days[stage]
        label = _short(names.get(stage, stage))
        if benchmark is not None and value > 2 * benchmark:
            status, colour = "over 2×", style.DOWN
        elif benchmark is not None and value > benchmark:
            status, colour = "over", style.WARN
        else:
            status, colour = ("within" if benchmark is not None else ""), style.UP
        over += status.startswith("over")
        rows.append((label, value, f"{value:g} d {status}".rstrip(), colour))
        spoken.append(f"{names.get(stage, stage)} {value:g} days{f' ({status})' if status else ''}")
    heading = "Days in the current stage vs benchmark"
    mark = f"benchmark {benchmark:g} days" if benchmark is not None else ""
    png = _bars(heading, _scope(report), rows, benchmark, mark, "Average days, open deals")
    alt = f"Bar chart of the average days open deals have been in their current stage ({_scope(report)})"
    alt += f", against a benchmark of {benchmark:g} days: " if benchmark is not None else ": "
    alt += "; ".join(spoken) + "."
    if benchmark is not None:
        alt += f" {over} of {len(rows)} stages are over the benchmark."
    return Chart("time_in_stage", heading, clip_alt(alt), png)


def conversion_chart(report: EngineReport, labels: Mapping[str, str] | None = None) -> Chart | None:
    """Stage-to-stage conversion rates (``conversion_rates``, in %) against the benchmark; ``None``
    when the report has none."""
    metric = report.metrics.get("conversion_rates")
    if metric is None or not isinstance(metric.value, dict) or not metric.value:
        return None
    names = dict(labels or {})
    rates = metric.value
    benchmark = metric.benchmark
    order = [f"{a}{ARROW}{b}" for a in names for b in names]
    rows: list[tuple[str, float, str, str]] = []
    spoken: list[str] = []
    below = 0
    for key in _ordered(rates, order):
        pair = key.split(":", 1)[-1]  # "pipeline:from→to" when two pipelines share stage ids
        source, _, target = pair.partition(ARROW)
        label = f"{_short(names.get(source, source))} → {_short(names.get(target, target))}"
        rate = rates[key]
        is_below = benchmark is not None and rate < benchmark
        below += is_below
        status = "below" if is_below else ("at or above" if benchmark is not None else "")
        rows.append(
            (
                label,
                rate,
                f"{rate:g} % {'below' if is_below else ''}".rstrip(),
                style.WARN if is_below else style.UP,
            )
        )
        spoken.append(f"{label} {rate:g} %{f' ({status})' if status else ''}")
    heading = "Stage-to-stage conversion vs benchmark"
    mark = f"benchmark {benchmark:g} %" if benchmark is not None else ""
    png = _bars(
        heading,
        _scope(report),
        rows,
        benchmark,
        mark,
        "% that went on to a later stage or won",
        limit=125.0,
    )
    alt = f"Bar chart of stage-to-stage conversion ({_scope(report)})"
    alt += f", against a benchmark of {benchmark:g} %: " if benchmark is not None else ": "
    alt += "; ".join(spoken) + "."
    if benchmark is not None:
        alt += f" {below} of {len(rows)} stage pairs convert below the benchmark."
    return Chart("conversion", heading, clip_alt(alt), png)
