"""The Home tab's pipeline picker and Refresh button: re-publish the tab for the chosen pipeline."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.answers.answering import BotDeps
from bot.answers.home import publish_home
from bot.blocks.ids import HOME_REFRESH, home_pipeline_from_value

__all__ = ["handle_home_control"]

log = logging.getLogger(__name__)


async def handle_home_control(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient, deps: BotDeps
) -> None:
    await ack()
    user_id = (body.get("user") or {}).get("id")
    if not user_id:
        log.warning("a Home tab control arrived without a user")
        return
    selected = action.get("selected_option") or {}
    value = selected.get("value") if isinstance(selected, dict) else None
    value = value if value is not None else action.get("value")
    pipeline = home_pipeline_from_value(value)
    refresh = action.get("action_id") == HOME_REFRESH
    team_id = (body.get("team") or {}).get("id")
    await publish_home(client, str(user_id), pipeline, deps, refresh=refresh, team_id=team_id)
