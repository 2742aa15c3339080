"""An alert digest's menus (*Snooze 7 days*, *Mute rule*) and *Show all* button, and the App Home's
choice of DMs for one's own deals. See :mod:`bot.alerts.service`."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.answers import BotDeps
from bot.answers.home import publish_home
from bot.blocks.ids import alert_item_from_value, home_pipeline_from_metadata

__all__ = ["handle_alert_folded", "handle_alert_item", "handle_alert_optin"]

log = logging.getLogger(__name__)


def _selected(action: dict[str, Any]) -> str:
    option = action.get("selected_option") or {}
    return str(option.get("value") or "") if isinstance(option, dict) else ""


async def handle_alert_item(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient, deps: BotDeps
) -> None:
    await ack()
    choice = alert_item_from_value(_selected(action))
    if choice is None or deps.alerts is None:
        log.warning("ignored an alert menu choice we did not write")
        return
    await deps.alerts.on_item(choice, body, client)


async def handle_alert_folded(
    digest_id: int, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient, deps: BotDeps
) -> None:
    if deps.alerts is not None:
        await deps.alerts.show_folded(digest_id, body.get("trigger_id"), client)


async def handle_alert_optin(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient, deps: BotDeps
) -> None:
    await ack()
    user_id = (body.get("user") or {}).get("id")
    if deps.alerts is None or not user_id:
        return
    await deps.alerts.set_optin(str(user_id), _selected(action))
    pipeline = home_pipeline_from_metadata((body.get("view") or {}).get("private_metadata"))
    await publish_home(client, str(user_id), pipeline, deps, team_id=(body.get("team") or {}).get("id"))
