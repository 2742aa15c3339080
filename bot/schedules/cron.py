"""When a schedule fires: cron and friendly forms, in a time zone, across daylight-saving changes.

People type ``weekly mon 09:00``, ``daily 08:30``, ``weekdays 09:00``, ``monthly 1 09:00``,
``hourly`` or a standard 5-field cron expression (``0 9 * * 1``); every form becomes cron.

Cron describes wall-clock times, so :func:`next_fire` walks the wall clock of the schedule's zone with
croniter (on naive datetimes, where croniter is exact) and only then maps each candidate to a real
instant with zoneinfo. The two daylight-saving edge cases, decided once here:

* a time that does not exist (02:30 on the spring-forward night in Europe/Berlin) fires at the first
  moment that does (03:00 CEST), so a daily report is late that day, never skipped;
* a time that happens twice (02:30 on the fall-back night) fires once, at its first occurrence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterBadDateError, CroniterError, croniter

from bot.errors import ScheduleError

__all__ = [
    "EXAMPLE_SCHEDULE",
    "CronSpec",
    "ScheduleError",
    "describe_cron",
    "fire_times",
    "last_fire_between",
    "next_fire",
    "parse_schedule",
    "parse_timezone",
    "split_schedule",
]

EXAMPLE_SCHEDULE = "weekly mon 09:00"

_DAYS = {
    "mon": "mon",
    "monday": "mon",
    "tue": "tue",
    "tues": "tue",
    "tuesday": "tue",
    "wed": "wed",
    "wednesday": "wed",
    "thu": "thu",
    "thur": "thu",
    "thurs": "thu",
    "thursday": "thu",
    "fri": "fri",
    "friday": "fri",
    "sat": "sat",
    "saturday": "sat",
    "sun": "sun",
    "sunday": "sun",
}
_DAY_TITLES = {day: day.title() for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
_MACROS = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}
_TIME = re.compile(r"^(?P<h>\d{1,2})(?::(?P<m>\d{2}))?\s*(?P<ampm>am|pm)?$")
# The furthest a cron expression may look for its next firing (a leap-day schedule waits 4 years).
_HORIZON = timedelta(days=366 * 8)


@dataclass(frozen=True, slots=True)
class CronSpec:
    """A parsed schedule: the cron form, what was typed (normalised) and a sentence for people."""

    cron: str
    spec: str
    description: str


def parse_timezone(name: str) -> ZoneInfo:
    """A zoneinfo zone from an IANA name such as ``Europe/Berlin`` (``UTC`` works too)."""
    cleaned = name.strip()
    try:
        if not cleaned or cleaned.startswith(("/", ".")) or ".." in cleaned:
            raise ValueError(cleaned)
        return ZoneInfo(cleaned)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(
            f"'{cleaned}' is not a time zone I know. Use an IANA name like Europe/Berlin, "
            "America/New_York or UTC."
        ) from None


def _parse_time(text: str) -> tuple[int, int]:
    match = _TIME.match(text.strip().lower())
    if match is None:
        raise ScheduleError(f"'{text}' is not a time of day. Use 24-hour HH:MM, like 09:00 or 17:30.")
    hour, minute = int(match["h"]), int(match["m"] or 0)
    if match["ampm"]:
        if not 1 <= hour <= 12:
            raise ScheduleError(f"'{text}' is not a time of day. Use 24-hour HH:MM, like 09:00 or 17:30.")
        hour = hour % 12 + (12 if match["ampm"] == "pm" else 0)
    if hour > 23 or minute > 59:
        raise ScheduleError(f"'{text}' is not a time of day. Use 24-hour HH:MM, like 09:00 or 17:30.")
    return hour, minute


def _parse_days(text: str) -> list[str]:
    days: list[str] = []
    for part in text.lower().split(","):
        ends = part.split("-")
        if len(ends) > 2 or not all(end in _DAYS for end in ends):
            raise ScheduleError(
                f"'{text}' is not a day of the week. Use mon, tue, wed, thu, fri, sat or sun "
                "(several with commas: mon,thu)."
            )
        days.append("-".join(_DAYS[end] for end in ends))
    return days


def _friendly(words: list[str]) -> CronSpec | None:
    """The cron form of a friendly schedule, or ``None`` when ``words`` are not one."""
    kind = words[0].lower() if words else ""
    if kind == "hourly" and len(words) == 1:
        return CronSpec("0 * * * *", "hourly", "every hour, on the hour")
    if kind in ("daily", "weekdays") and len(words) == 2:
        hour, minute = _parse_time(words[1])
        at = f"{hour:02d}:{minute:02d}"
        if kind == "daily":
            return CronSpec(f"{minute} {hour} * * *", f"daily {at}", f"every day at {at}")
        return CronSpec(f"{minute} {hour} * * mon-fri", f"weekdays {at}", f"every weekday (Mon-Fri) at {at}")
    if kind == "weekly" and len(words) == 3:
        days = _parse_days(words[1])
        hour, minute = _parse_time(words[2])
        at = f"{hour:02d}:{minute:02d}"
        titles = ", ".join("-".join(_DAY_TITLES[d] for d in day.split("-")) for day in days)
        listed = ",".join(days)
        return CronSpec(f"{minute} {hour} * * {listed}", f"weekly {listed} {at}", f"every {titles} at {at}")
    if kind == "monthly" and len(words) == 3:
        if not words[1].isdigit() or not 1 <= int(words[1]) <= 28:
            raise ScheduleError(
                f"'{words[1]}' is not a day of the month I can promise every month. Use 1 to 28."
            )
        day = int(words[1])
        hour, minute = _parse_time(words[2])
        at = f"{hour:02d}:{minute:02d}"
        return CronSpec(
            f"{minute} {hour} {day} * *", f"monthly {day} {at}", f"on day {day} of every month at {at}"
        )
    return None


def describe_cron(cron: str) -> str:
    return f"cron `{cron}`"


def _check_cron(cron: str) -> None:
    fields = cron.split()
    if not any(ch.isdigit() or ch in "*?" for ch in fields[0]):
        # Words, not cron ("every monday at nine"): say which forms work rather than count fields.
        raise ScheduleError(
            f"I don't understand '{cron}'. Write `weekly mon 09:00`, `daily 08:30`, `weekdays 09:00`, "
            "`monthly 1 09:00`, `hourly` or a 5-field cron expression such as `0 9 * * 1`."
        )
    if len(fields) != 5:
        raise ScheduleError(
            f"'{cron}' has {len(fields)} field(s); a cron expression has 5: "
            "minute hour day-of-month month day-of-week (for example `0 9 * * 1`)."
        )
    if not croniter.is_valid(cron):
        raise ScheduleError(f"'{cron}' is not a valid cron expression (minute hour day month weekday).")
    try:
        next_fire(cron, ZoneInfo("UTC"), datetime(2000, 1, 1, tzinfo=UTC))
    except ScheduleError:
        raise ScheduleError(f"'{cron}' never fires (no such date). Pick a date that exists.") from None


def parse_schedule(text: str) -> CronSpec:
    """Parse a friendly schedule, an ``@daily``-style macro or a 5-field cron expression."""
    words = text.split()
    if not words:
        raise ScheduleError("Tell me when: for example `weekly mon 09:00` or a cron like `0 9 * * 1`.")
    friendly = _friendly(words)
    if friendly is not None:
        return friendly
    if words[0].lower() in ("hourly", "daily", "weekdays", "weekly", "monthly"):
        raise ScheduleError(
            f"'{text.strip()}' is not complete. Write `daily 08:30`, `weekdays 09:00`, "
            "`weekly mon 09:00`, `monthly 1 09:00` or `hourly`."
        )
    if len(words) == 1 and words[0].lower() in _MACROS:
        cron = _MACROS[words[0].lower()]
        return CronSpec(cron, words[0].lower(), describe_cron(cron))
    cron = " ".join(words)
    _check_cron(cron)
    return CronSpec(cron, cron, describe_cron(cron))


def split_schedule(words: list[str]) -> tuple[CronSpec, list[str]]:
    """Take the schedule off the front of ``words``; return it and the words after it.

    A friendly form takes its keyword and arguments, a macro one word, anything else the five cron
    fields. A single word with spaces in it (the command quoted it) is the whole schedule.
    """
    if not words:
        return parse_schedule(""), []
    first = words[0].lower()
    if " " in words[0].strip():
        return parse_schedule(words[0]), words[1:]
    sizes = {"hourly": 1, "daily": 2, "weekdays": 2, "weekly": 3, "monthly": 3}
    size = sizes.get(first, 1 if first.startswith("@") else 5)
    if len(words) < size:
        return parse_schedule(" ".join(words)), []
    return parse_schedule(" ".join(words[:size])), words[size:]


# --------------------------------------------------------------------------- firing times


def _exists(wall: datetime, zone: ZoneInfo) -> bool:
    aware = wall.replace(tzinfo=zone)
    return aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == wall


def _instant(wall: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant of a naive wall-clock time in ``zone``, by the rules in the module docstring."""
    probe = wall
    while not _exists(probe, zone):
        # Inside a spring-forward gap: move to the first minute that exists (transitions are on
        # whole minutes in every modern zone, and no gap is longer than a few hours).
        probe = probe.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return probe.replace(tzinfo=zone, fold=0).astimezone(UTC)


