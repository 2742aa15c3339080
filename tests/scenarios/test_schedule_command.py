"""``/engine schedule ...`` through signed requests to the real Bolt app over HTTP (``BotHarness``).

The subcommand is the one ``engine-bot serve`` registers (:class:`bot.schedules.Scheduling`)
over a real migrated SQLite file; every answer is private and passes the fake Slack's Block Kit checks.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.storage import Storage
from engines import EngineName
from tests.support.harness import BotHarness


@pytest.fixture
def bot(scheduling_bot: tuple[BotHarness, Storage]) -> tuple[BotHarness, Storage]:
    return scheduling_bot


async def _answer(harness: BotHarness, text: str, **who: str) -> dict[str, Any]:
    """``/engine text`` (from ``user`` in ``channel``); the private answer from its response URL."""
    url = harness.slack.new_response_url()
    ack = await harness.post(harness.command_body(text, url, **who), "application/x-www-form-urlencoded")
    assert ack.status == 200
    key = url.rsplit("/", 1)[-1]
    await harness.slack.wait_for(lambda s: len(s.responses(key)) >= 1)
    payload: dict[str, Any] = harness.slack.responses(key)[-1].payload
    assert payload["response_type"] == "ephemeral"  # schedule chatter is never shown to the channel
    return payload


async def test_add_list_remove(bot: tuple[BotHarness, Storage]) -> None:
    harness, storage = bot
    added = await _answer(harness, "schedule add weekly mon 09:00 growth", channel="C0REVOPS", user="U0ALICE")

    [schedule] = await storage.schedules.schedules()
    assert (schedule.channel_id, schedule.created_by, schedule.engines) == (
        "C0REVOPS",
        "U0ALICE",
        (EngineName.GROWTH,),
    )
    assert (schedule.cron, schedule.spec, schedule.timezone) == ("0 9 * * mon", "weekly mon 09:00", "UTC")
    assert added["text"].startswith(f"Scheduled {schedule.id}: growth")
    assert f"/engine schedule remove {schedule.id}" in json.dumps(added["blocks"])

    listed = await _answer(harness, "schedule list")
    assert schedule.id in listed["text"]
    assert "weekly mon 09:00" in json.dumps(listed["blocks"])

    removed = await _answer(harness, f"schedule remove {schedule.id}")
    assert removed["text"] == f"Removed schedule {schedule.id}."
    assert await storage.schedules.schedules() == []
    assert (await _answer(harness, "schedule list"))["text"] == "No scheduled reports yet."


async def test_an_invalid_expression_gets_the_helpful_reply(bot: tuple[BotHarness, Storage]) -> None:
    harness, storage = bot
    reply = await _answer(harness, "schedule add every tuesday-ish at 9 growth")
    assert reply["text"].startswith("I couldn't schedule that:")
    blocks = json.dumps(reply["blocks"])
    assert "/engine schedule add weekly mon 09:00" in blocks  # a valid example ...
    assert "would run next on Mon" in blocks  # ... with its next run times
    assert await storage.schedules.schedules() == []


async def test_too_often_and_hostile_text_are_refused_escaped(bot: tuple[BotHarness, Storage]) -> None:
    harness, storage = bot
    reply = await _answer(harness, "schedule add */5 * * * * <!channel>")
    assert "at most hourly" in reply["text"]
    assert "<!channel>" not in json.dumps(reply["blocks"])
    assert await storage.schedules.schedules() == []


async def test_help_card_lists_the_schedule_examples(bot: tuple[BotHarness, Storage]) -> None:
    harness, _ = bot
    ack, _ = await harness.command("help")
    assert "/engine schedule add weekly mon 09:00 growth" in json.dumps(ack.json())
    schedule_help = await _answer(harness, "schedule")
    assert "/engine schedule add &lt;when&gt;" in schedule_help["text"]
