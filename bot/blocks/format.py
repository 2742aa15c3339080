"""Numbers, dates and statuses as a person reads them; shared by the Slack card and the terminal.

Formatting lives apart from layout so the card and the terminal always say the same thing in the
same words ("USD 1.2M", "31 %", "42 days", "Growth engine"). Dates are :func:`bot.blocks.mrkdwn.format_date`.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from bot.blocks.mrkdwn import format_date
from bot.storage.history import Trend
from engines import EngineName, EngineReport, HealthLabel, Metric, MetricStatus, RiskReason, Signal

__all__ = [
    "Light",
    "count_text",
    "engine_title",
    "format_metric",
    "format_money",
    "light",
    "pipeline_text",
    "reason_text",
    "source_text",
    "strength_text",
    "trend_text",
]


class Light(NamedTuple):
    """How a health label or a metric status looks: on a card (emoji), in a terminal (colour, mark)."""

    emoji: str
    colour: str
    mark: str


_LIGHTS = {
    "HEALTHY": Light("🟢", "green", "●"),
    "WARNING": Light("🟡", "yellow", "▲"),
    "CRITICAL": Light("🔴", "red", "✖"),
}
_NO_LIGHT = Light("⚪", "grey", "○")  # insufficient data, unknown


def light(level: HealthLabel | MetricStatus) -> Light:
    """The traffic light of an engine's label or a metric's status (the same three colours)."""
    return _LIGHTS.get(level.name, _NO_LIGHT)


_TITLES = {
    EngineName.GROWTH: "Growth engine",
    EngineName.FULFILLMENT: "Fulfillment engine",
    EngineName.INNOVATION: "Innovation engine",
}
_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}
_REASONS = {
    RiskReason.NO_RECENT_ACTIVITY: "no recent activity",
    RiskReason.PAST_CLOSE_DATE: "past close date",
    RiskReason.OPEN_TOO_LONG: "open too long",
}


_SCALES = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k"))


def _compact(number: float) -> str:
    """``1.2M``: the largest unit the amount reaches as shown (999,960 is ``1M``, not ``1000k``), one
    decimal at most. From a thousand trillion on, scientific (``1e18``): such an amount is bad data,
    and the line must stay short rather than grow digits."""
    if not math.isfinite(number):
        return "n/a"  # not an amount anybody meant: say so instead of "infT"
    size = abs(number)
    if round(size / 1e12, 1) >= 1000:
        mantissa, exponent = f"{number:.1e}".split("e")
        return f"{mantissa.removesuffix('.0')}e{int(exponent)}"
    for bound, suffix in _SCALES:
        below = bound / 1000  # the next smaller unit, shown with one decimal (none for units)
        if round(size / below, 1 if below > 1 else 0) >= 1000:
            return f"{round(number / bound, 1):.1f}".removesuffix(".0") + suffix
    return f"{number:,.0f}"


def engine_title(engine: EngineName) -> str:
    return _TITLES.get(engine, f"{engine.value.title()} engine")


def pipeline_text(report: EngineReport) -> str:
    """The pipeline as a person named it, unescaped (callers escape)."""
    return report.pipeline_label or report.pipeline or "all pipelines"


def currency_code(currency: str | None) -> str:
    """The currency as shown: letters only, upper case, at most three (ISO 4217's shape).

    The code comes from the CRM (a deal's ``deal_currency_code``, the portal's company currency), so
    it is untrusted; cut to letters it needs no escaping on any surface (Block Kit mrkdwn, plain
    text, the terminal) and cannot be escaped twice.
    """
    return "".join(c for c in (currency or "").upper() if "A" <= c <= "Z")[:3]


def format_money(amount: float | None, currency: str) -> str:
    if amount is None or not math.isfinite(amount):
        return "no amount"
    code = currency_code(currency)
    symbol = _SYMBOLS.get(code)
    if not symbol:
        return f"{_compact(amount)} {code}".rstrip()
    sign = "-" if amount < 0 else ""
    return f"{sign}{symbol}{_compact(abs(amount))}"  # -$2.5k, the way finance writes it


def count_text(count: int, noun: str, plural: str | None = None) -> str:
    """``1 data gap``, ``3 data gaps``: cards speak plain English, even about one thing."""
    return f"{count} {noun if count == 1 else (plural or noun + 's')}"


# Counts shown as bare numbers (the label says what is counted).
_COUNTS = frozenset({"deals", "tickets", "contacts", "responses", "items", "products"})


def _number(value: float | int, unit: str) -> str:
    if unit == "%":
        return f"{value:.0f} %"
    if unit == "days":
        return f"{value:.0f} days" if abs(value) >= 10 else f"{value:.1f} days"
    if unit in _COUNTS:
        return f"{value:,.0f}"
    if unit == "x":  # coverage: open value / what is left to win
        return f"{value:,.1f}x"
    if unit.isalpha() and unit.isupper() and len(unit) == 3:
        return format_money(float(value), unit)
    text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
    return f"{text} {unit}".strip()


def format_metric(metric: Metric) -> str:
    """The metric's value in words; a per-stage dict becomes a one-line summary."""
    value = metric.value
    if value is None:
        # A measured "nothing to compute" is healthy only for pipeline coverage with the target met;
        # every other missing value has status unknown.
        return "target met" if metric.status is MetricStatus.HEALTHY else "not enough data"
    if isinstance(value, dict):
        if not value:
            return "not enough data"
        numbers = list(value.values())
        low, high = min(numbers), max(numbers)
        if metric.unit == "%":
            return f"{len(numbers)} stages, lowest {_number(low, '%')}"
        return f"{len(numbers)} stages, up to {_number(high, metric.unit)}"
    return _number(value, metric.unit)


def strength_text(signal: Signal) -> str:
    word = "strong" if signal.strength >= 0.7 else "moderate" if signal.strength >= 0.4 else "weak"
    return f"{word}, {signal.strength:.2f}"


def reason_text(reason: RiskReason) -> str:
    return _REASONS.get(reason, str(reason).replace("_", " "))


def source_text(source: str) -> str:
    return {"hubspot": "HubSpot", "sample": "sample portal"}.get(source, source)


def trend_text(trend: Trend | None, time_zone: str) -> str:
    """``▲ 8 since Mon 17 Nov`` (empty when there is no previous report to compare with)."""
    if trend is None or trend.score_delta is None:
        return ""
    since = f"since {format_date(trend.previous_at, time_zone, year=False)}"
    delta = trend.score_delta
    if delta > 0:
        return f"▲ {delta} {since}"
    if delta < 0:
        return f"▼ {-delta} {since}"
    return f"no change {since}"
