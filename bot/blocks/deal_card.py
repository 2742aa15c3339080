"""The one-deal card for ``@bot deal <name or id>``, the pick list when several deals match, and the
reply when none does.

The card answers the deal-review questions in one place: where the deal is (stage, days there against
the stage's average), whether the engines flag it (their risk reasons, verbatim), who owns it (a
mention when their e-mail matches a Slack user), and what to do next. Next steps come only from what
the engines said about this deal: the recommended action of every signal that lists its id, and one
step per risk reason. Nothing is re-judged here.

Interactive ids (all in :mod:`bot.blocks.ids`; the listeners register them):

- ``deal_pick_<n>`` (button beside each match in the pick list, block ``deal_match_<n>``; match with
  :data:`DEAL_PICK_PATTERN`): value is the deal id; answer with the card for that deal (e.g.
  ``respond(replace_original=True, ...)`` or a thread reply).
- ``deal_open_hubspot`` (link button on the card, block ``deal_actions``): opens HubSpot; Slack still
  sends a block action, which only needs an ``ack()``.
- Block ids: ``deal_header``, ``deal_facts``, ``deal_risk``, ``deal_next_steps``, ``deal_actions``,
  ``deal_footer``, ``deal_matches_intro``, ``deal_match_<n>``, ``deal_none``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    LinkButtonElement,
    MarkdownTextObject,
    SectionBlock,
)

from bot.blocks.format import format_money, source_text
from bot.blocks.ids import DEAL_OPEN_HUBSPOT, DEAL_PICK
from bot.blocks.kit import context, header, section
from bot.blocks.message import MAX_BUTTON_VALUE, SlackMessage
from bot.blocks.mrkdwn import (
    escape_within,
    fallback_text,
    format_date,
    format_days,
    mention_or_name,
    plain,
    safe_url,
)
from bot.blocks.rows import at_risk_by_id, deal_row, reason_texts
from engines import (
    AtRiskDeal,
    Deal,
    EngineName,
    EngineReport,
    PortalSnapshot,
    RiskReason,
    Signal,
    matches_exactly,
)

__all__ = [
    "MAX_MATCHES",
    "deal_card",
    "deal_not_found",
    "deal_pick_list",
    "deal_reply",
    "next_steps",
    "single_match",
    "stage_average_days",
]

MAX_MATCHES = 10
_STEP_BUDGET = 400
_MAX_STEPS = 4
_REASON_STEPS = {
    RiskReason.PAST_CLOSE_DATE: "Agree a realistic close date with the buyer and update it in HubSpot: "
    "the current one has passed, so the forecast counts this deal in the wrong period.",
    RiskReason.NO_RECENT_ACTIVITY: "Re-engage the buyer (a call, or a recap with a proposed next "
    "meeting) and log it: nothing has been recorded on this deal for a while.",
    RiskReason.OPEN_TOO_LONG: "Requalify it: confirm budget, decision maker and timeline with the "
    "buyer, or close it as lost so the pipeline stays honest.",
}


# --------------------------------------------------------------------------- choosing


def single_match(matches: Sequence[Deal], query: str) -> Deal | None:
    """The deal to show directly: the only match, or the one exact match ahead of partial ones.

    Two exact matches (two deals both called "Acme") are ambiguous, so the caller shows a pick list.
    """
    if len(matches) == 1:
        return matches[0]
    if matches and matches_exactly(matches[0], query) and not matches_exactly(matches[1], query):
        return matches[0]
    return None


def stage_average_days(reports: Sequence[EngineReport], stage_id: str | None) -> float | None:
    """The growth report's average days in ``stage_id`` (its ``avg_days_in_stage`` metric)."""
    if stage_id is None:
        return None
    for report in reports:
        if report.engine is not EngineName.GROWTH:
            continue
        metric = report.metrics.get("avg_days_in_stage")
        if metric is not None and isinstance(metric.value, dict):
            value = metric.value.get(stage_id)
            return float(value) if value is not None else None
    return None


