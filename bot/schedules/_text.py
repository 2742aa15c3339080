"""Dates for the schedule replies and the weekly summary, in the reader's schedule zone.

Escaping is not here: untrusted text goes through :func:`bot.render.text.escape`, the one escaping
helper of the codebase.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

__all__ = ["when"]


def when(moment: datetime, zone: ZoneInfo, *, with_time: bool = True) -> str:
    """``Mon 30 Nov 09:00`` in ``zone`` (the reader's schedule zone, not the server's)."""
    local = moment.astimezone(zone)
    text = f"{local:%a} {local.day} {local:%b}"
    return f"{text} {local:%H:%M}" if with_time else text
