"""The one checker for what the bot sends Slack: messages, ``response_url`` bodies, modals and Home.

Every block is parsed back with slack_sdk's own models (``to_dict`` validates the per-block limits)
and must come back unchanged; then the renderer's :func:`bot.blocks.limit_problems` (block count,
the ~12k characters Slack accepts), the loopback Slack's :func:`tests.support.slack.block_problems`,
and unique action ids. Every string Slack parses as mrkdwn (each ``text`` outside a ``plain_text``
object, the fallback text included) is scanned: the only ``<…>`` sequences allowed are the HubSpot
deal and ticket links the bot built to the portal's UI domain (``links=ANY_LINK``: any well-formed https link,
for builders a test feeds arbitrary URLs) and mentions of Slack user ids we resolved ourselves;
anything a user typed or the CRM held must arrive as ``&lt;`` / ``&gt;`` / ``&amp;``.

``check_message`` / ``check_view`` / ``check_slack_message`` assert; ``message_problems`` and
``control_problems`` return the problems, for tests that scan many payloads or test the checker.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.blocks import SlackMessage, limit_problems
from tests.support.slack import block_problems

__all__ = [
    "ANY_LINK",
    "DEAL_LINKS",
    "action_id_problems",
    "check_message",
    "check_slack_message",
    "check_view",
    "control_problems",
    "message_problems",
    "mrkdwn_strings",
]

_HUBSPOT_HOSTS = r"app(?:-[a-z0-9]+)?\.hubspot\.com"
DEAL_LINKS = "deal links"  # what the bot sends: deal (0-3) and ticket (0-5) records on the portal's UI domain
ANY_LINK = "any https link"  # builders fed arbitrary URLs: any well-formed https link with a label is ours
_ANY_LINK = re.compile(r"<https://[^\s|<>]+\|[^<>]*>")
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)>")
_CHANNEL = re.compile(r"<#([CGD][A-Z0-9]+)>")
_BARE_AMP = re.compile(r"&(?!amp;|lt;|gt;)")


def _allowed_link(links: str, ui_domain: str | None) -> re.Pattern[str]:
    """The links a payload may carry: our own deal (0-3) and ticket (0-5) links unless told otherwise,
    on ``ui_domain`` or, when not given, on app.hubspot.com or a regional host (app-eu1.hubspot.com)."""
    if links == ANY_LINK:
        return _ANY_LINK
    assert links == DEAL_LINKS, links
    host = re.escape(ui_domain) if ui_domain else _HUBSPOT_HOSTS
    return re.compile(r"<https://" + host + r"/contacts/\d+/record/0-[35]/\d+\|[^<>]*>")


def mrkdwn_strings(payload: Any) -> list[str]:
    """Every string in a payload that Slack would parse for control sequences."""
    found: list[str] = []
    if isinstance(payload, dict):
        if payload.get("type") == "plain_text":
            return found  # Slack never parses plain_text for mentions or links (deal names in headers)
        for key, value in payload.items():
            if key == "text" and isinstance(value, str):
                found.append(value)
            else:
                found.extend(mrkdwn_strings(value))
    elif isinstance(payload, list):
        for item in payload:
            found.extend(mrkdwn_strings(item))
    return found


def control_problems(
    payload: Any,
    allowed_mentions: Iterable[str] = frozenset(),
    *,
    ui_domain: str | None = None,
    links: str = DEAL_LINKS,
    allowed_channels: Iterable[str] = frozenset(),
) -> list[str]:
    """Control sequences (``<!channel>``, ``<@U…>``, forged links) and bare ``&`` that reached the
    payload; a mention of a user in ``allowed_mentions`` (owners we resolved through Slack) is ours,
    and so is a link to a channel in ``allowed_channels`` (``<#C…>``: where an alert rule posts)."""
    allowed = frozenset(allowed_mentions)
    channels = frozenset(allowed_channels)
    link = _allowed_link(links, ui_domain)
    problems = []
    for text in mrkdwn_strings(payload):
        leftover = link.sub("", text)
        leftover = _MENTION.sub(lambda m: "" if m[1] in allowed else m[0], leftover)
        leftover = _CHANNEL.sub(lambda m: "" if m[1] in channels else m[0], leftover)
        if "<" in leftover or ">" in leftover:
            problems.append(f"unescaped control sequence in {leftover[:120]!r}")
        if _BARE_AMP.search(leftover):
            problems.append(f"unescaped & in {leftover[:120]!r}")
    return problems


def action_id_problems(blocks: list[dict[str, Any]]) -> list[str]:
    """Action ids must not repeat anywhere in one message or view (buttons, accessories, selects)."""
    seen: list[str] = []
    for block in blocks:
        elements = list(block.get("elements") or [])
        if isinstance(block.get("accessory"), dict):
            elements.append(block["accessory"])
        seen.extend(e["action_id"] for e in elements if isinstance(e, dict) and "action_id" in e)
    return [f"duplicate action_id {a}" for a in sorted(set(seen)) if seen.count(a) > 1]


def _reparse_problems(blocks: Any) -> list[str]:
    """slack_sdk must parse every block, validate it, and give it back unchanged."""
    problems = []
    for raw in blocks if isinstance(blocks, list) else []:
        try:
            parsed = Block.parse(raw)
            if parsed is None:
                problems.append(f"slack_sdk cannot parse {json.dumps(raw)[:120]}")
            elif parsed.to_dict() != raw:  # to_dict runs slack_sdk's own limit validation
                problems.append(f"slack_sdk reads the block differently: {json.dumps(raw)[:120]}")
        except Exception as exc:  # slack_sdk raises SlackObjectFormationError and friends
            problems.append(f"slack_sdk rejects a block: {exc}")
    return problems


def message_problems(
    payload: dict[str, Any],
    allowed_mentions: Iterable[str] = frozenset(),
    *,
    max_blocks: int = 50,
    ui_domain: str | None = None,
    links: str = DEAL_LINKS,
    allowed_channels: Iterable[str] = frozenset(),
    require_text: bool = False,
) -> list[str]:
    """Every problem of a chat message / ``response_url`` payload (empty: Slack takes it as is)."""
    blocks = payload.get("blocks", [])
    problems = []
    if require_text and not (isinstance(payload.get("text"), str) and payload["text"].strip()):
        problems.append("no fallback text")
    problems += _reparse_problems(blocks)
    problems += limit_problems(payload, max_blocks=max_blocks)
    problems += block_problems(blocks, max_blocks=max_blocks)
    if isinstance(blocks, list):
        problems += action_id_problems(blocks)
    problems += control_problems(
        payload, allowed_mentions, ui_domain=ui_domain, links=links, allowed_channels=allowed_channels
    )
    return problems


def check_message(
    payload: dict[str, Any],
    allowed_mentions: Iterable[str] = frozenset(),
    *,
    max_blocks: int = 50,
    links: str = DEAL_LINKS,
    allowed_channels: Iterable[str] = frozenset(),
) -> None:
    """A chat message / ``response_url`` payload: parses, keeps every limit, nothing unescaped."""
    problems = message_problems(
        payload, allowed_mentions, max_blocks=max_blocks, links=links, allowed_channels=allowed_channels
    )
    assert problems == [], problems[:5]


def check_view(
    view: View | dict[str, Any],
    allowed_mentions: Iterable[str] = frozenset(),
    *,
    max_chars: int | None = None,
    links: str = DEAL_LINKS,
    allowed_channels: Iterable[str] = frozenset(),
) -> dict[str, Any]:
    """A view as built or as sent to ``views.open`` / ``views.update`` / ``views.publish``: slack_sdk's
    View model accepts it unchanged (modal title <= 24, 1-100 blocks, private_metadata <= 3000), every
    block re-parses, every per-block limit holds, ids are unique and nothing unescaped reached it."""
    if isinstance(view, View):
        data: dict[str, Any] = view.to_dict()
    else:
        data = {k: v for k, v in view.items() if k not in ("id", "hash")}
    assert View(**data).to_dict() == data
    assert data["type"] in ("modal", "home")
    assert 1 <= len(data["blocks"]) <= 100
    if data["type"] == "modal":
        assert 1 <= len(data["title"]["text"]) <= 24
    assert len(data.get("private_metadata") or "") <= 3000
    problems = _reparse_problems(data["blocks"])
    # A view is not a message: the ~12k "msg_blocks_too_long" ceiling does not apply to it as such.
    blocks_payload = {"text": "view", "blocks": data["blocks"]}
    problems += [p for p in limit_problems(blocks_payload, max_blocks=100) if "characters >" not in p]
    problems += block_problems(data["blocks"], max_blocks=100) + action_id_problems(data["blocks"])
    problems += control_problems(data, allowed_mentions, links=links, allowed_channels=allowed_channels)
    assert problems == [], problems[:5]
    if max_chars is not None:  # a builder's own budget (Slack sets none for views but the block count)
        assert len(json.dumps(data["blocks"], ensure_ascii=False)) <= max_chars
    return data


def check_slack_message(message: SlackMessage) -> dict[str, Any]:
    """A message the bot built: it has fallback text, is JSON, and passes :func:`check_message`."""
    payload = message.to_dict()
    assert payload["text"].strip(), "fallback text is required"
    json.dumps(payload)
    check_message(payload)
    return payload
