"""Where a click's answer goes when it redraws the clicked message: its ``response_url``, or
``chat.update`` of the message when Slack sent no response URL."""

from __future__ import annotations

from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.answers.replies import ActionReply, ChatUpdateReply, Reply

__all__ = ["in_place_reply"]


def in_place_reply(body: dict[str, Any], client: AsyncWebClient) -> Reply | None:
    """A reply that replaces the clicked message, or ``None`` when the click names no message."""
    if body.get("response_url"):
        return ActionReply(str(body["response_url"]))
    container = body.get("container") or {}
    if container.get("channel_id") and container.get("message_ts"):
        user = (body.get("user") or {}).get("id")
        return ChatUpdateReply(client, channel=container["channel_id"], ts=container["message_ts"], user=user)
    return None
