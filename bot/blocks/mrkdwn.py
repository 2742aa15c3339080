"""mrkdwn: the one place untrusted text is made safe for Slack, mentions, and the one date formatter.

Deal names, owner names, pipeline labels and whatever a user typed come from people we do not
control. In mrkdwn, ``<!channel>`` pings a whole channel and ``<https://evil|Your invoice>`` forges a
link, so every such string passes through :func:`escape` (``&``, ``<``, ``>`` become entities, which
Slack shows literally). Clipping happens *before* escaping, so an entity is never cut in half.

:func:`escape` clips *raw* characters before escaping, so an escaped string can be five times its
limit (``&`` -> ``&amp;``). Deal lists need a hard bound on the escaped length to pick page sizes that
keep Slack's limits, so :func:`escape_within` cuts on the escaped length instead (still between source
characters: an entity is never split). Owner mentions are here too, so every view renders an owner the
same way, and so are dates: :func:`format_date` is the one date formatter of the bot (cards, the
terminal, deal rows, schedule replies).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.slack.owners import slack_user_id_ok

__all__ = [
    "clip",
    "escape",
    "escape_within",
    "fallback_text",
    "format_date",
    "format_days",
    "link",
    "link_within",
    "mention_or_name",
    "plain",
    "safe_url",
    "zone",
]

# C0/C1 control characters other than newline and tab: invisible in Slack, dangerous in a terminal.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_ELLIPSIS = "…"


def plain(text: str | None, limit: int | None = None, *, single_line: bool = True) -> str:
    """Untrusted text with control characters removed, optionally on one line and clipped."""
    cleaned = _CONTROL.sub("", text or "")
    if single_line:
        cleaned = " ".join(cleaned.split())
    return clip(cleaned, limit) if limit is not None else cleaned


def clip(text: str, limit: int | None) -> str:
    """``text`` shortened to at most ``limit`` characters, marking the cut with an ellipsis."""
    if limit is None or len(text) <= limit:
        return text
    if limit <= 1:
        return text[:limit]
    return text[: limit - 1].rstrip() + _ELLIPSIS


def escape(text: str | None, limit: int | None = None) -> str:
    """Untrusted text made inert for mrkdwn: cleaned, clipped to ``limit`` characters, then escaped."""
    cleaned = plain(text, limit)
    return cleaned.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def safe_url(url: str | None) -> str | None:
    """An http(s) URL that cannot break out of Slack's ``<url|text>`` syntax, or ``None``.

    Characters that end or split the link token (``|``, ``<``, ``>``, spaces) are percent-encoded;
    anything that is not plain http(s) (``javascript:``, ``slack://``) is refused.
    """
    if not url:
        return None
    candidate = _CONTROL.sub("", url.strip())
    try:
        parts = urlsplit(candidate)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    encoded = quote(candidate, safe=":/?#[]@!$'()*+,;=%-._~")
    return encoded.replace("&", "&amp;") if len(encoded) <= 2000 else None


def link(url: str | None, label: str | None, limit: int = 80) -> str:
    """A Slack link with an escaped label; just the escaped label when the URL is unusable."""
    text = escape(label, limit) or "(no name)"
    target = safe_url(url)
    return f"<{target}|{text}>" if target else text


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


def zone(name: str | ZoneInfo) -> ZoneInfo:
    """``name`` as a time zone; UTC when it is not one (a portal's zone is CRM data)."""
    if isinstance(name, ZoneInfo):
        return name
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def format_date(
    moment: datetime | None, time_zone: str | ZoneInfo = "UTC", *, year: bool = True, time: bool = False
) -> str:
    """The bot's one way to write a date, in ``time_zone`` (the portal's, or a schedule's):

    - ``Wed 25 Nov 2026`` (default), ``Wed 25 Nov 2026, 16:30 CET`` with ``time`` (cards, terminal);
    - ``Mon 30 Nov`` and ``Mon 30 Nov 09:00`` without ``year`` (trend lines, schedule replies, which
      speak of the coming and the past few weeks in the reader's own zone, so they name no zone);
    - ``no date`` for ``None``.
    """
    if moment is None:
        return "no date"
    local = moment.astimezone(zone(time_zone))
    day = f"{local:%a} {local.day} {local:%b}"
    if year:
        day += f" {local:%Y}"
    if not time:
        return day
    return f"{day}, {local:%H:%M %Z}" if year else f"{day} {local:%H:%M}"
