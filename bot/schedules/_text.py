"""Small text helpers shared by the schedule replies and the weekly summary."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

__all__ = ["escape", "when"]


def escape(text: str) -> str:
    """Make untrusted text (what people typed, CRM names) inert inside Slack mrkdwn."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def when(moment: datetime, zone: ZoneInfo, *, with_time: bool = True) -> str:
    """``Mon 30 Nov 09:00`` in ``zone`` (the reader's schedule zone, not the server's)."""
    local = moment.astimezone(zone)
    text = f"{local:%a} {local.day} {local:%b}"
    return f"{text} {local:%H:%M}" if with_time else text
