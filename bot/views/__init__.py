"""Block Kit views for deal reviews: drill-down lists, the one-deal card and the App Home tab.

Builders are pure functions of engine reports (and the snapshot); they never call Slack. Owner
mentions arrive as a ``slack_ids`` mapping resolved beforehand by :class:`bot.slack.owners.OwnerDirectory`,
so a page of rows costs one concurrent batch of lookups. Every builder keeps Block Kit's limits by
construction (budgets per part, fixed page sizes), which the tests check against adversarial data.
"""

from __future__ import annotations

from bot.views.compose import OwnerLookup, compose_deal, compose_drilldown, compose_home
from bot.views.deal_card import deal_card, deal_not_found, deal_pick_list, deal_reply, single_match
from bot.views.drilldown import (
    DrilldownPage,
    DrilldownRef,
    drilldown_error_modal,
    drilldown_loading_modal,
    drilldown_message,
    drilldown_modal,
    drilldown_open_button,
    drilldown_page,
    drilldown_rows,
)
from bot.views.home import home_error_view, home_loading_view, home_view, owner_for_email
from bot.views.rows import deal_row

__all__ = [
    "DrilldownPage",
    "DrilldownRef",
    "OwnerLookup",
    "compose_deal",
    "compose_drilldown",
    "compose_home",
    "deal_card",
    "deal_not_found",
    "deal_pick_list",
    "deal_reply",
    "deal_row",
    "drilldown_error_modal",
    "drilldown_loading_modal",
    "drilldown_message",
    "drilldown_modal",
    "drilldown_open_button",
    "drilldown_page",
    "drilldown_rows",
    "home_error_view",
    "home_loading_view",
    "home_view",
    "owner_for_email",
    "single_match",
]
