"""Budgeted mrkdwn for the deal-review views, built on the one escaping helper in bot.render.text.

:func:`bot.render.text.escape` clips *raw* characters before escaping, so an escaped string can be
five times its limit (``&`` -> ``&amp;``). Deal lists need a hard bound on the escaped length to pick
page sizes that keep Slack's limits, so :func:`escape_within` cuts on the escaped length instead
(still between source characters: an entity is never split). Owner mentions are here too, so every
view renders an owner the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from bot.render.format import format_when
from bot.render.text import escape, plain, safe_url
from bot.slack.owners import slack_user_id_ok

__all__ = [
    "escape_within",
    "fallback_text",
    "format_date",
    "format_days",
    "link_within",
    "mention_or_name",
]

_ELLIPSIS = "…"


def escape_within(text: str | None, budget: int) -> str:
    """``text`` cleaned and escaped, at most ``budget`` characters *after* escaping."""
    full = escape(text)
    if len(full) <= budget:
        return full
    if budget <= len(_ELLIPSIS):
        return ""
    cleaned = plain(text)
    room = budget - len(_ELLIPSIS)
    used = 0
    cut = 0
    for ch in cleaned:
        width = len(escape(ch)) if ch.strip() else 1  # escape() would trim a lone space to ""
        if used + width > room:
            break
        used += width
        cut += 1
    return escape(cleaned[:cut]).rstrip() + _ELLIPSIS


def fallback_text(text: str) -> str:
    """A message's top-level ``text`` (notifications, screen readers): Slack parses it as mrkdwn
    too, so it is escaped like any other text, and kept short."""
    return escape_within(text, 300) or "Deal review"


def link_within(url: str | None, label: str | None, *, label_budget: int, url_budget: int) -> str:
    """``<url|label>`` with both parts bounded; just the label when the URL is unusable or too long."""
    text = escape_within(label, label_budget) or "(no name)"
    target = safe_url(url)
    if target is None or len(target) > url_budget:
        return text
    return f"<{target}|{text}>"


def mention_or_name(
    name: str | None, email: str | None, slack_ids: Mapping[str, str], *, budget: int = 60
) -> str:
    """``<@U…>`` for an owner whose e-mail matched a Slack user, else the escaped owner name.

    ``slack_ids`` maps a case-folded e-mail to a Slack user id (what
    :meth:`bot.slack.owners.OwnerDirectory.slack_user_ids` returns), which keeps the builders pure and
    lets one gather resolve a whole page of owners.
    """
    if email:
        user_id = slack_ids.get(email.strip().casefold())
        if slack_user_id_ok(user_id):
            return f"<@{user_id}>"
    shown = escape_within(name, budget)
    return shown or "_no owner_"


def format_days(days: float | None) -> str:
    """Whole days, singular or plural; ``?`` when unknown."""
    if days is None:
        return "?"
    whole = max(0, round(days))
    return f"{whole} day" if whole == 1 else f"{whole} days"


def format_date(when: datetime | None, time_zone: str = "UTC") -> str:
    """``Thu 12 Nov 2026`` in the portal's time zone (what the team sees in HubSpot), or ``no date``."""
    return format_when(when, time_zone, with_time=False) if when is not None else "no date"
