"""Checks every produced Slack message must pass: slack_sdk's validation, our limits, Slack's limits,
and no mention or link injection."""

from __future__ import annotations

import json
import re
from typing import Any

from slack_sdk.models.blocks import Block

from bot.render import SlackMessage, limit_problems
from tests.fakes.slack import block_problems

# Our own deal links are the only control sequences a message may contain.
_ALLOWED_LINK = re.compile(r"<https://app\.hubspot\.com/contacts/\d+/record/0-3/[A-Za-z0-9_-]+\|[^<>]*>")


def mrkdwn_strings(payload: Any) -> list[str]:
    """Every string in a message payload that Slack would parse for control sequences."""
    found: list[str] = []
    if isinstance(payload, dict):
        for key, value in payload.items():
            if key in ("text",) and isinstance(value, str):
                found.append(value)
            else:
                found.extend(mrkdwn_strings(value))
    elif isinstance(payload, list):
        for item in payload:
            found.extend(mrkdwn_strings(item))
    return found


def injection_problems(payload: dict[str, Any]) -> list[str]:
    """Control sequences (``<!channel>``, ``<@U…>``, forged links) that reached the payload."""
    problems = []
    for text in mrkdwn_strings(payload):
        leftover = _ALLOWED_LINK.sub("", text)
        if "<" in leftover or ">" in leftover:
            problems.append(f"unescaped control sequence in {leftover[:120]!r}")
        if re.search(r"&(?!amp;|lt;|gt;)", leftover):
            problems.append(f"unescaped & in {leftover[:120]!r}")
    return problems


def assert_valid_payload(payload: dict[str, Any], *, max_blocks: int = 50) -> None:
    """A payload as sent to Slack: re-parse every block with slack_sdk, then every limit check."""
    for raw in payload.get("blocks", []):
        parsed = Block.parse(raw)
        assert parsed is not None, raw
        parsed.to_dict()  # runs slack_sdk's own limit validation, raising on any violation
    assert limit_problems(payload, max_blocks=max_blocks) == []
    assert block_problems(payload.get("blocks", []), max_blocks=max_blocks) == []
    assert injection_problems(payload) == []


def assert_valid_message(message: SlackMessage) -> dict[str, Any]:
    payload = message.to_dict()
    assert payload["text"].strip(), "fallback text is required"
    json.dumps(payload)
    assert_valid_payload(payload)
    return payload
