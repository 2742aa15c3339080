"""The card's buttons: show another engine (or all), or refresh the same one - in place.

The click is acknowledged at once; the new card replaces the clicked one through the action's
``response_url`` (``replace_original``), or ``chat.update`` when Slack sent no response URL, so a
busy channel does not fill up with a new card per click.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.answers.answering import BotDeps, answer
from bot.answers.parsing import ReportRequest
from bot.blocks.ids import ENGINE_REFRESH, CardTarget
from bot.listeners.actions.in_place import in_place_reply

__all__ = ["handle_engine_button"]

log = logging.getLogger(__name__)


async def handle_engine_button(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient, deps: BotDeps
) -> None:
    await ack()
    target = CardTarget.from_value(str(action.get("value", "")))
    if target is None:
        log.warning("ignored a card button with a value we did not write")
        return
    reply = in_place_reply(body, client)
    if reply is None:
        log.warning("a card button arrived with nowhere to answer")
        return
    refresh = action.get("action_id") == ENGINE_REFRESH
    await answer(ReportRequest(target.engine, target.pipeline, refresh=refresh), reply, deps)
