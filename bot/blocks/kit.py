"""The three blocks every builder writes most, each with mrkdwn (or plain) text in it: a section, a
context line, a header. One spelling of each, so the builders read as what they show."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    BlockElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

__all__ = ["context", "header", "section"]


def section(text: str, *, block_id: str | None = None, accessory: BlockElement | None = None) -> SectionBlock:
    """A section of mrkdwn ``text`` (already escaped), with an optional accessory (a button)."""
    return SectionBlock(block_id=block_id, text=MarkdownTextObject(text=text), accessory=accessory)


def context(*texts: str, block_id: str | None = None) -> ContextBlock:
    """A context line: one mrkdwn element per text (already escaped)."""
    return ContextBlock(block_id=block_id, elements=[MarkdownTextObject(text=text) for text in texts])


def header(text: str, *, block_id: str | None = None, emoji: bool | None = None) -> HeaderBlock:
    """A header of plain ``text`` (never parsed for mentions or links; at most 150 characters)."""
    return HeaderBlock(block_id=block_id, text=PlainTextObject(text=text, emoji=emoji))
