"""``/engine schedule add|list|remove|help`` replies, against a real (SQLite) store."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from bot.schedules import ENV_SCHEDULE_ID, ScheduleReply, handle_schedule_command
from bot.storage import Database, FiringStatus, ScheduleOrigin, ScheduleStore
from engines import EngineName
from tests.support.clock import NOW, FakeClock


@pytest.fixture
def store(db: Database, clock: FakeClock) -> ScheduleStore:
    clock.set(NOW)
    return ScheduleStore(db, clock=clock)


async def run(store: ScheduleStore, args: str, **extra: str) -> ScheduleReply:
    return await handle_schedule_command(
        args, channel_id="C0REVOPS", user_id="U0ALICE", store=store, now=NOW, **extra
    )


def mrkdwn(reply: ScheduleReply) -> str:
    return json.dumps([block.to_dict() for block in reply.blocks], ensure_ascii=False)


async def test_add_friendly_schedule_in_this_channel(store: ScheduleStore) -> None:
    reply = await run(store, "add weekly mon 09:00")

    [schedule] = await store.schedules()
    assert (schedule.channel_id, schedule.cron, schedule.spec) == (
        "C0REVOPS",
        "0 9 * * mon",
        "weekly mon 09:00",
    )
    assert (schedule.timezone, schedule.engines, schedule.pipeline) == ("UTC", tuple(EngineName), None)
    assert (schedule.created_by, schedule.origin) == ("U0ALICE", ScheduleOrigin.SLACK)
    body = mrkdwn(reply)
    assert f"`{schedule.id}`" in body
    assert "in this channel" in body  # no <#C…> control sequence in a reply
    assert "every Mon at 09:00" in body
    assert "Mon 30 Nov 09:00, Mon 7 Dec 09:00, Mon 14 Dec 09:00" in body
    assert f"/engine schedule remove {schedule.id}" in body
    assert schedule.id in reply.text


async def test_add_cron_with_engines_pipeline_and_zone(store: ScheduleStore) -> None:
    reply = await run(store, 'add "30 8 * * 1-5" growth,fulfillment New Business tz=Europe/Berlin')
    [schedule] = await store.schedules()
    assert schedule.cron == "30 8 * * 1-5"
    assert schedule.engines == (EngineName.GROWTH, EngineName.FULFILLMENT)
    assert schedule.pipeline == "New Business"
    assert schedule.timezone == "Europe/Berlin"
    # 08:30 in Berlin, shown in Berlin time.
    assert "Thu 26 Nov 08:30, Fri 27 Nov 08:30, Mon 30 Nov 08:30" in mrkdwn(reply)
    assert "(Europe/Berlin)" in mrkdwn(reply)


async def test_add_unquoted_cron_and_separate_engine_words(store: ScheduleStore) -> None:
    await run(store, "add 0 7 * * * innovation growth pipeline=Renewals")
    [schedule] = await store.schedules()
    assert schedule.cron == "0 7 * * *"
    assert schedule.engines == (EngineName.INNOVATION, EngineName.GROWTH)
    assert schedule.pipeline == "Renewals"


async def test_default_time_zone_comes_from_the_caller(store: ScheduleStore) -> None:
    reply = await run(store, "add daily 08:30", default_timezone="America/New_York")
    [schedule] = await store.schedules()
    assert schedule.timezone == "America/New_York"
    assert "Thu 26 Nov 08:30" in mrkdwn(reply)


async def test_an_unusable_default_time_zone_falls_back_to_utc(store: ScheduleStore) -> None:
    await run(store, "add daily 08:30", default_timezone="Nowhere/Special")
    [schedule] = await store.schedules()
    assert schedule.timezone == "UTC"


async def test_slack_smart_quotes_are_understood(store: ScheduleStore) -> None:
    await run(store, "add “0 9 * * 1” growth")
    [schedule] = await store.schedules()
    assert (schedule.cron, schedule.engines) == ("0 9 * * 1", (EngineName.GROWTH,))


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        ("add every monday at nine", "I don't understand 'every monday at nine'"),
        ("add 0 9 * *", "has 4 field(s)"),
        ("add weekly funday 09:00", "not a day of the week"),
        ("add daily 25:00", "not a time of day"),
        ("add", "Tell me when"),
        ("add weekly mon 09:00 tz=Mars/Olympus", "not a time zone I know"),
        ("add */5 * * * *", "more than once an hour"),
        ("add daily 09:00 growht,innovation", "not an engine"),
    ],
)
async def test_invalid_input_explains_and_shows_a_valid_example(
    store: ScheduleStore, args: str, complaint: str
) -> None:
    reply = await run(store, args)
    body = mrkdwn(reply)
    assert complaint in body
    assert "/engine schedule add weekly mon 09:00" in body
    assert "Mon 30 Nov 09:00, Mon 7 Dec 09:00, Mon 14 Dec 09:00" in body  # the example's next runs
    assert complaint in reply.text
    assert await store.schedules() == []


async def test_user_text_is_escaped(store: ScheduleStore) -> None:
    reply = await run(store, "add weekly mon 09:00 <!channel> & <@U0BOSS>")
    [schedule] = await store.schedules()
    assert schedule.pipeline == "<!channel> & <@U0BOSS>"  # stored as typed
    body = mrkdwn(reply)
    assert "&lt;!channel&gt; &amp; &lt;@U0BOSS&gt;" in body
    assert "<!channel>" not in body
    listed = mrkdwn(await run(store, "list"))
    assert "<!channel>" not in listed
    assert "&lt;!channel&gt;" in listed

    bad = mrkdwn(await run(store, "add 0 9 * * <!here>"))
    assert "<!here>" not in bad
    assert "&lt;!here&gt;" in bad


async def test_list_shows_every_schedule_with_next_and_last_run(
    store: ScheduleStore, clock: FakeClock
) -> None:
    assert "No scheduled reports yet" in mrkdwn(await run(store, "list"))

    await run(store, "add weekly mon 09:00 growth")
    clock.advance(timedelta(seconds=1))
    await handle_schedule_command(
        "add daily 08:30 all Enterprise tz=Europe/Berlin",
        channel_id="C0SALES",
        user_id="U0BOB",
        store=store,
        now=NOW,
    )
    weekly, daily = await store.schedules()
    fired = datetime(2026, 11, 25, 7, 30, tzinfo=UTC)
    await store.claim(daily.id, fired, claimed_by="replica")
    await store.finish(
        daily.id, fired, status=FiringStatus.FAILED, detail="not in channel: channel_not_found"
    )

    reply = await run(store, "list")
    body = mrkdwn(reply)
    assert "Scheduled reports (2)" in body
    assert f"`{weekly.id}` in this channel" in body
    assert f"`{daily.id}` in C0SALES" in body
    assert "next Mon 30 Nov 09:00 · not run yet" in body
    assert "pipeline *Enterprise*" in body
    assert "failed Wed 25 Nov 08:30: not in channel: channel_not_found" in body
    assert "next Thu 26 Nov 08:30" in body
    assert weekly.id in reply.text


async def test_remove(store: ScheduleStore) -> None:
    await run(store, "add weekly mon 09:00")
    [schedule] = await store.schedules()
    assert "There is no schedule `nope`" in mrkdwn(await run(store, "remove nope"))
    assert "Which one?" in mrkdwn(await run(store, "remove"))
    reply = await run(store, f"remove {schedule.id.upper()}")
    assert f"Removed schedule `{schedule.id}`" in mrkdwn(reply)
    assert await store.schedules() == []


async def test_the_environment_schedule_is_not_removed_from_slack(store: ScheduleStore) -> None:
    await store.upsert(
        ENV_SCHEDULE_ID, channel_id="C0REVOPS", cron="0 9 * * 1", spec="0 9 * * 1", timezone="UTC"
    )
    reply = await run(store, f"remove {ENV_SCHEDULE_ID}")
    assert "REPORT_SCHEDULE" in mrkdwn(reply)
    assert await store.get(ENV_SCHEDULE_ID) is not None


@pytest.mark.parametrize("args", ["", "help", "what"])
async def test_help(store: ScheduleStore, args: str) -> None:
    reply = await run(store, args, default_timezone="Europe/Berlin")
    body = mrkdwn(reply)
    assert "/engine schedule add weekly mon 09:00" in body
    assert "Europe/Berlin" in body
    assert reply.text


async def test_reply_is_valid_block_kit_for_respond(store: ScheduleStore) -> None:
    reply = await run(store, "add weekly mon 09:00")
    payload = reply.to_dict()
    assert payload["text"] == reply.text
    assert all(isinstance(block, dict) and "type" in block for block in payload["blocks"])
    assert len(payload["blocks"]) <= 50


async def test_list_stays_within_slacks_block_limit(store: ScheduleStore, clock: FakeClock) -> None:
    for _ in range(45):
        clock.advance(timedelta(seconds=1))
        await store.add(channel_id="C1", cron="0 9 * * 1", spec="0 9 * * 1", timezone="UTC")
    reply = await run(store, "list")
    assert len(reply.blocks) <= 50
    assert "Showing the first 40 of 45" in mrkdwn(reply)
