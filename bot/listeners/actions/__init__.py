"""Interactive components: the engine card's buttons, deal picks, drill-downs and the Home tab's
controls. Every handler acknowledges first (Slack allows 3 seconds) and then does the work."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.answering import BotDeps
from bot.listeners.actions.deal_buttons import handle_deal_pick, handle_open_in_hubspot
from bot.listeners.actions.drilldown_buttons import handle_drilldown_open, handle_drilldown_page
from bot.listeners.actions.engine_buttons import handle_engine_button
from bot.listeners.actions.home_buttons import handle_home_control
from bot.render import ACTION_REFRESH, ACTION_SHOW_PREFIX
from bot.views.deal_card import ACTION_OPEN_HUBSPOT, ACTION_PICK_PATTERN
from bot.views.drilldown import ACTION_NEXT, ACTION_OPEN_PATTERN, ACTION_PREV
from bot.views.home import ACTION_PIPELINE
from bot.views.home import ACTION_REFRESH as HOME_REFRESH

__all__ = ["register"]

ENGINE_BUTTONS = re.compile(rf"^({re.escape(ACTION_SHOW_PREFIX)}\w+|{re.escape(ACTION_REFRESH)})$")
DRILLDOWN_PAGES = re.compile(rf"^({ACTION_PREV}|{ACTION_NEXT})$")
HOME_CONTROLS = re.compile(rf"^({ACTION_PIPELINE}|{HOME_REFRESH})$")


def register(app: AsyncApp, deps: BotDeps) -> None:
    async def engine_button(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await handle_engine_button(ack, body, action, client, deps)

    async def deal_pick(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await handle_deal_pick(ack, body, action, client, deps)

    async def drilldown_open(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await handle_drilldown_open(ack, body, action, client, deps)

    async def drilldown_page(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await handle_drilldown_page(ack, body, action, client, deps)

    async def home_control(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await handle_home_control(ack, body, action, client, deps)

    app.action(ENGINE_BUTTONS)(engine_button)
    app.action(ACTION_PICK_PATTERN)(deal_pick)
    app.action(ACTION_OPEN_HUBSPOT)(handle_open_in_hubspot)
    app.action(ACTION_OPEN_PATTERN)(drilldown_open)
    app.action(DRILLDOWN_PAGES)(drilldown_page)
    app.action(HOME_CONTROLS)(home_control)
