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
- :mod:`~bot.blocks.changes`: the change card (what moved the pipeline), also as terminal text.
- :mod:`~bot.blocks.deal_card`, :mod:`~bot.blocks.drilldown`, :mod:`~bot.blocks.home`,
  :mod:`~bot.blocks.rows`: deal reviews; :mod:`~bot.blocks.compose` resolves owners, then builds them.
- :mod:`~bot.blocks.notices`: help, errors and one-line notices.
"""

from __future__ import annotations

from bot.blocks.card import card_message
from bot.blocks.changes import changes_message, changes_text
from bot.blocks.compose import OwnerLookup, compose_deal, compose_drilldown, compose_home
from bot.blocks.deal_card import deal_not_found
from bot.blocks.drilldown import drilldown_error_modal, drilldown_loading_modal
from bot.blocks.home import home_error_view, home_loading_view
from bot.blocks.ids import CardTarget, DrilldownRef
from bot.blocks.message import SlackMessage, deliverable, limit_problems
from bot.blocks.notices import error_message, failure_message, help_message, notice_message

# The face the answers, listeners, schedules and CLI use; the builders' own helpers are imported
# from their modules (tests do that too).
__all__ = [
    "CardTarget",
    "DrilldownRef",
    "OwnerLookup",
    "SlackMessage",
    "card_message",
    "changes_message",
    "changes_text",
    "compose_deal",
    "compose_drilldown",
    "compose_home",
    "deal_not_found",
    "deliverable",
    "drilldown_error_modal",
    "drilldown_loading_modal",
    "error_message",
    "failure_message",
    "help_message",
    "home_error_view",
    "home_loading_view",
    "limit_problems",
    "notice_message",
]
