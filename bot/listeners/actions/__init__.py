"""Interactive components: the engine card's buttons, deal picks, drill-downs and the Home tab's
controls. Every handler acknowledges first (Slack allows 3 seconds) and then does the work."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
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


ActionHandler = Callable[[AsyncAck, dict[str, Any], dict[str, Any], AsyncWebClient, BotDeps], Awaitable[None]]


def _with_deps(handler: ActionHandler, deps: BotDeps) -> Callable[..., Awaitable[None]]:
    """A Bolt listener calling ``handler`` with the bot's deps (Bolt injects arguments by name)."""

    async def listener(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await handler(ack, body, action, client, deps)

    return listener


def register(app: AsyncApp, deps: BotDeps) -> None:
    app.action(ENGINE_BUTTONS)(_with_deps(handle_engine_button, deps))
    app.action(ACTION_PICK_PATTERN)(_with_deps(handle_deal_pick, deps))
    app.action(ACTION_OPEN_HUBSPOT)(handle_open_in_hubspot)
    app.action(ACTION_OPEN_PATTERN)(_with_deps(handle_drilldown_open, deps))
    app.action(DRILLDOWN_PAGES)(_with_deps(handle_drilldown_page, deps))
    app.action(HOME_CONTROLS)(_with_deps(handle_home_control, deps))
