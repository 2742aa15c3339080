"""The change card: what moved the open pipeline between two moments, in Block Kit and in plain text.

One renderer for Slack (:func:`changes_message`) and one for the terminal (:func:`changes_text`),
both from an :class:`engines.changes.ChangeReport`, with the same words: the waterfall's buckets in
their fixed order with signed values and counts, the largest deals of each (linked to HubSpot,
owner as on the engine card), the moves beside the waterfall, and - when the change log does not
reach back to the start asked for - from when it does, said plainly.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.blocks.format import count_text, format_money
from bot.blocks.message import SlackMessage
from bot.blocks.mrkdwn import escape, format_date, link, plain
from engines import BUCKETS, MOVES, ChangedDeal, ChangeGroup, ChangeReport

__all__ = ["BUCKET_TITLES", "MOVE_TITLES", "changes_message", "changes_text", "signed_money"]

BUCKET_TITLES = {
    "created": "Created",
    "won": "Won",
    "lost": "Lost",
    "deleted": "Deleted",
    "reopened": "Reopened",
    "restored": "Restored",
    "moved_in": "Moved in",
    "moved_out": "Moved out",
    "amount_up": "Amount up",
    "amount_down": "Amount down",
}
MOVE_TITLES = {
    "pushed": "Pushed out",
    "pulled_in": "Pulled in",
    "stage_forward": "Stage forward",
    "stage_backward": "Stage backward",
}
TOP_DEALS = 3  # per bucket on the card
DealUrl = Callable[[str], str | None]


def signed_money(value: Decimal, currency: str) -> str:
    """``+$12.5k`` / ``−$3k`` (a real minus sign) / ``$0``."""
    text = format_money(float(abs(value)), currency)
    return f"+{text}" if value > 0 else f"−{text}" if value < 0 else text


def _scope(report: ChangeReport, pipeline_label: str | None) -> str:
    return pipeline_label or report.pipeline or "all pipelines"


def _when(moment: datetime, time_zone: str) -> str:
    return format_date(moment, time_zone, time=True)


def _period(report: ChangeReport, time_zone: str) -> str:
    return f"{_when(report.start, time_zone)} → {_when(report.until, time_zone)}"


def _coverage(report: ChangeReport, time_zone: str) -> str | None:
    if not report.partial:
        return None
    return (
        f"The change log starts {_when(report.start, time_zone)}, after the "
        f"{_when(report.since, time_zone)} asked for: these are the changes since it started."
    )


def _moves_line(report: ChangeReport, currency: str) -> str:
    parts = []
    for name in MOVES:
        group = report.moves[name]
        text = f"{MOVE_TITLES[name]} {group.count} ({format_money(float(group.value), currency)}"
        if name == "pushed" and group.left_quarter:
            text += f"; {group.left_quarter} left this quarter"
        if name == "pulled_in" and group.entered_quarter:
            text += f"; {group.entered_quarter} entered this quarter"
        parts.append(text + ")")
    return " · ".join(parts)


def _deal_line(deal: ChangedDeal, currency: str, deal_url: DealUrl) -> str:
    bits = [link(deal_url(deal.id), deal.name or f"Deal {deal.id}", 60), signed_money(deal.amount, currency)]
    if deal.owner:
        bits.append(escape(deal.owner, 40))
    return "• " + " · ".join(bits)


def _bucket_text(name: str, group: ChangeGroup, currency: str, deal_url: DealUrl) -> str:
    head = (
        f"*{BUCKET_TITLES[name]}* {signed_money(group.value, currency)} · {count_text(group.count, 'deal')}"
    )
    lines = [_deal_line(d, currency, deal_url) for d in group.deals[:TOP_DEALS]]
    if group.count > TOP_DEALS:
        lines.append(f"and {group.count - TOP_DEALS:,} more")
    return "\n".join([head, *lines])


def changes_message(
    report: ChangeReport,
    *,
    currency: str = "USD",
    time_zone: str = "UTC",
    pipeline_label: str | None = None,
    deal_url: DealUrl = lambda _: None,
    since_previous_post: bool = False,
) -> SlackMessage:
    """The change card. ``since_previous_post`` titles it for a scheduled post ("since the previous
    post") instead of "since <date>"."""
    scope = _scope(report, pipeline_label)
    title = "What changed since the previous post" if since_previous_post else "What changed"
    start, end = report.open_value_start, report.open_value_end
    summary = (
        f"*Open pipeline* {format_money(float(start), currency)} → {format_money(float(end), currency)} "
        f"({signed_money(end - start, currency)}) · {escape(scope, 80)}\n{_period(report, time_zone)}"
    )
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=plain(f"{title} · {scope}", 150), emoji=True)),
        SectionBlock(text=MarkdownTextObject(text=summary)),
    ]
    coverage = _coverage(report, time_zone)
    if coverage:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=f"⚠️ {coverage}")]))
    changed = [name for name in BUCKETS if report.buckets[name].count]
    if changed:
        for name in changed:
            text = _bucket_text(name, report.buckets[name], currency, deal_url)
            blocks.append(SectionBlock(text=MarkdownTextObject(text=text[:3000])))
    else:
        blocks.append(SectionBlock(text=MarkdownTextObject(text="No deal changed its open value.")))
    blocks.append(
        SectionBlock(text=MarkdownTextObject(text=f"*Beside the waterfall*\n{_moves_line(report, currency)}"))
    )
    blocks.append(
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text="Open value: the amounts of open deals in scope. Every deal whose open value "
                    "changed is in exactly one bucket, so start + buckets = end."
                )
            ]
        )
    )
    fallback = f"{title} ({scope}): open pipeline {format_money(float(start), currency)} → " + (
        f"{format_money(float(end), currency)}; "
        + (
            ", ".join(
                f"{BUCKET_TITLES[n].lower()} {signed_money(report.buckets[n].value, currency)} "
                f"({report.buckets[n].count})"
                for n in changed
            )
            or "no deal changed its open value"
        )
    )
    return SlackMessage(text=escape(fallback, 3000), blocks=blocks)


def changes_text(
    report: ChangeReport,
    *,
    currency: str = "USD",
    time_zone: str = "UTC",
    pipeline_label: str | None = None,
) -> str:
    """The change card for a terminal: the same words, aligned columns, no markup."""
    scope = _scope(report, pipeline_label)
    start, end = report.open_value_start, report.open_value_end
    lines = [
        f"What changed · {scope}",
        _period(report, time_zone),
        "",
    ]
    coverage = _coverage(report, time_zone)
    if coverage:
        lines += [f"! {coverage}", ""]
    lines.append(f"  {'Open at the start':<22}{format_money(float(start), currency):>12}")
    for name in BUCKETS:
        group = report.buckets[name]
        if not group.count:
            continue
        lines.append(
            f"  {BUCKET_TITLES[name]:<22}{signed_money(group.value, currency):>12}  "
            f"{count_text(group.count, 'deal')}"
        )
        for deal in group.deals[:TOP_DEALS]:
            owner = f" · {deal.owner}" if deal.owner else ""
            lines.append(
                f"      {deal.name or 'Deal ' + deal.id} {signed_money(deal.amount, currency)}{owner}"
            )
    lines.append(f"  {'Open at the end':<22}{format_money(float(end), currency):>12}")
    lines += ["", "Beside the waterfall: " + _moves_line(report, currency), ""]
    return "\n".join(lines)
