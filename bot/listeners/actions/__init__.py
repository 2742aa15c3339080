"""Interactive components: the engine card's buttons (and its "What changed"), deal picks,
drill-downs, the Home tab's controls, the Settings buttons and the alert digests' menus. Every handler
acknowledges first (Slack allows 3 seconds) and then does the work. The ids and the codecs of the
buttons' values are in :mod:`bot.blocks.ids`."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.answers import BotDeps
from bot.blocks.ids import (
    ALERT_FOLDED,
    ALERT_ITEM_PATTERN,
    ALERT_OPTIN,
    DEAL_OPEN_HUBSPOT,
    DEAL_PICK_PATTERN,
    DRILLDOWN_OPEN_PATTERN,
    DRILLDOWN_PAGES,
    ENGINE_BUTTONS,
    ENGINE_CHANGES,
    HOME_CONTROLS,
    SETTINGS_ADVANCED_PATTERN,
    SETTINGS_OPEN,
    CardTarget,
    DrilldownRef,
    digest_from_value,
    settings_page_from_value,
)
from bot.listeners.actions.alert_buttons import handle_alert_folded, handle_alert_item, handle_alert_optin
from bot.listeners.actions.changes_button import handle_changes_button
from bot.listeners.actions.clicks import on_click
from bot.listeners.actions.deal_buttons import handle_deal_pick, handle_open_in_hubspot, read_deal_id
from bot.listeners.actions.drilldown_buttons import handle_drilldown_open, handle_drilldown_page
from bot.listeners.actions.engine_buttons import handle_engine_button
from bot.listeners.actions.home_buttons import handle_home_control
from bot.listeners.actions.settings_buttons import handle_settings_advanced, handle_settings_open
from bot.listeners.binder import bind

__all__ = ["register"]


def register(app: AsyncApp, deps: BotDeps) -> None:
    app.action(ENGINE_BUTTONS)(
        bind(on_click(CardTarget.from_value, "a card button", handle_engine_button), deps)
    )
    app.action(ENGINE_CHANGES)(
        bind(on_click(CardTarget.from_value, "a What changed button", handle_changes_button), deps)
    )
    app.action(DEAL_PICK_PATTERN)(bind(on_click(read_deal_id, "a deal pick", handle_deal_pick), deps))
    app.action(DEAL_OPEN_HUBSPOT)(handle_open_in_hubspot)
    drilldown_open = on_click(DrilldownRef.decode, "a drill-down button", handle_drilldown_open)
    app.action(DRILLDOWN_OPEN_PATTERN)(bind(drilldown_open, deps))
    drilldown_page = on_click(DrilldownRef.decode, "a drill-down page button", handle_drilldown_page)
    app.action(DRILLDOWN_PAGES)(bind(drilldown_page, deps))
    app.action(HOME_CONTROLS)(bind(handle_home_control, deps))
    app.action(SETTINGS_OPEN)(bind(handle_settings_open, deps))
    app.action(ALERT_ITEM_PATTERN)(bind(handle_alert_item, deps))
    app.action(ALERT_FOLDED)(
        bind(on_click(digest_from_value, "a Show all button", handle_alert_folded), deps)
    )
    app.action(ALERT_OPTIN)(bind(handle_alert_optin, deps))
    settings_advanced = on_click(
        settings_page_from_value, "an advanced-settings button", handle_settings_advanced
    )
    app.action(SETTINGS_ADVANCED_PATTERN)(bind(settings_advanced, deps))
