"""One look for every chart: an opaque light card that reads the same in Slack's light and dark themes.

A transparent PNG would put dark text on Slack's dark background, so each chart carries its own white
background and Slack-black ink. Sizes are for phone width: Slack shows an image about 360 px wide
on a phone, so the figure is 800 px wide with 15 px-and-up text, few ticks and short labels. Colours
come from the Okabe-Ito palette (safe for the common colour-vision deficiencies) and are never the
only carrier of meaning: every bar has a signed value or a status word, and decreases are hatched.

Drawing uses matplotlib's object API (``Figure`` + the Agg canvas) without pyplot: no global figure
state, nothing to close, safe to call from worker threads.
"""

from __future__ import annotations

import io

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__ = [
    "BACKGROUND",
    "DOWN",
    "GOOD",
    "INK",
    "MUTED",
    "TOTAL",
    "UP",
    "WARN",
    "figure",
    "png_bytes",
    "title",
]

BACKGROUND = "#FFFFFF"
INK = "#1D1C1D"  # Slack's text colour
MUTED = "#616061"
GRID = "#DDDDDD"
UP = "#0072B2"  # Okabe-Ito blue
DOWN = "#D55E00"  # Okabe-Ito vermillion
GOOD = "#009E73"  # Okabe-Ito bluish green
WARN = "#E69F00"  # Okabe-Ito orange
TOTAL = "#6B6B6B"

WIDTH_INCHES = 8.0
DPI = 100
BASE_FONT = 15
TITLE_FONT = 17
MAX_HEIGHT_INCHES = 9.0
TOP_INCHES = 0.95  # the two-line title
BOTTOM_INCHES = 0.75  # tick labels and the axis label


def figure(height_inches: float = 4.5, *, left: float = 0.25, right: float = 0.25) -> tuple[Figure, Axes]:
    """A blank chart of 800 px by ``height_inches`` * 100 px with the house style applied.

    Margins are fixed in inches (``left``/``right`` for tick labels, room for the two-line title on
    top and the axis label below) rather than computed by a layout engine, which would draw every
    figure twice: the charts' text is short and known, and this halves the render time.
    """
    height = min(height_inches, MAX_HEIGHT_INCHES)
    fig = Figure(figsize=(WIDTH_INCHES, height), dpi=DPI, facecolor=BACKGROUND)
    FigureCanvasAgg(fig)
    fig.subplots_adjust(
        left=left / WIDTH_INCHES,
        right=1 - right / WIDTH_INCHES,
        top=1 - TOP_INCHES / height,
        bottom=BOTTOM_INCHES / height,
    )
    ax = fig.add_subplot()
    ax.set_facecolor(BACKGROUND)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color(MUTED)
    ax.tick_params(colors=INK, labelsize=BASE_FONT - 2)
    ax.title.set_color(INK)
    return fig, ax


def title(fig: Figure, main: str, detail: str) -> None:
    """Two lines at the top left: what the chart shows, then its scope and period (phone width
    leaves room for about 50 characters a line)."""
    fig.text(
        0.15 / WIDTH_INCHES,
        1 - 0.12 / fig.get_figheight(),
        f"{main}\n{detail}",
        fontsize=TITLE_FONT - 1,
        color=INK,
        ha="left",
        va="top",
        linespacing=1.4,
    )


def png_bytes(fig: Figure) -> bytes:
    """The figure as PNG bytes (no timestamp in the metadata, so a chart's bytes are reproducible)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, facecolor=BACKGROUND, metadata={"Software": None})
    return buffer.getvalue()
