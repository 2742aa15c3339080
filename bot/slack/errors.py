"""Slack's errors in one place: the error-code reader, the codes that mean "blocks refused", the
advice a person gets for a code, and the send-with-text-fallback helper.

Log lines and messages name a failed Slack call by its error code, never by the request (which may
carry a user's e-mail) and never with the token.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from slack_sdk.errors import SlackApiError

__all__ = [
    "BLOCKS_REFUSED",
    "send_with_text_fallback",
    "slack_advice",
    "slack_error_code",
    "text_only",
]

log = logging.getLogger(__name__)

T = TypeVar("T")

# Slack's answers to blocks it will not show. The renderers keep within the limits by design; this
# is the net under them: the message goes out again as its fallback text.
BLOCKS_REFUSED = frozenset({"invalid_blocks", "invalid_blocks_format", "msg_blocks_too_long", "msg_too_long"})


def slack_error_code(error: BaseException) -> str:
    """Slack's error code (``not_in_channel``), ``http_<status>`` when the body was not JSON (a 5xx
    from a proxy), or the exception's type for anything that is not a Slack API error.

    Never the raw body, which may be a long HTML page; ``SlackResponse.get`` raises on a body that
    is not JSON, so the response data is inspected directly.
    """
    if not isinstance(error, SlackApiError):
        return type(error).__name__
    response = error.response
    data = getattr(response, "data", None)
    if isinstance(data, dict) and data.get("error"):
        return str(data["error"])
    status = getattr(response, "status_code", None)
    return f"http_{status}" if status else "unknown_error"


_ADVICE: dict[str, Callable[[str | None], str]] = {
    "channel_not_found": lambda channel: (
        f"Slack has no channel {channel!r} that the bot can see; use its id (C…)."
        if channel
        else "Slack has no channel by that name that the bot can see; use its id (C…)."
    ),
    "not_in_channel": lambda channel: (
        f"The bot is not in {channel!r} and cannot join it (private?); invite it first."
        if channel
        else "The bot is not in this channel and cannot join it (private?); invite it first."
    ),
    "is_archived": lambda channel: (
        f"Channel {channel!r} is archived." if channel else "The channel is archived."
    ),
    "invalid_auth": lambda _: "Slack rejected SLACK_BOT_TOKEN (invalid_auth). Check the token.",
    "not_authed": lambda _: "Slack got no token. Set SLACK_BOT_TOKEN.",
    "missing_scope": lambda _: "The Slack app lacks a scope; reinstall it from manifest.yml.",
}


def slack_advice(code: str, channel: str | None = None) -> str | None:
    """What a person can do about Slack error ``code`` (naming ``channel`` when given), or ``None``
    when the code has no advice beyond "try again"."""
    advice = _ADVICE.get(code)
    return advice(channel) if advice is not None else None


def text_only(payload: dict[str, Any]) -> dict[str, Any]:
    """``payload`` without its blocks: the fallback text (and whatever else it carries) alone."""
    return {key: value for key, value in payload.items() if key != "blocks"}


async def send_with_text_fallback(
    send: Callable[[dict[str, Any]], Awaitable[T]],
    payload: dict[str, Any],
    *,
    refused: Callable[[T], str | None] = lambda _: None,
) -> T:
    """``send(payload)``; when Slack refuses its blocks, ``send`` it again as text only (logged).

    A refusal is a :class:`SlackApiError` with a code in :data:`BLOCKS_REFUSED` (Web API calls) or
    whatever ``refused`` reads from the result (a ``response_url`` answers with a status and body
    instead of raising). Anything else is returned or raised as it is.
    """
    try:
        result = await send(payload)
    except SlackApiError as error:
        code = slack_error_code(error)
        if code not in BLOCKS_REFUSED or not payload.get("blocks"):
            raise
    else:
        refusal = refused(result)
        if refusal not in BLOCKS_REFUSED or not payload.get("blocks"):
            return result
        code = refusal or ""
    log.error("Slack refused the blocks (%s); sending the text only", code)
    return await send(text_only(payload))
