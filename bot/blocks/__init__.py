"""Block Kit: everything the bot shows in Slack, built as pure functions of engine reports.

Builders never call Slack. Owner mentions arrive as a ``slack_ids`` mapping resolved beforehand (by
:mod:`~bot.blocks.compose`, through :class:`bot.slack.OwnerDirectory`), so a page of rows costs one
concurrent batch of lookups. Every builder keeps Block Kit's limits by construction (budgets per part,
fixed page sizes), which the tests check against adversarial data.

- :mod:`~bot.blocks.ids`: every action id, callback id and button-value codec (a leaf).
- :mod:`~bot.blocks.mrkdwn`: escaping, mentions, the one date formatter (a leaf).
- :mod:`~bot.blocks.format`: numbers, statuses and titles in words (shared with the terminal).
- :mod:`~bot.blocks.message`: :class:`SlackMessage` and the limits a message obeys.
- :mod:`~bot.blocks.card`: the engine card (``/engine``, mentions, buttons, schedules).
- :mod:`~bot.blocks.deal_card`, :mod:`~bot.blocks.drilldown`, :mod:`~bot.blocks.home`,
  :mod:`~bot.blocks.rows`: deal reviews; :mod:`~bot.blocks.compose` resolves owners, then builds them.
- :mod:`~bot.blocks.notices`: help, errors and one-line notices.
"""

from __future__ import annotations

from bot.blocks.card import card_message
from bot.blocks.compose import OwnerLookup, compose_deal, compose_drilldown, compose_home
from bot.blocks.deal_card import deal_card, deal_not_found, deal_pick_list, deal_reply, single_match
from bot.blocks.drilldown import (
    DrilldownPage,
    drilldown_error_modal,
    drilldown_loading_modal,
    drilldown_message,
    drilldown_modal,
    drilldown_open_button,
    drilldown_page,
    drilldown_rows,
)
from bot.blocks.home import home_error_view, home_loading_view, home_view, owner_for_email
from bot.blocks.ids import CardTarget, DrilldownRef
from bot.blocks.message import SlackMessage, deliverable, limit_problems
from bot.blocks.mrkdwn import escape
from bot.blocks.notices import error_message, failure_message, help_message, notice_message
from bot.blocks.rows import deal_row

__all__ = [
    "CardTarget",
    "DrilldownPage",
    "DrilldownRef",
    "OwnerLookup",
    "SlackMessage",
    "card_message",
    "compose_deal",
    "compose_drilldown",
    "compose_home",
    "deal_card",
    "deal_not_found",
    "deal_pick_list",
    "deal_reply",
    "deal_row",
    "deliverable",
    "drilldown_error_modal",
    "drilldown_loading_modal",
    "drilldown_message",
    "drilldown_modal",
    "drilldown_open_button",
    "drilldown_page",
    "drilldown_rows",
    "error_message",
    "escape",
    "failure_message",
    "help_message",
    "home_error_view",
    "home_loading_view",
    "home_view",
    "limit_problems",
    "notice_message",
    "owner_for_email",
    "single_match",
]
