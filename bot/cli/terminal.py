"""The report as terminal text (coloured when writing to a TTY) and as JSON.

The terminal shows more than the card (every metric, signal, gap and the top at-risk deals) because
a terminal has no 50-block limit. CRM strings have control characters removed first: a deal name
must not be able to move the cursor or recolour the screen.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from bot.blocks import format as words
from bot.blocks.mrkdwn import format_date, plain
from bot.storage.history import Trend
from engines import EngineName, EngineReport

__all__ = ["render_json", "render_text"]

_RESET = "\x1b[0m"
_BOLD = "\x1b[1m"
_DIM = "\x1b[2m"
_COLOURS = {"green": "\x1b[32m", "yellow": "\x1b[33m", "red": "\x1b[31m", "grey": "\x1b[90m"}
_AT_RISK_SHOWN = 10


class _Paint:
    def __init__(self, colour: bool) -> None:
        self.colour = colour

    def __call__(self, text: str, *styles: str) -> str:
        if not self.colour or not styles:
            return text
        codes = "".join(_COLOURS.get(s, _BOLD if s == "bold" else _DIM if s == "dim" else "") for s in styles)
        return f"{codes}{text}{_RESET}"


def render_text(
    reports: Sequence[EngineReport],
    trends: Mapping[EngineName, Trend | None] | None = None,
    *,
    colour: bool = False,
) -> str:
    """All reports as readable text, one block per engine, separated by a blank line."""
    paint = _Paint(colour)
    trends = trends or {}
    return "\n\n".join(_one(report, trends.get(report.engine), paint) for report in reports) + "\n"


def _one(report: EngineReport, trend: Trend | None, paint: _Paint) -> str:
    colour = words.light(report.label).colour
    score = f"{report.score}/100" if report.score is not None else "no score"
    title = f"{words.engine_title(report.engine).upper()}  {score}  {report.label.value}"
    moved = words.trend_text(trend, report.time_zone)
    out = [paint(title, "bold", colour) + (f"  {moved}" if moved else "")]
    if report.purpose:
        out.append(paint(plain(report.purpose), "dim"))
    footer = (
        f"as of {format_date(report.as_of, report.time_zone, time=True)} · {report.deals_analyzed:,} deals · "
        f"source: {words.source_text(report.source)} · pipeline: {plain(words.pipeline_text(report), 80)}"
    )
    out.append(paint(footer, "dim"))
    if report.metrics:
        out.append("")
        out.append(paint("Metrics", "bold"))
        width = max(len(plain(m.label, 40)) for m in report.metrics.values())
        for metric in report.metrics.values():
            look = words.light(metric.status)
            mark = paint(look.mark, look.colour)
            out.append(f"  {mark} {plain(metric.label, 40):<{width}}  {words.format_metric(metric)}")
    if report.signals:
        out.append("")
        out.append(paint("Signals", "bold"))
        for signal in sorted(report.signals, key=lambda s: s.strength, reverse=True):
            out.append(f"  • {plain(signal.name, 120)} ({words.strength_text(signal)})")
            if signal.recommended_action:
                out.append(f"    → {plain(signal.recommended_action, 300)}")
    if report.data_gaps:
        out.append("")
        out.append(paint("Data gaps", "bold"))
        out.extend(f"  • {plain(g.missing, 140)}: unlocks {plain(g.unlocks, 140)}" for g in report.data_gaps)
    if report.at_risk:
        out.append("")
        out.append(paint(f"At-risk deals ({len(report.at_risk):,})", "bold"))
        ranked = sorted(report.at_risk, key=lambda d: d.amount or 0.0, reverse=True)
        for deal in ranked[:_AT_RISK_SHOWN]:
            reasons = ", ".join(words.reason_text(r) for r in deal.reasons)
            stage = plain(deal.stage_label or deal.stage_id or "?", 40)
            owner = f" · {plain(deal.owner_name, 40)}" if deal.owner_name else ""
            name = plain(deal.name or f"Deal {deal.id}", 60)
            amount = words.format_money(deal.amount, report.currency)
            out.append(f"  • {name} · {amount} · {stage} · {reasons}{owner}")
        if len(ranked) > _AT_RISK_SHOWN:
            out.append(paint(f"  +{len(ranked) - _AT_RISK_SHOWN:,} more (use --format json for all)", "dim"))
    if report.overdue_onboardings:
        tickets = report.overdue_onboardings
        out.append("")
        out.append(paint(f"Overdue onboardings ({len(tickets):,})", "bold"))
        for ticket in tickets[:_AT_RISK_SHOWN]:
            days = f" · open {ticket.days_open:.0f} d" if ticket.days_open is not None else ""
            stage = (
                f" · {plain(ticket.stage_label or ticket.stage_id, 40)}"
                if ticket.stage_label or ticket.stage_id
                else ""
            )
            owner = f" · {plain(ticket.owner_name, 40)}" if ticket.owner_name else ""
            url = f" · {ticket.url}" if ticket.url else ""
            out.append(f"  • {plain(ticket.subject or f'Ticket {ticket.id}', 60)}{days}{stage}{owner}{url}")
        if len(tickets) > _AT_RISK_SHOWN:
            out.append(paint(f"  +{len(tickets) - _AT_RISK_SHOWN:,} more (use --format json for all)", "dim"))
    if report.warnings:
        out.append("")
        out.extend(paint(f"⚠ {plain(w, 300)}", "yellow") for w in report.warnings)
    return "\n".join(out)


def render_json(reports: Sequence[EngineReport], *, many: bool) -> str:
    """The report model as JSON: one object, or a list when several engines were asked for."""
    data = [r.to_json_dict() for r in reports]
    return json.dumps(data if many else data[0], indent=2, ensure_ascii=False)
