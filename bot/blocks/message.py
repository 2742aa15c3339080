"""A Slack message as the bot sends it: fallback text plus Block Kit blocks, and the limits it obeys.

Slack rejects a whole message when one limit is broken, so the limits live here as named numbers
and :func:`limit_problems` checks a finished message against them. Renderers stay under them by
design (budgets per part); the senders run the check once more and degrade to a plain message
rather than let Slack answer ``invalid_blocks`` in front of a user.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.models.blocks import Block

from bot.slack.errors import text_only

__all__ = [
    "MAX_BLOCKS",
    "MAX_BUTTON_TEXT",
    "MAX_BUTTON_VALUE",
    "MAX_CONTEXT_ELEMENTS",
    "MAX_FIELDS",
    "MAX_FIELD_TEXT",
    "MAX_HEADER_TEXT",
    "MAX_MESSAGE_CHARS",
    "MAX_SECTION_TEXT",
    "MAX_TEXT",
    "SlackMessage",
    "deliverable",
    "limit_problems",
    "within_limits",
]

log = logging.getLogger(__name__)

MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_HEADER_TEXT = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_URL = 3000
MAX_ID = 255
MAX_TEXT = 3000
# Slack answers msg_blocks_too_long somewhere around 11-13k characters of blocks (undocumented).
# We count the JSON of the blocks, which over-counts, and stay under this.
MAX_MESSAGE_CHARS = 10_000


@dataclass(frozen=True)
class SlackMessage:
    """Fallback ``text`` (notifications, screen readers) plus the blocks. Always has both."""

    text: str
    blocks: Sequence[Block] = field(default_factory=tuple)

    def blocks_json(self) -> list[dict[str, Any]]:
        """The blocks as Slack JSON; slack_sdk validates each block's own limits here."""
        return [block.to_dict() for block in self.blocks]

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "blocks": self.blocks_json()}


def within_limits(payload: dict[str, Any]) -> dict[str, Any]:
    """``payload`` as it is, or without its blocks (text clipped to a section's 3,000) when they
    would break a limit: logged as the bug it is, and the person still gets the fallback text."""
    problems = limit_problems(payload)
    if not problems:
        return payload
    log.error("message breaks Block Kit limits, sending text only: %s", "; ".join(problems[:5]))
    return {**text_only(payload), "text": str(payload.get("text") or "")[:MAX_TEXT]}


def deliverable(message: SlackMessage) -> dict[str, Any]:
    """``message`` as Slack JSON, or just its text when it would break a limit (see :func:`within_limits`)."""
    return within_limits(message.to_dict())


def limit_problems(payload: dict[str, Any], *, max_blocks: int = MAX_BLOCKS) -> list[str]:
    """Every Block Kit limit ``payload`` (``{"text", "blocks"}`` JSON) breaks; empty when it is fine."""
    problems: list[str] = []
    text = payload.get("text")
    if not isinstance(text, str) or not text.strip():
        problems.append("no fallback text")
    elif len(text) > 40_000:
        problems.append("fallback text longer than 40000")
    blocks = payload.get("blocks") or []
    if len(blocks) > max_blocks:
        problems.append(f"{len(blocks)} blocks > {max_blocks}")
    size = len(json.dumps(blocks, ensure_ascii=False))
    if size > MAX_MESSAGE_CHARS:
        problems.append(f"blocks are {size} characters > {MAX_MESSAGE_CHARS}")
    for index, block in enumerate(blocks):
        problems.extend(f"block {index}: {p}" for p in _block_problems(block))
    return problems


def _text_of(obj: Any) -> str:
    if isinstance(obj, dict):
        value = obj.get("text", "")
        return value if isinstance(value, str) else ""
    return ""


def _block_problems(block: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    kind = block.get("type")
    for key in ("block_id",):
        if len(str(block.get(key, ""))) > MAX_ID:
            problems.append(f"{key} too long")
    if kind == "header":
        if not 1 <= len(_text_of(block.get("text"))) <= MAX_HEADER_TEXT:
            problems.append("header text empty or too long")
    elif kind == "section":
        text = block.get("text")
        fields = block.get("fields") or []
        if text is None and not fields:
            problems.append("section without text or fields")
        if text is not None and not 1 <= len(_text_of(text)) <= MAX_SECTION_TEXT:
            problems.append("section text empty or too long")
        if len(fields) > MAX_FIELDS:
            problems.append(f"{len(fields)} fields > {MAX_FIELDS}")
        problems.extend("field too long" for f in fields if len(_text_of(f)) > MAX_FIELD_TEXT)
        problems.extend("field empty" for f in fields if not _text_of(f))
    elif kind == "context":
        elements = block.get("elements") or []
        if not 1 <= len(elements) <= MAX_CONTEXT_ELEMENTS:
            problems.append(f"context with {len(elements)} elements")
        problems.extend("context text too long" for e in elements if len(_text_of(e)) > MAX_TEXT)
    elif kind == "actions":
        elements = block.get("elements") or []
        if not 1 <= len(elements) <= 25:
            problems.append(f"actions with {len(elements)} elements")
        for element in elements:
            problems.extend(_button_problems(element))
    return problems


def _button_problems(element: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    if element.get("type") != "button":
        return problems
    if not 1 <= len(_text_of(element.get("text"))) <= MAX_BUTTON_TEXT:
        problems.append("button text empty or too long")
    if len(str(element.get("value", ""))) > MAX_BUTTON_VALUE:
        problems.append("button value too long")
    if len(str(element.get("url", ""))) > MAX_URL:
        problems.append("button url too long")
    if not 1 <= len(str(element.get("action_id", "x"))) <= MAX_ID:
        problems.append("action_id empty or too long")
    return problems
