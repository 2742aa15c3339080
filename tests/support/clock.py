"""Time in tests: the one ``NOW`` every sample portal and report is dated from, and a hand-driven clock.

``NOW`` is a Wednesday morning (2026-11-25 09:00 UTC): the sample portals, the bot, the schedules and
the reliability tests all date from it. A test that needs another moment says how it relates to
``NOW`` (``NOW + timedelta(hours=6)``).

The one other anchor is ``NEW_YEAR`` (2026-01-01 00:00 UTC), the "now" of the engines' hand-built
portals (tests/unit/engines/portals.py): it sits on a quarter and a year boundary, and the quarter,
goal and time-zone tests of the engines are written around it (a quarter starting the day before in
Berlin, goals from 1 Dec to 1 Feb).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

__all__ = ["NEW_YEAR", "NOW", "FakeClock"]

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
NEW_YEAR = datetime(2026, 1, 1, tzinfo=UTC)


class FakeClock:
    """A clock the test moves by hand; call it to read the time, as the code under test does."""

    def __init__(self, start: datetime) -> None:
        self.now = start.astimezone(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> datetime:
        self.now += delta
        return self.now

    def set(self, moment: datetime) -> datetime:
        self.now = moment.astimezone(UTC)
        return self.now
