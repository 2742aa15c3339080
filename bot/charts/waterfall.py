"""The pipeline waterfall: open value at the start, each bucket that moved it, open value at the end.

Horizontal bars, one row per non-empty bucket in :data:`engines.changes.BUCKETS` order, so long
bucket names stay readable at phone width. Every bar is labelled with its signed value and count;
decreases are also hatched, so the picture reads without colour.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from matplotlib.ticker import FuncFormatter, MaxNLocator

import bot.charts.style as style
from bot.blocks.changes import BUCKET_TITLES, signed_money
from bot.blocks.format import count_text, format_money
from bot.charts.chart import Chart, clip_alt
from engines import BUCKETS, ChangeReport

__all__ = ["waterfall_chart"]


def _day(report: ChangeReport, which: str, zone: ZoneInfo) -> str:
    moment = (report.start if which == "start" else report.until).astimezone(zone)
    return f"{moment.day} {moment:%b}"


def waterfall_chart(
    report: ChangeReport,
    *,
    currency: str = "USD",
    pipeline_label: str | None = None,
    time_zone: str = "UTC",
) -> Chart:
    zone = ZoneInfo(time_zone)
    scope = pipeline_label or report.pipeline or "all pipelines"
    start_day, end_day = _day(report, "start", zone), _day(report, "end", zone)
    heading = "Open pipeline value: what moved it"
    rows = [name for name in BUCKETS if report.buckets[name].count]

    labels = [f"Open on {start_day}"]
    lefts, widths, colours, hatches, texts = (
        [0.0],
        [float(report.open_value_start)],
        [style.TOTAL],
        [""],
        [format_money(float(report.open_value_start), currency)],
    )
    running = report.open_value_start
    for name in rows:
        group = report.buckets[name]
        labels.append(f"{BUCKET_TITLES[name]} ({group.count})")
        lefts.append(float(running))
        widths.append(float(group.value))
        colours.append(style.UP if group.value > 0 else style.DOWN)
        hatches.append("" if group.value > 0 else "//")
        texts.append(signed_money(group.value, currency))
        running += group.value
    labels.append(f"Open on {end_day}")
    lefts.append(0.0)
    widths.append(float(report.open_value_end))
    colours.append(style.TOTAL)
    hatches.append("")
    texts.append(format_money(float(report.open_value_end), currency))

    fig, ax = style.figure(1.7 + 0.55 * len(labels), left=2.0)
    style.title(fig, heading, f"{start_day} to {end_day} · {scope}")
    ys = list(range(len(labels)))
    bars = ax.barh(ys, widths, left=lefts, color=colours, edgecolor=style.INK, linewidth=0.6, height=0.62)
    for bar, hatch in zip(bars, hatches, strict=True):
        bar.set_hatch(hatch)
    ends = [left + width for left, width in zip(lefts, widths, strict=True)]
    span = max([*ends, *lefts, 0.0]) - min([*ends, *lefts, 0.0]) or 1.0
    for y, left, end, text in zip(ys, lefts, ends, texts, strict=True):
        ax.text(
            max(left, end) + span * 0.015,
            y,
            text,
            va="center",
            ha="left",
            fontsize=style.BASE_FONT - 1,
            color=style.INK,
        )
    ax.set_yticks(ys, labels, fontsize=style.BASE_FONT - 1)
    ax.invert_yaxis()
    low, high = min([*ends, *lefts, 0.0]), max([*ends, *lefts, 0.0])
    ax.set_xlim(low - span * 0.02, high + span * 0.22)  # room for the value labels
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: format_money(x, currency)))
    ax.xaxis.set_major_locator(MaxNLocator(nbins=4))
    ax.grid(axis="x", color=style.GRID, linewidth=0.8)
    ax.set_axisbelow(True)
    png = style.png_bytes(fig)

    parts = [
        f"{BUCKET_TITLES[name].lower()} {signed_money(report.buckets[name].value, currency)} "
        f"({count_text(report.buckets[name].count, 'deal')})"
        for name in rows
    ]
    moved = "; ".join(parts) if parts else "no deal changed its open value"
    alt = (
        f"Waterfall of open pipeline value ({scope}) from {start_day} to {end_day}: "
        f"{format_money(float(report.open_value_start), currency)} at the start; {moved}; "
        f"{format_money(float(report.open_value_end), currency)} at the end."
    )
    if report.partial:
        alt += f" The change log starts on {start_day}, after the start asked for."
    return Chart("waterfall", heading, clip_alt(alt), png)
