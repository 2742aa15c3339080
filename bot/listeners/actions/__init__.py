"""Interactive components: the engine card's buttons, deal picks, drill-downs and the Home tab's
controls. Every handler acknowledges first (Slack allows 3 seconds) and then does the work. The ids
and the codecs of the buttons' values are in :mod:`bot.blocks.ids`."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.answers import BotDeps
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
from bot.listeners.binder import bind

__all__ = ["register"]


def register(app: AsyncApp, deps: BotDeps) -> None:
    app.action(ENGINE_BUTTONS)(bind(handle_engine_button, deps))
    app.action(DEAL_PICK_PATTERN)(bind(handle_deal_pick, deps))
    app.action(DEAL_OPEN_HUBSPOT)(handle_open_in_hubspot)
    app.action(DRILLDOWN_OPEN_PATTERN)(bind(handle_drilldown_open, deps))
    app.action(DRILLDOWN_PAGES)(bind(handle_drilldown_page, deps))
    app.action(HOME_CONTROLS)(bind(handle_home_control, deps))
