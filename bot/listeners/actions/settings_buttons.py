"""The Settings button (Home tab, and the reply to ``/engine settings`` when no modal could open) and
the settings modal's "Advanced thresholds" buttons. See :mod:`bot.answers.workspace`."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.answers import BotDeps

__all__ = ["handle_settings_advanced", "handle_settings_open"]

log = logging.getLogger(__name__)


def _who(body: dict[str, Any]) -> tuple[str | None, str | None]:
    user = body.get("user") or {}
    team = (body.get("team") or {}).get("id") or user.get("team_id")
    return user.get("id"), team


async def handle_settings_open(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, deps: BotDeps
) -> None:
    await ack()
    if deps.workspaces is None:
        log.warning("a Settings button was clicked, but this process keeps no settings")
        return
    user_id, team_id = _who(body)
    await deps.workspaces.open_modal(
        client, body.get("trigger_id"), user_id=user_id, team_id=team_id, service=deps.service
    )


async def handle_settings_advanced(
    page: int, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient, deps: BotDeps
) -> None:
    if deps.workspaces is None:
        log.warning("an advanced-settings button was clicked, but this process keeps no settings")
        return
    user_id, team_id = _who(body)
    await deps.workspaces.push_advanced(
        client, body.get("trigger_id"), page=page, user_id=user_id, team_id=team_id
    )