def _signals_for(deal_id: str, reports: Sequence[EngineReport]) -> list[Signal]:
    seen: dict[tuple[str, str], Signal] = {}
    for report in reports:
        for signal in report.signals:
            if deal_id in signal.deal_ids:
                seen.setdefault((signal.type.value, signal.name), signal)
    return sorted(seen.values(), key=lambda s: (-s.strength, s.type.value, s.name))


def next_steps(row: AtRiskDeal, signals: Sequence[Signal]) -> list[str]:
    """Suggested next steps as escaped mrkdwn lines: the signals' actions, then one per risk reason."""
    steps: list[str] = []
    seen: set[str] = set()
    for signal in signals:
        action = plain(signal.recommended_action)
        if not action or action in seen:
            continue
        seen.add(action)
        steps.append(f"{escape_within(action, 250)} _({escape_within(signal.name, 120)})_")
    for reason in dict.fromkeys(row.reasons):
        text = _REASON_STEPS.get(reason)
        if text and text not in seen:
            seen.add(text)
            steps.append(text)
    return steps[:_MAX_STEPS]


# --------------------------------------------------------------------------- the card


def _days_text(row: AtRiskDeal, average: float | None) -> str:
    days = format_days(row.days_in_stage)
    if average is None:
        return f"{days} (no stage average yet)"
    marker = " :hourglass:" if row.days_in_stage is not None and row.days_in_stage > average else ""
    return f"{days} (stage average {format_days(average)}){marker}"


def _status_text(deal: Deal, snapshot: PortalSnapshot, row: AtRiskDeal, time_zone: str) -> str:
    pipeline = snapshot.pipeline(deal.pipeline_id)
    stage = pipeline.stage(deal.stage_id) if pipeline is not None else None
    if stage is not None and stage.is_won:
        return ":trophy: *Closed won.*"
    if stage is not None and stage.is_lost:
        return ":x: *Closed lost.*"
    if row.reasons:
        return ":warning: *At risk:* " + "; ".join(reason_texts(row, time_zone))
    return ":white_check_mark: *Not flagged at risk* by the engines."


