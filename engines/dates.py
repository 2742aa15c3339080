"""Lenient, timezone-safe date parsing for CRM data.

HubSpot sends ISO-8601 UTC strings, but portals that were imported or synced from other tools also
hold naive strings, epoch milliseconds and empty strings. Mixing naive and aware datetimes is the
classic way an analysis crashes on real data, so everything that enters a model passes through
:func:`to_utc`, which returns an aware UTC datetime or ``None`` - never raises.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated, Any

from pydantic import BeforeValidator

__all__ = ["UtcDatetime", "days_between", "to_utc", "utc_now"]

# Epoch values below this are seconds, above are milliseconds (10**11 s is the year 5138).
_MS_THRESHOLD = 10**11


def utc_now() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.now(UTC)


def _from_epoch(value: float) -> datetime | None:
    seconds = value / 1000.0 if abs(value) >= _MS_THRESHOLD else value
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def to_utc(value: Any) -> datetime | None:
    """Coerce a CRM date value to an aware UTC datetime, or ``None`` when it is absent or unreadable.

    Accepts aware or naive datetimes (naive ones are taken as UTC, which is what HubSpot stores),
    dates, epoch seconds or milliseconds (int, float or digit strings) and ISO-8601 strings with or
    without ``Z``/offset/fraction.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, date):
        return datetime.combine(value, time.min, tzinfo=UTC)
    if isinstance(value, int | float):
        return _from_epoch(float(value))
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text:
        return None
    if text.lstrip("-").isdigit():
        return _from_epoch(float(text))
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def days_between(start: datetime, end: datetime) -> float:
    """Days from ``start`` to ``end`` as a float (negative when ``end`` is earlier)."""
    return (end - start).total_seconds() / 86400.0


UtcDatetime = Annotated[datetime | None, BeforeValidator(to_utc)]
"""A model field type: anything :func:`to_utc` understands, stored as aware UTC or ``None``."""
