"""Everything that turns a report into something a person reads: Slack cards.

Every Slack rendering goes through :func:`card_message` and the
one escaping helper in :mod:`bot.render.text`.
"""

from __future__ import annotations

from bot.render.card import ACTION_REFRESH, ACTION_SHOW_PREFIX, CardTarget, card_message
from bot.render.message import SlackMessage, limit_problems
from bot.render.notices import error_message, help_message, notice_message
from bot.render.text import escape

__all__ = [
    "ACTION_REFRESH",
    "ACTION_SHOW_PREFIX",
    "CardTarget",
    "SlackMessage",
    "card_message",
    "error_message",
    "escape",
    "help_message",
    "limit_problems",
    "notice_message",
]
