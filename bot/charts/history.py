"""The score over the last 12 reports, drawn over the Healthy / Warning / Critical bands."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

import bot.charts.style as style
from bot.blocks.format import count_text
from bot.charts.chart import Chart, ScorePoint, clip_alt
from engines import AnalysisConfig, EngineName

__all__ = ["LAST_REPORTS", "score_chart"]

LAST_REPORTS = 12
_BANDS = ("#E3F4EC", "#FDF1DC", "#FBE5DC")  # light tints of green, orange, vermillion


def _day(point: ScorePoint, zone: ZoneInfo) -> str:
    local = point.at.astimezone(zone)
    return f"{local.day} {local:%b}"


def score_chart(
    points: Sequence[ScorePoint],
    engine: EngineName,
    *,
    pipeline_label: str | None = None,
    time_zone: str = "UTC",
    config: AnalysisConfig | None = None,
) -> Chart | None:
    """The last 12 of ``points`` (oldest first); ``None`` when fewer than two have a score."""
    cfg = config or AnalysisConfig()
    zone = ZoneInfo(time_zone)
    recent = list(points)[-LAST_REPORTS:]
    # (position, day, score) of the reports that have a score
    scored = [(i, _day(p, zone), p.score) for i, p in enumerate(recent) if p.score is not None]
    if len(scored) < 2:
        return None
    name = engine.value.capitalize()
    scope = pipeline_label or "all pipelines"
    heading = f"{name} score, last {len(recent)} reports"

    fig, ax = style.figure(4.8, left=0.85, right=1.05)
    style.title(fig, heading, f"{_day(recent[0], zone)} to {_day(recent[-1], zone)} · {scope}")
    bands = (
        (cfg.healthy_from, 100, "Healthy", f"{cfg.healthy_from} and above", _BANDS[0]),
        (
            cfg.warning_from,
            cfg.healthy_from,
            "Warning",
            f"{cfg.warning_from} to {cfg.healthy_from - 1}",
            _BANDS[1],
        ),
        (0, cfg.warning_from, "Critical", f"below {cfg.warning_from}", _BANDS[2]),
    )
    for low, high, _, _, tint in bands:
        ax.axhspan(low, high, color=tint, zorder=0)
    # The band names sit outside the plot on the right, where no point or label can cover them.
    names = ax.secondary_yaxis("right")
    names.set_yticks([(low + high) / 2 for low, high, _, _, _ in bands], [b for _, _, b, _, _ in bands])
    names.tick_params(length=0, labelsize=style.BASE_FONT - 2, colors=style.INK)
    names.spines["right"].set_visible(False)
    xs = [i for i, _, _ in scored]
    ys = [score for _, _, score in scored]
    ax.plot(xs, ys, color=style.INK, linewidth=2.5, marker="o", markersize=7, zorder=3)
    for x, y in zip(xs, ys, strict=True):
        ax.annotate(
            str(y),
            (x, y),
            textcoords="offset points",
            xytext=(0, 9),
            ha="center",
            fontsize=style.BASE_FONT - 2,
            color=style.INK,
            zorder=4,
        )
    ax.set_ylim(0, 108)
    ax.set_xlim(-0.5, len(recent) - 0.5)
    ax.set_yticks([0, cfg.warning_from, cfg.healthy_from, 100])
    step = 1 if len(recent) <= 6 else 2  # phone width: at most six dates under the axis
    ticks = list(range(len(recent) - 1, -1, -step))[::-1]
    ax.set_xticks(ticks, [_day(recent[i], zone) for i in ticks])
    ax.set_ylabel("Score", fontsize=style.BASE_FONT - 1, color=style.INK)
    png = style.png_bytes(fig)

    _, first_day, first = scored[0]
    _, last_day, last = scored[-1]
    _, low_day, low = min(scored, key=lambda s: (s[2], s[0]))  # the first time it was lowest
    _, high_day, high = min(scored, key=lambda s: (-s[2], s[0]))
    delta = last - first
    moved = f"up {delta}" if delta > 0 else f"down {-delta}" if delta < 0 else "unchanged"
    band, span = next((b, sp) for lo, hi, b, sp, _ in bands if lo <= last <= hi)
    alt = (
        f"Line chart of the {name} score over the last {len(recent)} reports ({scope}), "
        f"{_day(recent[0], zone)} to {_day(recent[-1], zone)}: from {first} on {first_day} "
        f"to {last} on {last_day}, {moved}. Lowest {low} ({low_day}), "
        f"highest {high} ({high_day}). The latest score is in the {band} band ({span})."
    )
    missing = len(recent) - len(scored)
    if missing:
        alt += f" {count_text(missing, 'report')} without a score (too little data) left out."
    return Chart("score", heading, clip_alt(alt), png)
