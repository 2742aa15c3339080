"""``@bot growth``, ``@bot all for Enterprise Sales``, ``@bot help``: answered in the mention's thread.

Deal reviews happen in threads, so the answer goes to the thread the mention started or sits in.
Repeated deliveries were already dropped by :mod:`bot.listeners.events.retries`.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.answers.answering import BotDeps, Invocation, answer
from bot.answers.replies import MentionReply

__all__ = ["handle_app_mention"]


async def handle_app_mention(event: dict[str, Any], client: AsyncWebClient, deps: BotDeps) -> None:
    channel = event.get("channel")
    ts = event.get("thread_ts") or event.get("ts")
    if not channel or not ts:
        return
    reply = MentionReply(client, channel=str(channel), thread_ts=str(ts), user=event.get("user"))
    invocation = Invocation(
        args="",
        private=False,
        reply=reply,
        deps=deps,
        user_id=event.get("user"),
        channel_id=str(channel),
        team_id=event.get("team"),
        client=client,
    )
    await answer(deps.parse(event.get("text")), reply, deps, invocation=invocation)
