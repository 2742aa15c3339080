"""Checks every produced Slack message must pass: slack_sdk's validation, our limits, Slack's limits,
and no mention or link injection."""

from __future__ import annotations

import json
import re
from typing import Any

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.blocks import SlackMessage, limit_problems
from tests.fakes.slack import block_problems

# Our own deal (0-3) and ticket (0-5) links are the only control sequences a message may contain
# (app.hubspot.com, or a regional host such as app-eu1.hubspot.com).
_ALLOWED_LINK = re.compile(
    r"<https://app(-[a-z0-9]+)?\.hubspot\.com/contacts/\d+/record/0-[35]/[A-Za-z0-9_-]+\|[^<>]*>"
)


def mrkdwn_strings(payload: Any) -> list[str]:
    """Every string in a message payload that Slack would parse for control sequences."""
    found: list[str] = []
    if isinstance(payload, dict):
        if payload.get("type") == "plain_text":
            return found  # Slack never parses plain_text for mentions or links (deal names in headers)
        for key, value in payload.items():
            if key in ("text",) and isinstance(value, str):
                found.append(value)
            else:
                found.extend(mrkdwn_strings(value))
    elif isinstance(payload, list):
        for item in payload:
            found.extend(mrkdwn_strings(item))
    return found


def injection_problems(
    payload: dict[str, Any],
    allowed_mentions: frozenset[str] = frozenset(),
    allowed_channels: frozenset[str] = frozenset(),
) -> list[str]:
    """Control sequences (``<!channel>``, ``<@U…>``, forged links) that reached the payload; a
    mention of a user in ``allowed_mentions`` (owners we resolved through Slack) is ours, and so is a
    link to a channel in ``allowed_channels`` (``<#C…>``: where an alert rule posts)."""
    problems = []
    for text in mrkdwn_strings(payload):
        leftover = _ALLOWED_LINK.sub("", text)
        leftover = re.sub(r"<@([UW][A-Z0-9]+)>", lambda m: "" if m[1] in allowed_mentions else m[0], leftover)
        leftover = re.sub(
            r"<#([CGD][A-Z0-9]+)>", lambda m: "" if m[1] in allowed_channels else m[0], leftover
        )
        if "<" in leftover or ">" in leftover:
            problems.append(f"unescaped control sequence in {leftover[:120]!r}")
        if re.search(r"&(?!amp;|lt;|gt;)", leftover):
            problems.append(f"unescaped & in {leftover[:120]!r}")
    return problems


def assert_valid_payload(
    payload: dict[str, Any],
    *,
    max_blocks: int = 50,
    allowed_mentions: frozenset[str] = frozenset(),
    allowed_channels: frozenset[str] = frozenset(),
) -> None:
    """A payload as sent to Slack: re-parse every block with slack_sdk, then every limit check."""
    for raw in payload.get("blocks", []):
        parsed = Block.parse(raw)
        assert parsed is not None, raw
        parsed.to_dict()  # runs slack_sdk's own limit validation, raising on any violation
    assert limit_problems(payload, max_blocks=max_blocks) == []
    assert block_problems(payload.get("blocks", []), max_blocks=max_blocks) == []
    assert injection_problems(payload, allowed_mentions, allowed_channels) == []


def assert_valid_view(view: dict[str, Any], *, allowed_mentions: frozenset[str] = frozenset()) -> None:
    """A view as sent to ``views.open`` / ``views.update`` / ``views.publish``: slack_sdk's View model
    accepts it (modal title <= 24, <= 100 blocks, private_metadata <= 3000), every block re-parses,
    every per-block limit holds and nothing unescaped reached it."""
    data = {k: v for k, v in view.items() if k not in ("id", "hash")}
    parsed = View(**data)
    assert parsed.to_dict() == data
    assert data["type"] in ("modal", "home")
    if data["type"] == "modal":
        assert 1 <= len(data["title"]["text"]) <= 24
    assert len(data.get("private_metadata") or "") <= 3000
    for raw in data["blocks"]:
        parsed_block = Block.parse(raw)
        assert parsed_block is not None, raw
        parsed_block.to_dict()
    blocks_payload = {"text": "view", "blocks": data["blocks"]}
    # A view is not a message: the ~12k "msg_blocks_too_long" ceiling does not apply to it as such.
    problems = [p for p in limit_problems(blocks_payload, max_blocks=100) if "characters >" not in p]
    assert problems == []
    assert block_problems(data["blocks"], max_blocks=100) == []
    assert injection_problems(data, allowed_mentions) == []


def assert_valid_message(message: SlackMessage) -> dict[str, Any]:
    payload = message.to_dict()
    assert payload["text"].strip(), "fallback text is required"
    json.dumps(payload)
    assert_valid_payload(payload)
    return payload
