"""The period of a change card, from what a person typed: ``since monday``, ``7d``, ``2026-11-01``,
``2026-11-01T09:30:00Z``, then an optional pipeline.

Days and dates are read in the portal's time zone (``since monday`` is Monday 00:00 there; on a
Monday it is today 00:00); a date-time with an offset or ``Z`` is taken as written. Nothing here
raises: text that looks like a period but is not one comes back as a :class:`SinceError` message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from bot.blocks.mrkdwn import zone
from engines import to_utc

__all__ = ["DEFAULT_DAYS", "ChangesQuery", "SinceError", "parse_changes"]

DEFAULT_DAYS = 7
_WEEKDAYS = {
    name: i
    for i, names in enumerate(
        (
            ("monday", "mon"),
            ("tuesday", "tue", "tues"),
            ("wednesday", "wed"),
            ("thursday", "thu", "thurs"),
            ("friday", "fri"),
            ("saturday", "sat"),
            ("sunday", "sun"),
        )
    )
    for name in names
}
_SPAN = re.compile(r"^(\d{1,4})\s*(h|d|w)$", re.IGNORECASE)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}


@dataclass(frozen=True)
class ChangesQuery:
    """A change card asked for: from ``since`` to now, for ``pipeline`` (id or label; ``None``: all)."""

    since: datetime
    pipeline: str | None = None


@dataclass(frozen=True)
class SinceError:
    """What was not understood, as a sentence for the asker."""

    message: str


def _local_midnight(day: datetime, time_zone: str) -> datetime:
    local = day.astimezone(zone(time_zone))
    return datetime.combine(local.date(), time.min, tzinfo=zone(time_zone))


def _moment(word: str, now: datetime, time_zone: str) -> datetime | None:
    """One period word as a moment, or ``None`` when it is not one."""
    folded = word.casefold()
    if folded in _WEEKDAYS:
        today = _local_midnight(now, time_zone)
        back = (today.weekday() - _WEEKDAYS[folded]) % 7
        return today - timedelta(days=back)
    if folded == "today":
        return _local_midnight(now, time_zone)
    if folded == "yesterday":
        return _local_midnight(now, time_zone) - timedelta(days=1)
    span = _SPAN.match(folded)
    if span:
        return now - int(span.group(1)) * _UNITS[span.group(2)]
    if _DATE.match(word):
        try:
            day = datetime.fromisoformat(word)
        except ValueError:
            return None
        return day.replace(tzinfo=zone(time_zone))
    if "T" in word.upper() and word[:4].isdigit():
        try:
            parsed = datetime.fromisoformat(word.replace("z", "Z").replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=zone(time_zone))
    return None


def parse_changes(args: str, *, now: datetime, time_zone: str = "UTC") -> ChangesQuery | SinceError:
    """``[since] <period>`` then pipeline words (both optional; the period defaults to 7 days)."""
    words = args.split()
    since = now - timedelta(days=DEFAULT_DAYS)
    if words and words[0].casefold() == "since":
        if len(words) == 1:
            return SinceError("Since when? Try `since monday`, `since 7d` or `since 2026-11-01`.")
        moment = _moment(words[1], now, time_zone)
        if moment is None:
            return SinceError(
                f"I can't read `{words[1][:40]}` as a time. Try `since monday`, `since 7d`, "
                "`since 2026-11-01` or `since 2026-11-01T09:30:00Z`."
            )
        since, words = moment, words[2:]
    elif words and (moment := _moment(words[0], now, time_zone)) is not None:
        since, words = moment, words[1:]
    since = to_utc(since) or since
    if since >= now:
        return SinceError("That moment is not in the past; the card compares it with now.")
    if words and words[0].casefold() == "for":
        words = words[1:]
    return ChangesQuery(since=since, pipeline=" ".join(words) or None)
