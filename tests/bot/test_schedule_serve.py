"""The scheduler inside ``engine-bot serve``: what :func:`bot.runtime.running_bot` starts, end to end.

Everything is real except time: the app is served over HTTP on loopback (signed requests), Slack is
the loopback fake, HubSpot the loopback fake, storage a SQLite file in a temporary ``DATA_DIR``. The
runner's clock (shared with the stores) is a :class:`FakeClock` the test moves past a firing; with a
50 ms poll the runner notices within a blink, so no test waits for real minutes.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from slack_sdk.models.blocks import Block, MarkdownTextObject, SectionBlock

from bot.blocks import SlackMessage, card_message, limit_problems
from bot.cli import main
from bot.runtime import running_bot
from bot.schedules import scheduled_messages, summary_blocks
from bot.settings import Settings, SettingsError
from bot.storage import FiringStatus, ScheduleStore, ScoreChange
from bot.storage.history import Trend
from engines import EngineName, PortalSnapshot, analyze_all
from tests.bot.checks import assert_valid_payload
from tests.bot.conftest import NOW
from tests.bot.harness import BOT_TOKEN, SIGNING_SECRET, make_settings
from tests.fakes.hubspot import FakeHubSpot
from tests.fakes.slack import Call, FakeSlack
from tests.schedules.signed import SignedSlack
from tests.storage.helpers import FakeClock

MONDAY_0858 = datetime(2026, 11, 23, 7, 58, tzinfo=UTC)  # 08:58 in Berlin
MONDAY_9_BERLIN = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
POLL = timedelta(milliseconds=50)


def _settings(slack: FakeSlack, tmp_path: Path, **overrides: Any) -> Settings:
    slack.bot_token = BOT_TOKEN
    values: dict[str, Any] = {
        "data_dir": tmp_path / "data",
        "report_channel": "C0REVOPS",
        "report_schedule": "weekly mon 09:00",
        "report_timezone": "Europe/Berlin",
        "report_engines": "growth",
    }
    values.update(overrides)
    return make_settings(slack, **values)


def _posts_to(channel: str) -> Callable[[FakeSlack], list[Call]]:
    def posted(slack: FakeSlack) -> list[Call]:
        return [
            c
            for c in slack.calls_to("chat.postMessage")
            if c.payload.get("channel") == channel and c.status == 200 and c.error is None
        ]

    return posted


async def _all_finished(store: ScheduleStore, count: int) -> bool:
    firings = await store.firings()
    return len(firings) == count and all(f.status is not FiringStatus.CLAIMED for f in firings)


async def _eventually(check: Callable[[], Awaitable[bool]], timeout: float = 10.0) -> None:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


def _calls_for(slack: FakeSlack, channel: str) -> list[str]:
    return [
        f"{c.method}:{c.error or 'ok'}"
        for c in slack.calls
        if c.payload.get("channel") == channel and c.method in ("chat.postMessage", "conversations.join")
    ]


async def test_the_runner_posts_a_card_with_its_trend_and_the_week_once(
    slack: FakeSlack, tmp_path: Path
) -> None:
    slack.not_member.add("C0REVOPS")  # a public channel the bot has not joined yet
    clock = FakeClock(MONDAY_0858)
    posted = _posts_to("C0REVOPS")
    async with running_bot(_settings(slack, tmp_path), clock=clock, poll_interval=POLL) as bot:
        people = SignedSlack(slack, bot.port)
        asked = await people.answer("growth")  # the report history's first growth report
        assert "since" not in asked["text"]

        clock.set(MONDAY_9_BERLIN + timedelta(seconds=3))
        await slack.wait_for(lambda s: len(posted(s)) >= 1)
        await asyncio.sleep(20 * POLL.total_seconds())  # the runner keeps polling: nothing more
        [firing] = await bot.storage.schedules.firings("env-default")

    assert _calls_for(slack, "C0REVOPS") == [
        "chat.postMessage:not_in_channel",
        "conversations.join:ok",
        "chat.postMessage:ok",
    ]
    [card] = posted(slack)
    payload = card.payload
    assert_valid_payload({"text": payload["text"], "blocks": payload["blocks"]})
    assert payload["text"].startswith("Growth engine: ")
    assert "since Mon 23 Nov" in payload["text"]  # the trend line against the report asked for above
    blocks = json.dumps(payload["blocks"], ensure_ascii=False)
    assert "since Mon 23 Nov" in blocks
    assert "*Week in review* since Mon 23 Nov: growth " in blocks
    assert (firing.fire_at, firing.status, firing.detail) == (MONDAY_9_BERLIN, FiringStatus.POSTED, None)


async def test_a_failing_report_is_told_to_the_scheduler_and_the_bot_carries_on(
    slack: FakeSlack, tmp_path: Path, portal: PortalSnapshot
) -> None:
    clock = FakeClock(datetime(2026, 11, 23, 8, 50, tzinfo=UTC))
    async with FakeHubSpot(portal) as hubspot:
        settings = _settings(
            slack,
            tmp_path,
            engine_source="hubspot",
            hubspot_access_token="pat-na1-00000000-revoked",  # HubSpot answers 401
            hubspot_api_base=hubspot.base_url,
            report_channel="C0REPORTS",
            report_schedule="daily 09:00",
            report_timezone="UTC",
        )
        async with running_bot(settings, clock=clock, poll_interval=POLL) as bot:
            people = SignedSlack(slack, bot.port)
            added = await people.answer("schedule add daily 09:00 growth", user="U0ALICE", channel="C0REVOPS")
            assert added["text"].startswith("Scheduled ")

            clock.set(datetime(2026, 11, 23, 9, 0, 2, tzinfo=UTC))
            await slack.wait_for(lambda s: bool(_posts_to("U0ALICE")(s) and _posts_to("C0REPORTS")(s)))
            await _eventually(lambda: _all_finished(bot.storage.schedules, 2))
            listed = await people.answer("schedule list", user="U0ALICE", channel="C0REVOPS")
            firings = await bot.storage.schedules.firings()
            health = await people.health()

    [dm] = _posts_to("U0ALICE")(slack)
    assert "HUBSPOT_ACCESS_TOKEN" in dm.payload["text"]
    assert "could not be posted" in dm.payload["text"]
    [notice] = _posts_to("C0REPORTS")(slack)  # the environment's schedule has nobody to DM
    assert "HUBSPOT_ACCESS_TOKEN" in notice.payload["text"]
    assert _posts_to("C0REVOPS")(slack) == []  # no half-made card
    assert {f.status for f in firings} == {FiringStatus.FAILED}
    assert all("HUBSPOT_ACCESS_TOKEN" in (f.detail or "") for f in firings)
    assert ":warning: failed Mon 23 Nov 09:00" in json.dumps(listed["blocks"], ensure_ascii=False)
    assert health == 200  # still serving after the failure
    assert settings.hubspot_access_token is not None
    for call in slack.calls:
        assert settings.hubspot_access_token.get_secret_value() not in json.dumps(call.payload)


async def test_a_restart_loses_no_schedule_and_no_history(slack: FakeSlack, tmp_path: Path) -> None:
    """Stop the whole wiring and start it again on the same SQLite file, within the firing's grace."""
    clock = FakeClock(MONDAY_0858)
    settings = _settings(slack, tmp_path)
    async with running_bot(settings, clock=clock, poll_interval=POLL) as bot:
        people = SignedSlack(slack, bot.port)
        await people.answer("schedule add weekly mon 09:00 fulfillment", user="U0ALICE", channel="C0SALES")
        await people.answer("growth")
        clock.set(MONDAY_9_BERLIN + timedelta(seconds=1))
        await _eventually(lambda: _all_finished(bot.storage.schedules, 2))
        [schedule] = [s for s in await bot.storage.schedules.schedules() if s.id != "env-default"]
    posts_before = len(slack.messages_sent())

    clock.set(MONDAY_9_BERLIN + timedelta(minutes=10))  # restarted 10 minutes later
    async with running_bot(settings, clock=clock, poll_interval=POLL) as bot:
        people = SignedSlack(slack, bot.port)
        listed = await people.answer("schedule list", user="U0ALICE", channel="C0SALES")
        card = await people.answer("growth")
        await asyncio.sleep(10 * POLL.total_seconds())
        stored = await bot.storage.schedules.get(schedule.id)
        growth = await bot.storage.reports.history(EngineName.GROWTH)

    blocks = json.dumps(listed["blocks"], ensure_ascii=False)
    assert f"`{schedule.id}` in this channel" in blocks
    assert "last posted Mon 23 Nov 09:00" in blocks
    assert stored == schedule
    assert "since Mon 23 Nov" in card["text"]  # the trend reaches back over the restart
    assert len(growth) == 3  # asked, scheduled (env-default, growth), asked again
    # Two answers to the two commands after the restart, and no firing posted a second time.
    assert len(slack.messages_sent()) == posts_before + 2


