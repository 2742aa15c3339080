"""Checks every produced message and view against Block Kit limits and for unescaped control text.

Each payload is parsed back with slack_sdk's own models (which validate per-block limits on
``to_dict``), then checked with the renderer's :func:`bot.blocks.message.limit_problems` (block count,
~10k characters) and the loopback Slack's :func:`tests.fakes.slack.block_problems`, action ids must be
unique, and every mrkdwn string is scanned: the only ``<…>`` sequences allowed are links
to https URLs and mentions of Slack user ids we resolved ourselves, and every ``&`` is an entity.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.blocks.message import limit_problems
from tests.fakes.slack import block_problems

_SEQUENCE = re.compile(r"<([^<>]*)>")
_LINK = re.compile(r"https://[^\s|<>]+\|[^<>]*")
_MENTION = re.compile(r"@[UW][A-Z0-9]+")
_BARE_AMP = re.compile(r"&(?!amp;|lt;|gt;)")


def mrkdwn_texts(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if node.get("type") == "mrkdwn" and isinstance(node.get("text"), str):
            yield node["text"]
        for value in node.values():
            yield from mrkdwn_texts(value)
    elif isinstance(node, list):
        for value in node:
            yield from mrkdwn_texts(value)


def control_problems(payload: Any, allowed_mentions: frozenset[str] = frozenset()) -> list[str]:
    problems = []
    texts = list(mrkdwn_texts(payload))
    if isinstance(payload, dict) and isinstance(payload.get("text"), str):
        texts.append(payload["text"])  # the fallback text is parsed as mrkdwn too
    for text in texts:
        for inner in _SEQUENCE.findall(text):
            if _LINK.fullmatch(inner):
                continue
            if _MENTION.fullmatch(inner) and inner[1:] in allowed_mentions:
                continue
            problems.append(f"control sequence <{inner[:60]}> in {text[:80]!r}")
        rest = _SEQUENCE.sub("", text)
        if "<" in rest or ">" in rest:
            problems.append(f"stray angle bracket in {text[:80]!r}")
        if _BARE_AMP.search(text):
            problems.append(f"unescaped & in {text[:80]!r}")
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


def check_message(payload: dict[str, Any], allowed_mentions: frozenset[str] = frozenset()) -> None:
    """A chat message / response_url payload: parses, keeps every limit, nothing unescaped."""
    reparsed = [Block.parse(b).to_dict() for b in payload["blocks"]]
    assert reparsed == payload["blocks"]
    problems = limit_problems(payload) + control_problems(payload, allowed_mentions)
    problems += block_problems(payload["blocks"]) + action_id_problems(payload["blocks"])
    assert problems == [], problems[:5]


def check_view(
    view: View, allowed_mentions: frozenset[str] = frozenset(), *, max_chars: int = 12_000
) -> dict[str, Any]:
    """A modal or Home view: slack_sdk validates it (title <= 24, <= 100 blocks, metadata <= 3000)."""
    data: dict[str, Any] = view.to_dict()
    again = View(**data).to_dict()
    assert again == data
    assert 1 <= len(data["blocks"]) <= 100
    if data["type"] == "modal":
        assert len(data["title"]["text"]) <= 24
    payload = {"text": "view", "blocks": data["blocks"]}
    problems = limit_problems(payload, max_blocks=100)
    problems = [p for p in problems if "characters >" not in p]
    problems += control_problems(data, allowed_mentions)
    problems += block_problems(data["blocks"], max_blocks=100) + action_id_problems(data["blocks"])
    assert problems == [], problems[:5]
    assert len(json.dumps(data["blocks"], ensure_ascii=False)) <= max_chars
    assert len(data.get("private_metadata") or "") <= 3000
    return data
