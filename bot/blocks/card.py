"""The engine card: one Block Kit renderer for every place a report is shown in Slack.

Commands, mentions, buttons and schedules all call :func:`card_message`, so a card looks the same
wherever it appears. Limits are kept by design: every part has a character budget, lists show their
top items and say how many more there are, and a last pass drops optional parts (lowest priority
first) if a message would still be too large - so any portal size gives a valid message.

Drill-down buttons ("Show at-risk deals", and "Show deals" beside each top signal) sit on the
sections they belong to, so the button row stays the engine switcher; their ids and values come from
:mod:`bot.blocks.ids`; the drill-down listeners open the modal.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.blocks.drilldown import drilldown_open_button
from bot.blocks.format import (
    count_text,
    engine_title,
    format_metric,
    format_money,
    light,
    pipeline_text,
    reason_text,
    source_text,
    strength_text,
    trend_text,
)
from bot.blocks.ids import ENGINE_CHANGES, ENGINE_REFRESH, ENGINE_SHOW_PREFIX, CardTarget, DrilldownRef
from bot.blocks.kit import context, header, section
from bot.blocks.message import MAX_BLOCKS, MAX_MESSAGE_CHARS, SlackMessage
from bot.blocks.mrkdwn import clip, escape, format_date, link, plain
from bot.storage.history import Trend
from engines import AtRiskDeal, EngineName, EngineReport, OverdueTicket, Signal

__all__ = [
    "card_message",
]


# Character budgets (escaped mrkdwn) for the parts of a full card; together they stay well under
# MAX_MESSAGE_CHARS even when every CRM string is as long and as full of '&' as it can be.
_SIGNALS_BUDGET = 1500
_GAPS_BUDGET = 700
_AT_RISK_BUDGET = 2200
_OVERDUE_BUDGET = 1000
_TOP_SIGNALS = 3
_TOP_GAPS = 3
_TOP_AT_RISK = 5
_TOP_OVERDUE = 3
_FULL_METRICS = 10
_COMPACT_METRICS = 4


def card_message(
    reports: Sequence[EngineReport],
    trends: Mapping[EngineName, Trend | None] | None = None,
    *,
    extra_buttons: Sequence[ButtonElement] = (),
) -> SlackMessage:
    """One full card for one report; one compact card per engine for several (``all``).

    ``extra_buttons`` (e.g. a drill-down's "Show at-risk deals") join the card's button row, before
    Refresh; at most 5 are kept so the row stays within Slack's 25 elements and our size budget.
    """
    if not reports:
        raise ValueError("card_message needs at least one report")
    trends = trends or {}
    parts: list[tuple[int, Block]] = []
    if len(reports) == 1:
        parts.extend(_full_card(reports[0], trends.get(reports[0].engine)))
        target = CardTarget(reports[0].engine.value, reports[0].pipeline)
    else:
        for index, report in enumerate(reports):
            if index:
                parts.append((0, DividerBlock()))
            parts.extend(_compact_card(report, trends.get(report.engine)))
        target = CardTarget("all", reports[0].pipeline)
    parts.append((0, _footer(reports[0])))
    parts.extend((0, block) for block in _buttons(target, extra_buttons[:5]))
    return SlackMessage(text=_fallback(reports, trends), blocks=_fit(parts))


# --------------------------------------------------------------------------- full card


def _drilldown_button(
    report: EngineReport, signal: Signal | None = None, text: str = "Show deals", suffix: str = ""
) -> ButtonElement | None:
    """A button opening the deals behind the at-risk list (or one signal) in a modal; ``None`` when
    there are no deals to show or the pipeline id is too long to travel in a button value."""
    if (signal is None and not report.at_risk) or (signal is not None and not signal.deal_ids):
        return None
    ref = DrilldownRef.for_report(report, signal)
    return drilldown_open_button(ref, text, suffix=suffix) if ref is not None else None


def _full_card(report: EngineReport, trend: Trend | None) -> list[tuple[int, Block]]:
    parts: list[tuple[int, Block]] = [
        (0, _header(report)),
        (0, section(_score_line(report, trend, purpose_limit=300))),
    ]
    fields = _metric_fields(report, _FULL_METRICS)
    if fields:
        parts.append((1, SectionBlock(fields=fields)))
    hidden = len(report.metrics) - len(fields)
    if hidden > 0:
        more = count_text(hidden, "more metric")
        parts.append((5, context(f"+{more}: `engine-bot report {report.engine.value}`")))
    if report.signals:
        parts.append((0, DividerBlock()))
        parts.extend((2, block) for block in _signal_sections(report))
    if report.data_gaps:
        parts.append((3, _section(_gaps_text(report), "*Data gaps*")))
    if report.at_risk:
        button = _drilldown_button(report, text="Show at-risk deals")
        parts.append((2, _section(_at_risk_text(report), "*At-risk deals*", accessory=button)))
    if report.overdue_onboardings:
        parts.append((2, _section(_overdue_text(report), "*Overdue onboardings*")))
    if report.warnings:
        parts.append((4, _warnings(report.warnings)))
    return parts


def _compact_card(report: EngineReport, trend: Trend | None) -> list[tuple[int, Block]]:
    lines = [_score_line(report, trend, purpose_limit=160)]
    if report.signals:
        top = max(report.signals, key=lambda s: s.strength)
        lines.append(
            f"⚡ {escape(top.name, 90)} ({strength_text(top)}) → {escape(top.recommended_action, 180)}"
        )
    # One drill-down per engine keeps `all` compact: the at-risk list, beside the score.
    button = _drilldown_button(report, text="Show at-risk deals", suffix=report.engine.value)
    parts: list[tuple[int, Block]] = [
        (0, _header(report)),
        (0, section("\n".join(lines), accessory=button)),
    ]
    fields = _metric_fields(report, _COMPACT_METRICS)
    if fields:
        parts.append((1, SectionBlock(fields=fields)))
    summary = [count_text(len(report.signals), "signal"), count_text(len(report.data_gaps), "data gap")]
    if report.at_risk:
        value = sum(d.amount or 0.0 for d in report.at_risk)
        at_risk = count_text(len(report.at_risk), "at-risk deal")
        summary.append(f"{at_risk} ({format_money(value, report.currency)})")
    else:
        summary.append("no at-risk deals")
    if report.overdue_onboardings:
        summary.append(count_text(len(report.overdue_onboardings), "overdue onboarding"))
    parts.append((3, context(" · ".join(summary))))
    return parts


def _header(report: EngineReport) -> HeaderBlock:
    emoji = light(report.label).emoji
    score = f"{report.score}/100" if report.score is not None else "no score"
    return header(f"{emoji} {engine_title(report.engine)} · {score}", emoji=True)


def _score_line(report: EngineReport, trend: Trend | None, *, purpose_limit: int) -> str:
    score = (
        f"*{report.score}/100 · {report.label.value}*"
        if report.score is not None
        else f"*{report.label.value}*"
    )
    moved = trend_text(trend, report.time_zone)
    head = f"{score}   {moved}" if moved else score
    purpose = escape(report.purpose, purpose_limit)
    return f"{head}\n_{purpose}_" if purpose else head


def _metric_fields(report: EngineReport, limit: int) -> list[MarkdownTextObject]:
    fields = []
    for metric in list(report.metrics.values())[:limit]:
        marker = light(metric.status).emoji
        text = f"*{escape(metric.label, 60)}*\n{marker} {escape(format_metric(metric), 80)}"
        fields.append(MarkdownTextObject(text=text))
    return fields


def _lines_within(lines: Iterable[str], budget: int, total: int, noun: str) -> str:
    """Join ``lines`` while they fit ``budget``; say how many of ``total`` did not."""
    kept: list[str] = []
    used = 0
    for line in lines:
        if used + len(line) + 1 > budget:
            break
        kept.append(line)
        used += len(line) + 1
    if total > len(kept):
        kept.append(f"_+{count_text(total - len(kept), 'more ' + noun)}_")
    return "\n".join(kept)


def _signal_line(signal: Signal) -> str:
    line = f"• *{escape(signal.name, 90)}* ({strength_text(signal)})"
    if signal.recommended_action:
        line += f"\n   → {escape(signal.recommended_action, 220)}"
    return line


def _signal_sections(report: EngineReport) -> list[SectionBlock]:
    """The top signals, one section each so each can carry its own "Show deals" button.

    The same lines and budget as one list would have; the "+N more" note joins the last section.
    """
    ranked = sorted(report.signals, key=lambda s: s.strength, reverse=True)
    kept: list[tuple[Signal, str]] = []
    used = 0
    for signal in ranked[:_TOP_SIGNALS]:
        line = _signal_line(signal)
        if used + len(line) + 1 > _SIGNALS_BUDGET:
            break
        kept.append((signal, line))
        used += len(line) + 1
    more = f"_+{count_text(len(ranked) - len(kept), 'more signal')}_" if len(ranked) > len(kept) else ""
    if not kept:
        return [_section(more, "*Signals*")]
    sections = []
    for index, (signal, line) in enumerate(kept):
        text = f"*Signals*\n{line}" if index == 0 else line
        if index == len(kept) - 1 and more:
            text += f"\n{more}"
        button = _drilldown_button(report, signal, suffix=str(index))
        sections.append(section(text, accessory=button))
    return sections


def _gaps_text(report: EngineReport) -> str:
    lines = (
        f"• {escape(g.missing, 100)}: unlocks {escape(g.unlocks, 100)}" for g in report.data_gaps[:_TOP_GAPS]
    )
    return _lines_within(lines, _GAPS_BUDGET, len(report.data_gaps), "data gap")


def _deal_line(deal: AtRiskDeal, currency: str) -> str:
    bits = [link(deal.url, deal.name or f"Deal {deal.id}", 60), format_money(deal.amount, currency)]
    if deal.stage_label or deal.stage_id:
        bits.append(escape(deal.stage_label or deal.stage_id, 40))
    if deal.days_in_stage is not None:
        bits.append(f"{deal.days_in_stage:.0f} d in stage")
    if deal.reasons:
        bits.append(", ".join(reason_text(r) for r in deal.reasons[:3]))
    if deal.owner_name:
        bits.append(escape(deal.owner_name, 40))
    return "• " + " · ".join(bits)


def _at_risk_text(report: EngineReport) -> str:
    ranked = sorted(report.at_risk, key=lambda d: d.amount or 0.0, reverse=True)
    lines = (_deal_line(d, report.currency) for d in ranked[:_TOP_AT_RISK])
    return _lines_within(lines, _AT_RISK_BUDGET, len(ranked), "at-risk deal")


def _ticket_line(ticket: OverdueTicket) -> str:
    bits = [link(ticket.url, ticket.subject or f"Ticket {ticket.id}", 60)]
    if ticket.days_open is not None:
        bits.append(f"open {ticket.days_open:.0f} d")
    if ticket.stage_label or ticket.stage_id:
        bits.append(escape(ticket.stage_label or ticket.stage_id, 40))
    if ticket.owner_name:
        bits.append(escape(ticket.owner_name, 40))
    return "• " + " · ".join(bits)


def _overdue_text(report: EngineReport) -> str:
    """The longest-open onboarding tickets (the report lists them longest first), linked to HubSpot."""
    tickets = report.overdue_onboardings
    lines = (_ticket_line(t) for t in tickets[:_TOP_OVERDUE])
    return _lines_within(lines, _OVERDUE_BUDGET, len(tickets), "overdue onboarding")


def _section(body: str, title: str, *, accessory: ButtonElement | None = None) -> SectionBlock:
    return section(f"{title}\n{body}", accessory=accessory)


def _warnings(warnings: Sequence[str]) -> ContextBlock:
    shown = [f"⚠️ {escape(w, 150)}" for w in warnings[:2]]
    if len(warnings) > 2:
        shown.append(f"+{len(warnings) - 2} more warnings")
    return ContextBlock(elements=[MarkdownTextObject(text=t) for t in shown])


def _footer(report: EngineReport) -> ContextBlock:
    """As-of time in the portal time zone, deals analysed, source and pipeline (shared by all engines)."""
    when = format_date(report.as_of, report.time_zone, time=True)
    items = [
        f"As of {when}",
        f"{report.deals_analyzed:,} deals analysed",
        f"source: {source_text(report.source)}",
        f"pipeline: {escape(pipeline_text(report), 60)}",
    ]
    return context(" · ".join(items))


def _buttons(target: CardTarget, extra: Sequence[ButtonElement] = ()) -> list[Block]:
    buttons: list[ButtonElement] = []
    for name in [*(e.value for e in EngineName), "all"]:
        if name == target.engine:
            continue
        label = "All engines" if name == "all" else name.title()
        value = CardTarget(name, target.pipeline).to_value()
        buttons.append(ButtonElement(text=label, action_id=f"{ENGINE_SHOW_PREFIX}{name}", value=value))
    buttons.extend(extra)
    buttons.append(ButtonElement(text="What changed", action_id=ENGINE_CHANGES, value=target.to_value()))
    buttons.append(
        ButtonElement(text="↻ Refresh", action_id=ENGINE_REFRESH, value=target.to_value(), style="primary")
    )
    if any(len(b.value or "") > 2000 for b in buttons):
        return []  # a pipeline id this long cannot travel in a button; the card is still complete
    return [ActionsBlock(block_id="engine_card_actions", elements=buttons)]


# --------------------------------------------------------------------------- fitting and fallback


def _fit(parts: list[tuple[int, Block]]) -> list[Block]:
    """Drop optional parts, least important first, until the message fits Slack's limits."""
    kept = list(parts)

    def size() -> int:
        return len(json.dumps([b.to_dict() for _, b in kept], ensure_ascii=False))

    while len(kept) > MAX_BLOCKS or size() > MAX_MESSAGE_CHARS:
        optional = [i for i, (priority, _) in enumerate(kept) if priority > 0]
        if not optional:
            break
        worst = max(optional, key=lambda i: (kept[i][0], i))
        del kept[worst]
    return [block for _, block in kept]


def _fallback(reports: Sequence[EngineReport], trends: Mapping[EngineName, Trend | None]) -> str:
    """The notification text: one line per engine, escaped like everything else."""
    lines = []
    for report in reports:
        score = f"{report.score}/100" if report.score is not None else "no score"
        moved = trend_text(trends.get(report.engine), report.time_zone)
        line = f"{engine_title(report.engine)}: {score} ({report.label.value})"
        lines.append(f"{line}, {moved}" if moved else line)
    where = escape(pipeline_text(reports[0]), 60)
    return clip(plain(" · ".join(lines)), 2500) + f" · pipeline: {where}"
