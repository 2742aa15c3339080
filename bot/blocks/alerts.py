"""Alert digests and the alert rules, in Block Kit.

A digest is one post per channel per window: a header, then the alerts grouped by rule (the group
with the largest amount first, and largest first inside each), each with its deal's link, amount,
owner and what happened, and a menu: *Snooze 7 days* (this deal, this rule) or *Mute rule*. Alerts
past the channel's daily budget fold into "…and N more" with a *Show all* button; the snoozes still
running close the digest (who snoozed what, until when). A long digest is split over as few messages
as Block Kit's limits allow, never trimmed.

Every text from the CRM or from people is escaped (:mod:`bot.blocks.mrkdwn`). Ids are in
:mod:`bot.blocks.ids`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    Option,
    OverflowMenuElement,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.blocks.ids import (
    ALERT_FOLDED,
    ALERT_OPTIN,
    alert_item_action,
    alert_item_value,
)
from bot.blocks.kit import context, header, section
from bot.blocks.message import MAX_MESSAGE_CHARS, SlackMessage
from bot.blocks.mrkdwn import escape, fallback_text, format_date, link, plain
from bot.slack import slack_user_id_ok
from bot.storage import Alert, AlertRule, Snooze

__all__ = [
    "OPTIN_CHOICES",
    "alert_folded_modal",
    "alert_home_blocks",
    "alert_rules_blocks",
    "digest_messages",
]

_MAX_BLOCKS = 45  # of Slack's 50 a message: room for the last message's closing lines
_CHAR_BUDGET = MAX_MESSAGE_CHARS - 1500
_MODAL_ROWS = 90
_LIST_BUDGET = 7000  # characters of rule lines in one message
OPTIN_CHOICES = (
    ("channel", "In the channel only"),
    ("instead", "As a DM instead of the channel"),
    ("also", "As a DM and in the channel"),
)


def _owner(alert: Alert) -> str:
    if alert.owner_user and slack_user_id_ok(alert.owner_user):
        return f"<@{alert.owner_user}>"
    return escape(alert.owner, 60) if alert.owner else "no owner"


def _item_text(alert: Alert) -> str:
    title = link(alert.url, alert.title, 80) if alert.url else f"*{escape(alert.title, 80)}*"
    return f"{title} · {_owner(alert)}\n{escape(alert.detail, 240)}"


def _item(alert: Alert, n: int) -> SectionBlock:
    menu = OverflowMenuElement(
        action_id=alert_item_action(n),
        options=[
            Option(value=alert_item_value("snooze", str(alert.id)), text="Snooze 7 days"),
            Option(value=alert_item_value("mute", alert.rule_id), text="Mute rule"),
        ],
    )
    return section(_item_text(alert), accessory=menu)


def _groups(alerts: Sequence[Alert]) -> list[tuple[str, list[Alert]]]:
    by_rule: dict[str, list[Alert]] = {}
    for alert in alerts:
        by_rule.setdefault(alert.rule_id, []).append(alert)
    for items in by_rule.values():
        items.sort(key=lambda a: -(a.amount or 0.0))
    return sorted(by_rule.items(), key=lambda kv: -(kv[1][0].amount or 0.0))


def _size(blocks: Sequence[Block]) -> int:
    return len(json.dumps([b.to_dict() for b in blocks], ensure_ascii=False))


def _snooze_lines(snoozes: Sequence[Snooze], describe: Mapping[str, str], time_zone: str) -> list[str]:
    lines = []
    for snooze in snoozes[:5]:
        who = (
            f"<@{snooze.snoozed_by}>"
            if slack_user_id_ok(snooze.snoozed_by)
            else escape(snooze.snoozed_by, 30)
        )
        rule = escape(describe.get(snooze.rule_id, snooze.rule_id), 80)
        lines.append(
            f"💤 {escape(snooze.title, 60)} ({rule}) snoozed by {who} until "
            f"{format_date(snooze.until, time_zone, year=False)}"
        )
    if len(snoozes) > 5:
        lines.append(f"…and {len(snoozes) - 5} more snoozed")
    return lines


def digest_messages(
    shown: Sequence[Alert],
    folded: int,
    *,
    digest_id: int,
    describe: Mapping[str, str],
    snoozes: Sequence[Snooze] = (),
    time_zone: str = "UTC",
) -> list[SlackMessage]:
    """The digest as Slack messages (one unless it would break Block Kit's limits).

    ``describe`` gives each rule id its description (plain text); ``folded`` is how many alerts
    went past the daily budget (the *Show all* button lists them).
    """
    total = len(shown) + folded
    title = f"🔔 {total} alert{'s' if total != 1 else ''}"
    blocks: list[Block] = [header(title, block_id="alert_digest_title")]
    n = 0
    for rule_id, items in _groups(shown):
        blocks.append(section(f"*{escape(describe.get(rule_id, 'A rule since removed'), 200)}*"))
        for alert in items:
            n += 1
            blocks.append(_item(alert, n))
    closing: list[Block] = []
    if folded:
        closing.append(
            section(
                f"…and {folded} more (today's budget for this channel is used up).",
                block_id="alert_digest_more",
                accessory=ButtonElement(action_id=ALERT_FOLDED, text="Show all", value=str(digest_id)),
            )
        )
    lines = _snooze_lines(snoozes, describe, time_zone)
    if lines:
        closing.append(context("\n".join(lines), block_id="alert_digest_snoozed"))
    messages: list[list[Block]] = [[]]
    for block in [*blocks, *closing]:
        current = messages[-1]
        if current and (len(current) >= _MAX_BLOCKS or _size([*current, block]) > _CHAR_BUDGET):
            messages.append([])
        messages[-1].append(block)
    names = sorted({plain(a.title, 40) for a in shown})[:3]
    text = f"{title}: " + ", ".join(names) if names else title
    return [SlackMessage(text=fallback_text(text), blocks=part) for part in messages]


def alert_folded_modal(alerts: Sequence[Alert], describe: Mapping[str, str]) -> View:
    """The alerts a digest folded past the budget (its *Show all* button), largest first."""
    blocks: list[Block] = [
        section(f"*{escape(describe.get(a.rule_id, 'A rule since removed'), 100)}*\n{_item_text(a)}")
        for a in alerts[:_MODAL_ROWS]
    ]
    if len(alerts) > _MODAL_ROWS:
        blocks.append(context(f"…and {len(alerts) - _MODAL_ROWS} more"))
    if not blocks:
        blocks.append(section("Nothing was folded in this digest."))
    return View(type="modal", title=PlainTextObject(text="More alerts"), blocks=blocks)


def _rule_line(rule: AlertRule, description: str) -> str:
    muted = f" · muted by <@{rule.muted_by}>" if rule.muted and slack_user_id_ok(rule.muted_by) else ""
    if rule.muted and not muted:
        muted = " · muted"
    return f"`{escape(rule.id, 16)}` {escape(description, 120)} → <#{escape(rule.channel_id, 80)}>{muted}"


def alert_rules_blocks(rules: Sequence[AlertRule], describe: Mapping[str, str]) -> list[Block]:
    """The rules, one line each (``/engine alerts list``)."""
    if not rules:
        return [section("No alert rules yet. Add one with `/engine alerts add deal-lost min=50k`.")]
    blocks: list[Block] = [section("*Alert rules*", block_id="alert_rules_title")]
    chunk: list[str] = []
    used = 0
    for n, rule in enumerate(rules):
        line = _rule_line(rule, describe[rule.id])
        if used + len(line) > _LIST_BUDGET:
            chunk.append(f"…and {len(rules) - n} more")
            break
        if sum(len(x) + 1 for x in chunk) + len(line) > 2800:
            blocks.append(section("\n".join(chunk)))
            chunk = []
        chunk.append(line)
        used += len(line) + 1
    if chunk:
        blocks.append(section("\n".join(chunk)))
    return blocks


def alert_home_blocks(
    rules: Sequence[AlertRule], describe: Mapping[str, str], optin: str | None
) -> list[Block]:
    """The App Home's alerts part: the rules (up to ten) and the viewer's DM choice."""
    lines = [_rule_line(rule, describe[rule.id]) for rule in rules[:10]]
    if len(rules) > 10:
        lines.append(f"…and {len(rules) - 10} more (`/engine alerts list`)")
    text = "*Alerts*\n" + ("\n".join(lines) if lines else "No alert rules yet: `/engine alerts help`.")
    options = [Option(value=value, text=label) for value, label in OPTIN_CHOICES]
    chosen = next((o for o in options if o.value == (optin or "channel")), options[0])
    return [
        section(text, block_id="home_alerts"),
        ActionsBlock(
            block_id="home_alerts_optin",
            elements=[
                StaticSelectElement(
                    action_id=ALERT_OPTIN,
                    placeholder="Alerts on my deals",
                    options=options,
                    initial_option=chosen,
                )
            ],
        ),
        context("Alerts on the deals you own: in their channel, or also (or only) as a DM to you."),
    ]
