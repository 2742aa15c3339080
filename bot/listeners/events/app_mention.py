"""``@bot growth``, ``@bot all for Enterprise Sales``, ``@bot help``: answered in the mention's thread.

Deal reviews happen in threads, so the answer goes to the thread the mention started or sits in.
Repeated deliveries were already dropped by :mod:`bot.listeners.retries`.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.answers import BotDeps, Invocation, MentionReply, answer

__all__ = ["handle_app_mention"]


async def handle_app_mention(event: dict[str, Any], client: AsyncWebClient, deps: BotDeps) -> None:
    channel = event.get("channel")
    ts = event.get("thread_ts") or event.get("ts")
    if not channel or not ts:
        return
    reply = MentionReply(client, channel=str(channel), thread_ts=str(ts), user=event.get("user"))
    request = deps.parse(event.get("text"))
    invocation = Invocation.of(
        request,
        reply,
        deps,
        user_id=event.get("user"),
        channel_id=str(channel),
        team_id=event.get("team"),
        client=client,
    )
    await answer(request, invocation)
