"""The one place untrusted text is made safe for Slack mrkdwn, and the length helpers around it.

Deal names, owner names, pipeline labels and whatever a user typed come from people we do not
control. In mrkdwn, ``<!channel>`` pings a whole channel and ``<https://evil|Your invoice>`` forges a
link, so every such string passes through :func:`escape` (``&``, ``<``, ``>`` become entities, which
Slack shows literally). Clipping happens *before* escaping, so an entity is never cut in half.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

__all__ = ["clip", "escape", "link", "plain", "safe_url"]

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
