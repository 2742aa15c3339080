"""Interactive components: the engine card's buttons, deal picks, drill-downs and the Home tab's
controls. Every handler acknowledges first (Slack allows 3 seconds) and then does the work."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.answers.answering import BotDeps
from bot.blocks.ids import (
    DEAL_OPEN_HUBSPOT,
    DEAL_PICK_PATTERN,
    DRILLDOWN_OPEN_PATTERN,
    DRILLDOWN_PAGES,
    ENGINE_BUTTONS,
    HOME_CONTROLS,
)
from bot.listeners.actions.deal_buttons import handle_deal_pick, handle_open_in_hubspot
from bot.listeners.actions.drilldown_buttons import handle_drilldown_open, handle_drilldown_page
from bot.listeners.actions.engine_buttons import handle_engine_button
from bot.listeners.actions.home_buttons import handle_home_control

__all__ = ["register"]


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
    app.action(DEAL_PICK_PATTERN)(_with_deps(handle_deal_pick, deps))
    app.action(DEAL_OPEN_HUBSPOT)(handle_open_in_hubspot)
    app.action(DRILLDOWN_OPEN_PATTERN)(_with_deps(handle_drilldown_open, deps))
    app.action(DRILLDOWN_PAGES)(_with_deps(handle_drilldown_page, deps))
    app.action(HOME_CONTROLS)(_with_deps(handle_home_control, deps))
