"""The change card's period as people type it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.answers.since import ChangesQuery, SinceError, parse_changes

NOW = datetime(2026, 12, 2, 15, 30, tzinfo=UTC)  # a Wednesday


@pytest.mark.parametrize(
    ("text", "since", "pipeline"),
    [
        ("", NOW - timedelta(days=7), None),
        ("since monday", datetime(2026, 11, 30, tzinfo=UTC), None),
        ("since wed", datetime(2026, 12, 2, tzinfo=UTC), None),  # today is Wednesday: today 00:00
        ("since thursday Enterprise Sales", datetime(2026, 11, 26, tzinfo=UTC), "Enterprise Sales"),
        ("7d", NOW - timedelta(days=7), None),
        ("since 36h for default", NOW - timedelta(hours=36), "default"),
        ("2w renewals", NOW - timedelta(weeks=2), "renewals"),
        ("since 2026-11-01", datetime(2026, 11, 1, tzinfo=UTC), None),
        ("since 2026-11-01T09:30:00Z", datetime(2026, 11, 1, 9, 30, tzinfo=UTC), None),
        ("since yesterday", datetime(2026, 12, 1, tzinfo=UTC), None),
        ("Sales Pipeline", NOW - timedelta(days=7), "Sales Pipeline"),
    ],
)
def test_periods(text: str, since: datetime, pipeline: str | None) -> None:
    assert parse_changes(text, now=NOW) == ChangesQuery(since, pipeline)


def test_days_are_the_portals() -> None:
    query = parse_changes("since monday", now=NOW, time_zone="America/New_York")
    assert isinstance(query, ChangesQuery)
    assert query.since == datetime(2026, 11, 30, 5, tzinfo=UTC)  # Monday 00:00 in New York
    naive = parse_changes("since 2026-11-01", now=NOW, time_zone="Europe/Berlin")
    assert isinstance(naive, ChangesQuery)
    assert naive.since == datetime(2026, 10, 31, 23, tzinfo=UTC)


@pytest.mark.parametrize("text", ["since", "since someday", "since 2026-13-45", "since 2027-01-01"])
def test_what_is_not_a_period_is_said(text: str) -> None:
    assert isinstance(parse_changes(text, now=NOW), SinceError)