def next_fire(cron: str, zone: ZoneInfo, after: datetime) -> datetime:
    """The first firing strictly after ``after`` (aware), as an aware UTC datetime."""
    if after.tzinfo is None:
        raise ValueError("after must be an aware datetime")
    after = after.astimezone(UTC)
    wall = after.astimezone(zone).replace(tzinfo=None)
    limit = wall + _HORIZON
    try:
        walker = croniter(cron, wall)
        while True:
            candidate: datetime = walker.get_next(datetime)
            if candidate > limit:
                break
            instant = _instant(candidate, zone)
            # On a fall-back night the wall clock repeats: candidates that map to instants we have
            # already passed are skipped, which is what makes a repeated time fire only once.
            if instant > after:
                return instant
    except CroniterBadDateError:
        pass
    except CroniterError as error:
        raise ScheduleError(f"'{cron}' is not a valid cron expression: {error}") from None
    raise ScheduleError(f"'{cron}' does not fire in the next {_HORIZON.days // 366} years.")


def fire_times(cron: str, zone: ZoneInfo, after: datetime, count: int) -> list[datetime]:
    """The next ``count`` firings after ``after``, in UTC."""
    times: list[datetime] = []
    current = after
    for _ in range(count):
        current = next_fire(cron, zone, current)
        times.append(current)
    return times


def last_fire_between(cron: str, zone: ZoneInfo, start: datetime, end: datetime) -> datetime | None:
    """The latest firing in ``(start, end]``, or ``None``: what the runner is due to post now."""
    latest: datetime | None = None
    current = start
    while True:
        upcoming = next_fire(cron, zone, current)
        if upcoming > end:
            return latest
        latest = current = upcoming
