"""One row shape for every deal list: the engines' ``AtRiskDeal``.

The drill-down, the deal card and App Home all list deals the same way (amount, stage, days in stage,
reasons, owner, link). ``AtRiskDeal`` already carries exactly that, so deals named by a signal
(``Signal.deal_ids``) are converted into it by :func:`deal_row`. Risk reasons are never recomputed
here: a deal the engine flagged gets the engine's own entry verbatim, any other deal gets no reasons.

:func:`render_row` turns a row into one mrkdwn string with a hard length bound (:data:`ROW_MAX_CHARS`),
which is what lets the builders choose page sizes that keep every Block Kit limit by construction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from bot.blocks.format import format_money
from bot.blocks.format import reason_text as reason_words
from bot.blocks.mrkdwn import escape_within, format_date, format_days, link_within, mention_or_name
from engines import AtRiskDeal, Deal, EngineReport, PortalSnapshot, RiskReason, Signal, days_between

__all__ = [
    "NAME_BUDGET",
    "ROW_MAX_CHARS",
    "at_risk_by_id",
    "at_risk_rows",
    "deal_row",
    "reason_texts",
    "render_row",
    "signal_rows",
    "sort_by_value",
]

# Escaped-character budgets of the CRM-supplied parts of a row.
NAME_BUDGET = 150
STAGE_BUDGET = 50
OWNER_BUDGET = 50
URL_BUDGET = 300  # a longer deal URL is not linked (HubSpot's are ~70 characters)
# Upper bound of render_row's output: the parts above plus fixed words, numbers, at most three
# reasons with their dates, a money string (currency codes are CRM data too: clipped to 8) and the
# close date. The tests check it against adversarial rows.
ROW_MAX_CHARS = NAME_BUDGET + URL_BUDGET + STAGE_BUDGET + OWNER_BUDGET + 300


def at_risk_by_id(reports: Iterable[EngineReport]) -> dict[str, AtRiskDeal]:
    """Every at-risk entry across ``reports`` keyed by deal id (the first report's entry wins)."""
    found: dict[str, AtRiskDeal] = {}
    for report in reports:
        for item in report.at_risk:
            found.setdefault(item.id, item)
    return found


def sort_by_value(rows: Iterable[AtRiskDeal]) -> list[AtRiskDeal]:
    """Largest amount first (value at risk), missing amounts last, then by deal id for stability."""
    return sorted(rows, key=lambda r: (r.amount is None, -(r.amount or 0.0), r.id))


def at_risk_rows(report: EngineReport) -> list[AtRiskDeal]:
    """The report's at-risk deals, sorted by value at risk."""
    return sort_by_value(report.at_risk)


def deal_row(
    deal: Deal,
    snapshot: PortalSnapshot,
    now: datetime,
    *,
    at_risk: Mapping[str, AtRiskDeal] | None = None,
) -> AtRiskDeal:
    """A deal as a list row: the engine's at-risk entry when it has one, else built from the deal.

    Days in stage is measured from ``Deal.stage_entered_at[stage_id]`` (HubSpot's
    ``hs_v2_date_entered_<stage>``), days since activity from ``last_activity_at``: the same fields the
    engines read. ``reasons`` stays empty, because only the engines decide what is at risk.
    """
    if at_risk is not None and deal.id in at_risk:
        return at_risk[deal.id]
    pipeline = snapshot.pipeline(deal.pipeline_id)
    stage = pipeline.stage(deal.stage_id) if pipeline is not None else None
    owner = snapshot.owner(deal.owner_id)
    entered = deal.stage_entered_at.get(deal.stage_id) if deal.stage_id else None
    return AtRiskDeal(
        id=deal.id,
        name=deal.name,
        amount=deal.amount,
        stage_id=deal.stage_id,
        stage_label=stage.label if stage is not None else None,
        pipeline_id=deal.pipeline_id,
        owner_id=deal.owner_id,
        owner_name=owner.name if owner is not None else None,
        owner_email=owner.email if owner is not None else None,
        days_in_stage=max(0.0, days_between(entered, now)) if entered is not None else None,
        days_since_activity=(
            max(0.0, days_between(deal.last_activity_at, now)) if deal.last_activity_at else None
        ),
        close_date=deal.close_date,
        url=snapshot.deal_url(deal.id),
    )


def signal_rows(
    signal: Signal,
    snapshot: PortalSnapshot,
    now: datetime,
    *,
    reports: Sequence[EngineReport] = (),
) -> list[AtRiskDeal]:
    """The deals a signal names, as rows sorted by value. Ids no longer in the snapshot are skipped."""
    wanted = set(signal.deal_ids)
    flagged = at_risk_by_id(reports)
    rows = [
        deal_row(d, snapshot, now, at_risk=flagged)
        for d in snapshot.deals
        if d.id in wanted and not d.archived
    ]
    return sort_by_value(rows)


def reason_texts(row: AtRiskDeal, time_zone: str = "UTC") -> list[str]:
    """Each risk reason in the RevOps user's words, with the number behind it when known."""
    texts: list[str] = []
    for reason in dict.fromkeys(row.reasons):
        words = reason_words(reason)
        if reason is RiskReason.NO_RECENT_ACTIVITY and row.days_since_activity is not None:
            words += f" ({format_days(row.days_since_activity)})"
        elif reason is RiskReason.PAST_CLOSE_DATE and row.close_date is not None:
            words += f" ({format_date(row.close_date, time_zone)})"
        texts.append(words)
    return texts[:3]


def render_row(
    row: AtRiskDeal,
    *,
    currency: str,
    time_zone: str = "UTC",
    slack_ids: Mapping[str, str] | None = None,
    show_owner: bool = True,
) -> str:
    """One deal as mrkdwn, at most :data:`ROW_MAX_CHARS` characters, every CRM value escaped.

    ``*<link|Name>* · $12,345``, then stage and days in stage, then reasons, then the owner (a mention
    when ``slack_ids`` has their e-mail).
    """
    name = link_within(row.url, row.name or f"Deal {row.id}", label_budget=NAME_BUDGET, url_budget=URL_BUDGET)
    lines = [f"*{name}* · {escape_within(format_money(row.amount, currency[:8]), 40)}"]
    stage = escape_within(row.stage_label or row.stage_id or "unknown stage", STAGE_BUDGET)
    where = f"{stage} · {format_days(row.days_in_stage)} in stage"
    if row.close_date is not None:
        where += f" · close date {format_date(row.close_date, time_zone)}"
    lines.append(where)
    reasons = reason_texts(row, time_zone)
    if reasons:
        lines.append(":warning: " + "; ".join(reasons))
    if show_owner:
        owner = mention_or_name(row.owner_name, row.owner_email, slack_ids or {}, budget=OWNER_BUDGET)
        lines.append(f"Owner: {owner}")
    return "\n".join(lines)
