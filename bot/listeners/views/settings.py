"""The settings modal's Save: validated, stored and acknowledged in one go (Slack allows 3 seconds;
the admin check is cached from opening the modal, the save is one small transaction). Values that
cannot be used come back into the modal (``response_action: errors``); see
:meth:`bot.answers.workspace.Workspaces.submit`."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.answers import BotDeps

__all__ = ["handle_settings_submission"]


async def handle_settings_submission(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, deps: BotDeps
) -> None:
    if deps.workspaces is None:
        await ack()
        return
    await ack(**await deps.workspaces.submit(client, body, deps.service))
