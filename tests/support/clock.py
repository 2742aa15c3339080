"""Time in tests: the one ``NOW`` every sample portal and report is dated from, and a hand-driven clock.

``NOW`` is a Wednesday morning (2026-11-25 09:00 UTC). A test that needs another moment says how it
relates to ``NOW`` (``NOW + timedelta(hours=6)``), so every date in the suite reads from one anchor.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

__all__ = ["NOW", "FakeClock"]

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


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
