"""Cron and friendly schedules, and firing times across daylight-saving changes."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.schedules.cron import (
    ScheduleError,
    fire_times,
    last_fire_between,
    next_fire,
    parse_schedule,
    parse_timezone,
    split_schedule,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def local(zone: ZoneInfo, times: list[datetime]) -> list[str]:
    return [t.astimezone(zone).strftime("%a %d %b %H:%M %Z") for t in times]


@pytest.mark.parametrize(
    ("typed", "cron", "spec"),
    [
        ("weekly mon 09:00", "0 9 * * mon", "weekly mon 09:00"),
        ("Weekly Monday 9:00", "0 9 * * mon", "weekly mon 09:00"),
        ("weekly mon,thu 9am", "0 9 * * mon,thu", "weekly mon,thu 09:00"),
        ("weekly tue-thu 5:30pm", "30 17 * * tue-thu", "weekly tue-thu 17:30"),
        ("daily 08:30", "30 8 * * *", "daily 08:30"),
        ("weekdays 09:00", "0 9 * * mon-fri", "weekdays 09:00"),
        ("monthly 1 07:15", "15 7 1 * *", "monthly 1 07:15"),
        ("hourly", "0 * * * *", "hourly"),
        ("@weekly", "0 0 * * 0", "@weekly"),
        ("0 9 * * 1", "0 9 * * 1", "0 9 * * 1"),
        ("  30   8  1-7 * mon ", "30 8 1-7 * mon", "30 8 1-7 * mon"),
    ],
)
def test_schedules_parse_to_cron(typed: str, cron: str, spec: str) -> None:
    parsed = parse_schedule(typed)
    assert (parsed.cron, parsed.spec) == (cron, spec)


def test_friendly_forms_describe_themselves() -> None:
    assert parse_schedule("weekly mon 09:00").description == "every Mon at 09:00"
    assert parse_schedule("weekdays 09:00").description == "every weekday (Mon-Fri) at 09:00"
    assert parse_schedule("daily 8:30").description == "every day at 08:30"


@pytest.mark.parametrize(
    ("typed", "complaint"),
    [
        ("", "Tell me when"),
        ("0 9 * *", "has 4 field(s)"),
        ("0 9 * * 1 2026", "has 6 field(s)"),
        ("61 9 * * *", "not a valid cron expression"),
        ("0 9 * * funday", "not a valid cron expression"),
        ("0 9 30 2 *", "never fires"),
        ("weekly funday 09:00", "not a day of the week"),
        ("weekly mon", "not complete"),
        ("daily 24:00", "not a time of day"),
        ("daily 13pm", "not a time of day"),
        ("daily noon", "not a time of day"),
        ("monthly 31 09:00", "Use 1 to 28"),
        ("every monday", "I don't understand 'every monday'"),
    ],
)
def test_invalid_schedules_say_what_is_wrong(typed: str, complaint: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        parse_schedule(typed)
    assert complaint in caught.value.user_message


def test_time_zones() -> None:
    assert parse_timezone("Europe/Berlin").key == "Europe/Berlin"
    assert parse_timezone(" UTC ").key == "UTC"
    for bad in ("Europe/Atlantis", "", "../../etc/passwd", "/etc/localtime"):
        with pytest.raises(ScheduleError, match="IANA name"):
            parse_timezone(bad)


def test_split_schedule_takes_only_the_schedule_words() -> None:
    spec, rest = split_schedule(["weekly", "mon", "09:00", "growth", "Enterprise"])
    assert (spec.cron, rest) == ("0 9 * * mon", ["growth", "Enterprise"])
    spec, rest = split_schedule(["0", "9", "*", "*", "1", "all"])
    assert (spec.cron, rest) == ("0 9 * * 1", ["all"])
    spec, rest = split_schedule(["0 9 * * 1", "growth"])  # quoted in the command
    assert (spec.cron, rest) == ("0 9 * * 1", ["growth"])
    spec, rest = split_schedule(["@daily", "innovation"])
    assert (spec.cron, rest) == ("0 0 * * *", ["innovation"])


def test_weekly_report_keeps_its_local_hour_across_both_changes_in_berlin() -> None:
    times = fire_times("0 9 * * mon", BERLIN, utc(2026, 3, 17), 3)
    assert local(BERLIN, times) == ["Mon 23 Mar 09:00 CET", "Mon 30 Mar 09:00 CEST", "Mon 06 Apr 09:00 CEST"]
    assert [t.hour for t in times] == [8, 7, 7]  # UTC moves, the wall clock does not

    times = fire_times("0 9 * * mon", BERLIN, utc(2026, 10, 13), 3)
    assert local(BERLIN, times) == ["Mon 19 Oct 09:00 CEST", "Mon 26 Oct 09:00 CET", "Mon 02 Nov 09:00 CET"]
    assert [t.hour for t in times] == [7, 8, 8]


def test_a_skipped_local_time_fires_at_the_first_moment_that_exists() -> None:
    """Berlin 2026-03-29: 02:00 CET jumps to 03:00 CEST, so 02:30 does not exist that night."""
    times = fire_times("30 2 * * *", BERLIN, utc(2026, 3, 27, 12), 4)
    assert local(BERLIN, times) == [
        "Sat 28 Mar 02:30 CET",
        "Sun 29 Mar 03:00 CEST",
        "Mon 30 Mar 02:30 CEST",
        "Tue 31 Mar 02:30 CEST",
    ]


def test_a_repeated_local_time_fires_once() -> None:
    """Berlin 2026-10-25: 03:00 CEST falls back to 02:00 CET, so 02:30 happens twice."""
    times = fire_times("30 2 * * *", BERLIN, utc(2026, 10, 23, 12), 3)
    assert local(BERLIN, times) == ["Sat 24 Oct 02:30 CEST", "Sun 25 Oct 02:30 CEST", "Mon 26 Oct 02:30 CET"]
    # Asking from inside the repeated hour does not fire the second 02:30 either.
    second_0230 = datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=BERLIN)
    assert second_0230.astimezone(UTC) == utc(2026, 10, 25, 1, 30)
    assert local(BERLIN, [next_fire("30 2 * * *", BERLIN, second_0230)]) == ["Mon 26 Oct 02:30 CET"]


def test_new_york_spring_forward_and_fall_back() -> None:
    spring = fire_times("*/30 * * * *", NEW_YORK, utc(2026, 3, 8, 6, 15), 4)  # 01:15 EST
    assert local(NEW_YORK, spring) == [
        "Sun 08 Mar 01:30 EST",
        "Sun 08 Mar 03:00 EDT",  # 02:00 and 02:30 did not exist: one firing at 03:00, not three
        "Sun 08 Mar 03:30 EDT",
        "Sun 08 Mar 04:00 EDT",
    ]
    fall = fire_times("0 * * * *", NEW_YORK, utc(2026, 11, 1, 4, 30), 3)  # 00:30 EDT
    assert local(NEW_YORK, fall) == ["Sun 01 Nov 01:00 EDT", "Sun 01 Nov 02:00 EST", "Sun 01 Nov 03:00 EST"]
    daily = fire_times("0 9 * * *", NEW_YORK, utc(2026, 10, 31), 2)
    assert [t.hour for t in daily] == [13, 14]


def test_last_fire_between_returns_only_the_latest() -> None:
    start, end = utc(2026, 11, 23, 0), utc(2026, 11, 23, 5, 30)
    assert last_fire_between("0 * * * *", ZoneInfo("UTC"), start, end) == utc(2026, 11, 23, 5)
    assert last_fire_between("0 9 * * *", ZoneInfo("UTC"), start, end) is None
    assert last_fire_between("0 5 * * *", ZoneInfo("UTC"), start, utc(2026, 11, 23, 5)) == utc(
        2026, 11, 23, 5
    )
    assert last_fire_between("0 0 * * *", ZoneInfo("UTC"), start, end) is None  # start is exclusive


def test_next_fire_needs_an_aware_time() -> None:
    with pytest.raises(ValueError, match="aware"):
        next_fire("0 9 * * *", BERLIN, datetime(2026, 1, 1))


ZONES = ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "America/Sao_Paulo"]
CRONS = ["0 9 * * mon", "30 2 * * *", "*/20 * * * *", "15 1,2,3 * * *", "0 0 1 * *"]


@settings(max_examples=60, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    cron=st.sampled_from(CRONS),
    start=st.datetimes(
        min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
    ),
)
def test_firings_strictly_increase_and_land_on_the_wall_clock(zone: str, cron: str, start: datetime) -> None:
    tz = ZoneInfo(zone)
    times = fire_times(cron, tz, start, 12)
    assert times[0] > start
    assert all(later > earlier for earlier, later in itertools.pairwise(times))
    minute_field = cron.split()[0]
    for moment in times:
        wall = moment.astimezone(tz)
        # Either the wall clock shows a minute the cron asked for, or the firing was moved to the end
        # of a daylight-saving gap (then the wall clock one minute earlier did not exist).
        on_schedule = (minute_field == "*/20" and wall.minute % 20 == 0) or str(wall.minute) == minute_field
        just_after_gap = (moment - timedelta(minutes=1)).astimezone(tz).utcoffset() != wall.utcoffset()
        assert on_schedule or just_after_gap