@pytest.mark.parametrize(
    ("variable", "overrides"),
    [
        ("REPORT_SCHEDULE", {"report_schedule": "every blue moon"}),
        ("REPORT_TIMEZONE", {"report_timezone": "Mars/Olympus_Mons"}),
        ("REPORT_ENGINES", {"report_engines": "growth,marketing"}),
        ("REPORT_CHANNEL", {"report_channel": None}),
    ],
)
async def test_an_unusable_environment_schedule_stops_the_start(
    slack: FakeSlack, tmp_path: Path, variable: str, overrides: dict[str, Any]
) -> None:
    with pytest.raises(SettingsError, match=variable):
        async with running_bot(_settings(slack, tmp_path, **overrides)):
            pytest.fail("the bot started")
    assert slack.calls == []  # nothing was served or posted


def test_serve_exits_with_a_usage_error_naming_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    for name, value in {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": "http://127.0.0.1:9/api/",
        "DATA_DIR": str(tmp_path / "data"),
        "REPORT_CHANNEL": "C0REVOPS",
        "REPORT_SCHEDULE": "weekly mon 25:00",
    }.items():
        monkeypatch.setenv(name, value)
    assert main(["serve", "--host", "127.0.0.1", "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("engine-bot: error: Invalid setting REPORT_SCHEDULE:")
    assert "Traceback" not in err


async def test_socket_mode_runs_the_same_scheduler(slack: FakeSlack, tmp_path: Path) -> None:
    clock = FakeClock(MONDAY_0858)
    settings = _settings(slack, tmp_path, slack_app_token=slack.app_token, slack_signing_secret=None)
    async with running_bot(settings, clock=clock, poll_interval=POLL) as bot:
        assert bot.port == 0
        await slack.wait_for(lambda s: s.socket_count > 0)
        clock.set(MONDAY_9_BERLIN + timedelta(seconds=1))
        await slack.wait_for(lambda s: len(_posts_to("C0REVOPS")(s)) >= 1)
    await slack.wait_for(lambda s: s.socket_count == 0)  # the connection was closed at shutdown


def test_all_engines_and_the_week_in_review_fit_one_message(hostile_portal: PortalSnapshot) -> None:
    reports = analyze_all(hostile_portal, now=NOW)
    trends = {
        r.engine: Trend(previous_at=NOW, previous_score=40, score_delta=-7, metric_deltas={"win_rate": -2.5})
        for r in reports
    }
    summary = summary_blocks(
        [
            ScoreChange(
                engine=r.engine,
                pipeline=None,
                latest_score=r.score,
                latest_at=NOW,
                baseline_score=50,
                baseline_at=NOW - timedelta(days=7),
            )
            for r in reports
        ],
        zone=ZoneInfo("America/New_York"),
    )
    [message] = scheduled_messages(card_message(reports, trends), summary)
    payload = message.to_dict()
    assert_valid_payload(payload)
    assert len(payload["blocks"]) <= 50
    assert "Week in review" in json.dumps(payload["blocks"], ensure_ascii=False)


def test_a_card_too_full_for_the_summary_goes_out_as_two_messages() -> None:
    full = SlackMessage(
        text="Growth engine: 72/100",
        blocks=[SectionBlock(text=MarkdownTextObject(text=f"line {i}")) for i in range(49)],
    )
    summary: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text="*Week in review* growth ▲ 3 (72)"))
    ] * 2
    card, week = scheduled_messages(full, summary)
    assert card == full  # the card is never trimmed for the summary
    assert list(week.blocks) == summary
    assert limit_problems(card.to_dict()) == limit_problems(week.to_dict()) == []