def deal_card(
    deal: Deal,
    snapshot: PortalSnapshot,
    reports: Sequence[EngineReport],
    *,
    slack_ids: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> SlackMessage:
    """The card for one deal. ``reports`` are the engines' reports for the same snapshot (growth at
    least); ``now`` defaults to the reports' as-of time, so days in stage match the reports."""
    as_of = now or (reports[0].as_of if reports else snapshot.taken_at)
    time_zone = snapshot.portal.time_zone
    currency = deal.currency or snapshot.portal.currency
    row = deal_row(deal, snapshot, as_of, at_risk=at_risk_by_id(reports))
    pipeline = snapshot.pipeline(deal.pipeline_id)
    stage_label = row.stage_label or deal.stage_id or "unknown stage"
    where = f"{escape_within(stage_label, 80)}"
    if pipeline is not None:
        where += f" · {escape_within(pipeline.label, 60)}"
    close = format_date(deal.close_date, time_zone)
    if deal.close_date is not None and deal.close_date < as_of:
        close += " (passed)"
    facts = [
        f"*Amount*\n{escape_within(format_money(deal.amount, currency[:8]), 40)}",
        f"*Stage*\n{where}",
        f"*Days in stage*\n{_days_text(row, stage_average_days(reports, deal.stage_id))}",
        f"*Close date*\n{close}",
        f"*Owner*\n{mention_or_name(row.owner_name, row.owner_email, slack_ids or {}, budget=80)}",
        f"*Deal id*\n{escape_within(deal.id, 60)}",
    ]
    steps = next_steps(row, _signals_for(deal.id, reports))
    if not steps:
        steps = ["No risk flags or signals: keep the next meeting booked and the close date current."]
    blocks: list[Block] = [
        header(plain(deal.name or f"Deal {deal.id}", 150), block_id="deal_header"),
        SectionBlock(block_id="deal_facts", fields=[MarkdownTextObject(text=f) for f in facts]),
        section(_status_text(deal, snapshot, row, time_zone), block_id="deal_risk"),
        section("*Suggested next steps*\n" + "\n".join(f"• {s}" for s in steps), block_id="deal_next_steps"),
    ]
    # A button URL is not mrkdwn, so it is not escaped; it only has to be https and within 3,000.
    url = row.url if row.url and safe_url(row.url) and row.url.startswith("https://") else None
    if url is not None and len(url) <= 3000:
        blocks.append(
            ActionsBlock(
                block_id="deal_actions",
                elements=[LinkButtonElement(text="Open in HubSpot", url=url, action_id=DEAL_OPEN_HUBSPOT)],
            )
        )
    footer = f"As of {format_date(as_of, time_zone, time=True)} · source: {source_text(snapshot.source)}"
    blocks.append(context(footer, block_id="deal_footer"))
    text = fallback_text(
        f"Deal {plain(deal.name or deal.id, 150)}: {plain(stage_label, 60)}, "
        f"{format_money(deal.amount, currency[:8])}"
    )
    return SlackMessage(text=text, blocks=blocks)


# --------------------------------------------------------------------------- several, or none


def deal_pick_list(
    matches: Sequence[Deal], query: str, snapshot: PortalSnapshot, *, more: bool = False
) -> SlackMessage:
    """A short list of matching deals (at most :data:`MAX_MATCHES`), each with a "Show" button.

    ``more`` says the search stopped at the limit, so the reader knows to type more of the name.
    """
    shown = list(matches[:MAX_MATCHES])
    asked_plain = plain(query, 100)
    asked = escape_within(asked_plain, 500)
    intro = f"{len(shown)} deals match “{asked}”. Which one do you mean?"
    if more or len(matches) > MAX_MATCHES:
        intro += " (Showing the largest; type more of the name to narrow it down.)"
    blocks: list[Block] = [section(intro, block_id="deal_matches_intro")]
    for index, deal in enumerate(shown):
        pipeline = snapshot.pipeline(deal.pipeline_id)
        stage = pipeline.stage(deal.stage_id) if pipeline is not None else None
        currency = deal.currency or snapshot.portal.currency
        line = (
            f"*{escape_within(deal.name or f'Deal {deal.id}', 150)}* · "
            f"{escape_within(format_money(deal.amount, currency[:8]), 40)} · "
            f"{escape_within(stage.label if stage else deal.stage_id or 'unknown stage', 50)} · "
            f"id {escape_within(deal.id, 60)}"
        )
        accessory = None
        if 0 < len(deal.id) <= MAX_BUTTON_VALUE:
            accessory = ButtonElement(text="Show", action_id=f"{DEAL_PICK}_{index}", value=deal.id)
        blocks.append(section(line, block_id=f"deal_match_{index}", accessory=accessory))
    return SlackMessage(text=fallback_text(f"{len(shown)} deals match {asked_plain}"), blocks=blocks)


def deal_not_found(query: str) -> SlackMessage:
    """The reply when nothing matches (or nothing was asked), with what to try instead."""
    asked = plain(query)
    if asked:
        text = (
            f"No open or closed deal matches “{escape_within(asked, 100)}”. Try part of the deal name, "
            "or the deal id from its HubSpot URL (the number after `/record/0-3/`)."
        )
    else:
        text = "Which deal? Try `deal Acme renewal` or `deal 1234567890` (the id from its HubSpot URL)."
    block = section(text, block_id="deal_none")
    return SlackMessage(
        text=fallback_text(f"No deal matches {plain(asked, 100)}" if asked else "Which deal?"),
        blocks=[block],
    )


def deal_reply(
    query: str,
    matches: Sequence[Deal],
    snapshot: PortalSnapshot,
    reports: Sequence[EngineReport],
    *,
    slack_ids: Mapping[str, str] | None = None,
    limit: int = MAX_MATCHES,
) -> SlackMessage:
    """The whole answer to ``deal <query>``: a card, a pick list or a not-found reply.

    ``matches`` is :func:`engines.deal_lookup.find_deals` with ``limit`` (ask for one more than you
    show to know whether there are more); resolve the owner e-mail of :func:`single_match` to fill
    ``slack_ids`` before calling.
    """
    chosen = single_match(matches, query)
    if chosen is not None:
        return deal_card(chosen, snapshot, reports, slack_ids=slack_ids)
    if matches:
        return deal_pick_list(matches[:limit], query, snapshot, more=len(matches) > limit)
    return deal_not_found(query)
