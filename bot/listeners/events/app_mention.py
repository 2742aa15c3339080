"""``@bot growth``, ``@bot all for Enterprise Sales``, ``@bot help``: answered in the mention's thread.

Deal reviews happen in threads, so the answer goes to the thread the mention started or sits in.
Repeated deliveries were already dropped by :mod:`bot.listeners.retries`. Here:

- **One answer per message.** Editing a message that mentions the bot makes Slack send
  ``app_mention`` again: a new ``event_id``, the same ``ts``, an ``edited`` field. The message
  (:func:`bot.slack.mention_key`) is claimed in ``deps.seen_mentions`` (shared by replicas when
  ``DATABASE_URL`` is set) and a message already claimed is not answered again: an edit never
  produces a second card, nor updates the first (the thread keeps the answer to what was asked).
  A message edited to *add* the mention is answered, once. Claims last
  :data:`~bot.slack.MENTION_MEMORY` (a day); an edited mention of an older message cannot be told
  apart from one already answered and is ignored.
- **Not to bots.** A message posted by an app (``bot_id``), ours included, is never answered: two
  bots answering each other's mentions would loop.
- The text is parsed once (:func:`bot.slack.text.parse`): the question is what the person typed.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.answers import BotDeps, Invocation, MentionReply, answer
from bot.slack import MENTION_MEMORY, mention_key
from bot.slack.text import parse

__all__ = ["handle_app_mention"]

log = logging.getLogger(__name__)


def _older_than_memory(message_ts: str) -> bool:
    try:
        return time.time() - float(message_ts) > MENTION_MEMORY
    except ValueError:
        return True


def _posted_by_bot(event: dict[str, Any], bot_user_id: str | None) -> bool:
    return (
        bool(event.get("bot_id"))
        or event.get("subtype") == "bot_message"
        or (bot_user_id is not None and event.get("user") == bot_user_id)
    )


async def handle_app_mention(
    event: dict[str, Any], client: AsyncWebClient, context: dict[str, Any], deps: BotDeps
) -> None:
    channel = event.get("channel")
    message_ts = event.get("ts")
    if not channel or not message_ts:
        return
    channel, message_ts = str(channel), str(message_ts)
    if _posted_by_bot(event, context.get("bot_user_id")):
        log.info("ignored a mention posted by a bot (%s)", str(event.get("bot_id") or event.get("user"))[:40])
        return
    if event.get("edited") is not None and _older_than_memory(message_ts):
        log.info(
            "ignored an edit of message %s in %s: older than the mentions remembered", message_ts, channel
        )
        return
    if not await deps.seen_mentions.first_delivery(mention_key(channel, message_ts)):
        log.info("message %s in %s was answered already (edited?): no second answer", message_ts, channel)
        return
    thread_ts = str(event.get("thread_ts") or message_ts)
    reply = MentionReply(client, channel=channel, thread_ts=thread_ts, user=event.get("user"))
    request = deps.parse(parse(event.get("text")))
    invocation = Invocation.of(
        request,
        reply,
        deps,
        user_id=event.get("user"),
        channel_id=channel,
        team_id=event.get("team"),
        client=client,
        thread_ts=thread_ts,
    )
    await answer(request, invocation)
