"""The engine card's "What changed" button: the change card for the card's pipeline, since 7 days.

Unlike the engine buttons it does not replace the clicked card: the change card is posted as a new
message through the action's ``response_url`` (privately when the clicked card was private), and its
waterfall picture goes into the clicked card's thread.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.answers import BotDeps, CommandReply, Invocation, SubcommandRequest, answer
from bot.answers.changes import CHANGES
from bot.blocks.ids import CardTarget

__all__ = ["handle_changes_button"]

log = logging.getLogger(__name__)


async def handle_changes_button(
    target: CardTarget, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient, deps: BotDeps
) -> None:
    response_url = body.get("response_url")
    if not response_url:
        log.warning("ignored a What changed click without a response_url: nowhere to answer")
        return
    container = body.get("container") or {}
    private = bool(container.get("is_ephemeral"))
    args = f"for {target.pipeline}" if target.pipeline else ""
    request = SubcommandRequest(CHANGES, args, private)
    invocation = Invocation.of(
        request,
        CommandReply(str(response_url)),
        deps,
        user_id=(body.get("user") or {}).get("id"),
        channel_id=container.get("channel_id"),
        team_id=(body.get("team") or {}).get("id"),
        client=client,
        thread_ts=container.get("message_ts"),
    )
    await answer(request, invocation)
