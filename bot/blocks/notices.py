"""Short messages that are not cards: help, "working on it", progress and errors.

Help is itself a small card with examples, because the person reading it has just typed something
the bot did not understand and needs the next thing to type, not a usage grammar.
"""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import Block

from bot.blocks.kit import context, header, section
from bot.blocks.message import SlackMessage
from bot.blocks.mrkdwn import escape
from bot.errors import APOLOGY

__all__ = ["error_message", "failure_message", "help_message", "notice_message"]

_EXAMPLES = (
    ("/engine growth", "score the growth engine (pipeline volume, win rate, cycle, bottlenecks)"),
    ("/engine fulfillment", "renewal and expansion signals, delivery pressure, data gaps"),
    ("/engine innovation", "what can be inferred about new offers, and what is missing"),
    ("/engine all", "all three engines in one message"),
    ("/engine growth Enterprise Sales", "one pipeline, by name or id"),
    ("/engine all private", "only you see the answer"),
)


def help_message(
    unknown: str | None = None, *, command: str = "/engine", extra: Sequence[tuple[str, str]] = ()
) -> SlackMessage:
    """The help card; ``unknown`` (what the person typed, untrusted) is echoed back escaped."""
    lines = []
    for example, meaning in (*_EXAMPLES, *extra):
        shown = example.replace("/engine", command, 1)
        lines.append(f"• `{escape(shown, 80)}`: {escape(meaning, 200)}")
    blocks: list[Block] = []
    intro = "Value Engine Bot scores your go-to-market engines from HubSpot."
    if unknown:
        intro = f"I didn't understand `{escape(unknown, 80)}`. " + intro
    blocks.append(header("How to use /engine", emoji=True))
    blocks.append(section(intro))
    blocks.append(section("\n".join(lines)))
    blocks.append(
        context(
            "Mention me in a thread the same way: `@Value Engine growth`, "
            "`@Value Engine all for Enterprise Sales`. Cards show the channel by default."
        )
    )
    text = f"I didn't understand that. Try {command} growth, {command} all or {command} help."
    return SlackMessage(
        text=text if unknown else f"Try {command} growth, {command} all or {command} help.", blocks=blocks
    )


def notice_message(text: str) -> SlackMessage:
    """A one-line message built from trusted words plus already-escaped fragments."""
    return SlackMessage(text=text, blocks=[section(text)])


def error_message(user_message: str) -> SlackMessage:
    """An error a person can act on. ``user_message`` may quote their input, so it is escaped."""
    safe = escape(user_message, 2000)
    return SlackMessage(text=f"⚠️ {safe}", blocks=[section(f"⚠️ {safe}")])


def failure_message(text: str) -> SlackMessage:
    """What a person sees when their request failed (``text`` from :func:`bot.errors.user_text`): a
    known failure as an :func:`error_message`, the apology for a bug as it is."""
    return notice_message(text) if text == APOLOGY else error_message(text)
