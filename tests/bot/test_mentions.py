"""``@bot ...`` mentions: signed Events API requests; answers go to the mention's thread, once."""

from __future__ import annotations

import asyncio
import json

import pytest

from engines import SampleSource
from tests.bot.checks import assert_valid_payload
from tests.bot.conftest import NOW
from tests.bot.harness import BotHarness, message_ts
from tests.fakes.slack import FakeSlack


async def test_mention_is_answered_in_its_thread(slack: FakeSlack) -> None:
    async with BotHarness(slack, SampleSource(now=NOW)) as bot:
        sent = await bot.mention("growth", event_id="Ev001", ts="1764000000.000200")
        assert sent.status == 200
        await slack.wait_for(lambda s: len(s.calls_to("chat.postMessage")) >= 1)
        (post,) = slack.calls_to("chat.postMessage")
        assert post.error is None
        assert post.payload["channel"] == "C0SALES"
        assert post.payload["thread_ts"] == "1764000000.000200"
        assert "Growth engine" in post.payload["text"]
        assert_valid_payload(post.payload)


async def test_mention_inside_a_thread_replies_to_that_thread(slack: FakeSlack) -> None:
    async with BotHarness(slack, SampleSource(now=NOW)) as bot:
        await bot.mention(
            "all for sales pipeline", event_id="Ev002", ts="1764000000.000900", thread_ts="1764000000.000100"
        )
        await slack.wait_for(lambda s: len(s.calls_to("chat.postMessage")) >= 1)
        (post,) = slack.calls_to("chat.postMessage")
        assert post.payload["thread_ts"] == "1764000000.000100"
        headers = [b for b in post.payload["blocks"] if b["type"] == "header"]
        assert len(headers) == 3
        assert "Sales Pipeline" in json.dumps(post.payload)


async def test_slack_retries_never_produce_a_second_reply(slack: FakeSlack) -> None:
    async with BotHarness(slack, SampleSource(now=NOW)) as bot:
        first = await bot.mention("fulfillment", event_id="Ev003")
        retries = [await bot.mention("fulfillment", event_id="Ev003", retry=n) for n in (1, 2, 3)]
        assert first.status == 200
        assert all(r.status == 200 and r.headers.get("x-slack-no-retry") == "1" for r in retries)
        await slack.wait_for(lambda s: len(s.calls_to("chat.postMessage")) >= 1)
        await asyncio.sleep(0.3)
        assert len(slack.calls_to("chat.postMessage")) == 1
        await bot.mention("fulfillment", event_id="Ev004")  # a new event is a new question
        await slack.wait_for(lambda s: len(s.calls_to("chat.postMessage")) >= 2)


async def test_concurrent_duplicate_deliveries_still_answer_once(slack: FakeSlack) -> None:
    async with BotHarness(slack, SampleSource(now=NOW)) as bot:
        sent = await asyncio.gather(
            *(bot.mention("innovation", event_id="Ev005", retry=n or None) for n in range(4))
        )
        assert all(s.status == 200 for s in sent)
        await slack.wait_for(lambda s: len(s.calls_to("chat.postMessage")) >= 1)
        await asyncio.sleep(0.3)
        assert len(slack.calls_to("chat.postMessage")) == 1


async def test_mention_help_and_nonsense_get_help_in_the_thread(slack: FakeSlack) -> None:
    async with BotHarness(slack, SampleSource(now=NOW)) as bot:
        await bot.mention("help", event_id="Ev006")
        await bot.mention("<!channel> what is up", event_id="Ev007")
        await slack.wait_for(lambda s: len(s.calls_to("chat.postMessage")) >= 2)
        texts = [json.dumps(c.payload) for c in slack.calls_to("chat.postMessage")]
        assert all("How to use /engine" in t for t in texts)
        # Slack's <!channel> token reads as typed, "@channel", and never goes back as a ping.
        assert any("I didn't understand `@channel`" in t for t in texts)
        assert not any("<!channel>" in t for t in texts)
        for call in slack.calls_to("chat.postMessage"):
            assert call.payload["thread_ts"] in (message_ts("Ev006"), message_ts("Ev007"))
            assert_valid_payload(call.payload)


async def test_private_mention_goes_only_to_the_asker(slack: FakeSlack) -> None:
    async with BotHarness(slack, SampleSource(now=NOW)) as bot:
        await bot.mention("growth private", event_id="Ev008")
        await slack.wait_for(lambda s: len(s.calls_to("chat.postEphemeral")) >= 1)
        (post,) = slack.calls_to("chat.postEphemeral")
        assert post.payload["user"] == "U0ASKER"
        assert post.payload["thread_ts"] == message_ts("Ev008")
        assert slack.calls_to("chat.postMessage") == []


async def test_unsigned_event_is_rejected_before_any_work(slack: FakeSlack) -> None:
    async with BotHarness(slack, SampleSource(now=NOW)) as bot:
        body = bot.mention_body("growth", event_id="Ev009")
        sent = await bot.post(body, "application/json", signed=False)
        assert sent.status == 401
        await asyncio.sleep(0.2)
        assert slack.calls == []
        # the rejected delivery did not claim the event id: the genuine one is still answered
        await bot.mention("growth", event_id="Ev009")
        await slack.wait_for(lambda s: len(s.calls_to("chat.postMessage")) >= 1)


async def test_url_verification_handshake(slack: FakeSlack) -> None:
    async with BotHarness(slack, SampleSource(now=NOW)) as bot:
        body = json.dumps({"token": "t", "challenge": "abc123", "type": "url_verification"})
        sent = await bot.post(body, "application/json")
        assert sent.status == 200
        assert sent.json() == {"challenge": "abc123"}


async def test_blocks_refused_by_slack_fall_back_to_the_text(slack: FakeSlack) -> None:
    slack.fail("chat.postMessage", "msg_blocks_too_long")
    async with BotHarness(slack, SampleSource(now=NOW)) as bot:
        await bot.mention("growth", event_id="EvBig1")
        await slack.wait_for(lambda s: len(s.calls_to("chat.postMessage")) >= 2)
        refused, plain = slack.calls_to("chat.postMessage")
        assert refused.error == "msg_blocks_too_long"
        assert "blocks" not in plain.payload
        assert plain.error is None
        assert plain.payload["text"].startswith("Growth engine:")


async def test_a_channel_the_bot_cannot_post_in_is_logged_not_crashed(
    slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    slack.not_member.add("C0PRIV")
    async with BotHarness(slack, SampleSource(now=NOW)) as bot:
        await bot.mention("growth", event_id="EvPriv1", channel="C0PRIV")
        await slack.wait_for(lambda s: len(s.calls_to("chat.postEphemeral")) >= 1)
        health = await bot.get("/health")
        assert health.status == 200
    assert [c.error for c in slack.calls_to("chat.postMessage")] == ["not_in_channel"]
    assert any(
        "could not deliver" in r.getMessage() or "unexpected" in r.getMessage() for r in caplog.records
    )
