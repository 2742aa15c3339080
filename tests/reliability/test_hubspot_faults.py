"""HubSpot misbehaving, seen from Slack: every fault ends in one card or one clear private message.

Each test drives the real Bolt app over HTTP (signed slash commands and mentions) while the loopback
HubSpot answers 429 storms, 5xx bursts, slow answers, dropped connections or broken JSON, or is not
there at all. What the person who typed ``/engine`` sees is what is checked: a card after a
successful retry, or one private line saying what happened and what to do - never a stack trace,
never silence, never two answers, and always within a bounded time.
"""

from __future__ import annotations

import asyncio
import socket
import time
from typing import Any

import pytest

from engines.hubspot import HubSpotSource, RetryPolicy
from tests.reliability.support import ACCOUNT, PIPELINES, SEARCH, scan, slack_payloads, source_for
from tests.support.harness import BotHarness
from tests.support.hubspot import FakeHubSpot
from tests.support.slack import FakeSlack

# Bounded waits: every fault below resolves (retry or message) well inside this.
ANSWER_WITHIN = 15.0


async def _one_answer(bot: BotHarness, slack: FakeSlack, text: str) -> dict[str, Any]:
    """Send ``/engine text``; return the single answer that reached its response_url (asserted single)."""
    ack, key = await bot.command(text)
    assert ack.status == 200
    assert ack.seconds < 3.0
    await slack.wait_for(lambda s: len(s.responses(key)) >= 1, timeout=ANSWER_WITHIN)
    await asyncio.sleep(0.2)  # a duplicate, if there were one, would show up now
    (answer,) = slack.responses(key)
    return answer.payload


def _is_card(payload: dict[str, Any]) -> bool:
    return any(b.get("type") == "header" for b in payload.get("blocks", []))


def _user_error(payload: dict[str, Any]) -> str:
    """The private error line; it must be ephemeral, text-only in spirit and free of internals."""
    assert payload["response_type"] == "ephemeral", payload
    assert not _is_card(payload)
    text = str(payload["text"])
    assert "Traceback" not in text
    assert "Exception" not in text
    assert not text.startswith("Sorry, something went wrong"), "a known fault must not look like a bug"
    return text


async def test_a_429_storm_within_the_budget_is_waited_out_and_the_card_arrives(
    slack: FakeSlack, hubspot: FakeHubSpot
) -> None:
    hubspot.fail("ratelimit", times=6, path=SEARCH, policy="SECONDLY", retry_after=0.02)
    source = source_for(hubspot)
    async with BotHarness(slack, source) as bot:
        card = await _one_answer(bot, slack, "growth")
    assert _is_card(card)
    assert card["response_type"] == "in_channel"
    assert sum(1 for c in hubspot.calls if c.status == 429) == 6
    assert scan(slack_payloads(slack)) == []


async def test_a_429_storm_past_the_budget_says_so_and_the_next_command_recovers(
    slack: FakeSlack, hubspot: FakeHubSpot
) -> None:
    # RetryPolicy().max_rate_limit_waits is 8: the ninth 429 in a row for one request gives up.
    hubspot.fail("ratelimit", times=9, path=SEARCH, policy="SECONDLY", retry_after=0)
    source = source_for(hubspot)
    async with BotHarness(slack, source) as bot:
        started = time.monotonic()
        text = _user_error(await _one_answer(bot, slack, "growth"))
        assert "too many requests" in text
        assert "try again in a minute" in text
        assert time.monotonic() - started < ANSWER_WITHIN
        assert _is_card(await _one_answer(bot, slack, "growth"))  # failures are not cached


async def test_the_daily_limit_fails_at_once_saying_when_it_resets(
    slack: FakeSlack, hubspot: FakeHubSpot
) -> None:
    hubspot.fail("ratelimit", times=50, policy="DAILY")
    async with BotHarness(slack, source_for(hubspot)) as bot:
        text = _user_error(await _one_answer(bot, slack, "fulfillment"))
    assert "daily API limit" in text
    assert "midnight" in text
    # One per concurrent first request, no retrying: account, owners (active, archived), deal
    # pipelines, and the object reads (lifecycle stages, ticket pipelines, surveys, products, goals).
    assert sum(1 for c in hubspot.calls if c.status == 429) <= 9


async def test_a_5xx_burst_is_retried_and_the_card_arrives(slack: FakeSlack, hubspot: FakeHubSpot) -> None:
    hubspot.fail("status", times=2, path=SEARCH, status=503)
    async with BotHarness(slack, source_for(hubspot)) as bot:
        card = await _one_answer(bot, slack, "all")
    assert _is_card(card)
    assert [c.status for c in hubspot.calls_to(SEARCH)][:3] == [503, 503, 200]


@pytest.mark.parametrize("html", [False, True], ids=["json-500", "html-502"])
async def test_persistent_5xx_is_a_clear_hubspot_is_down_message(
    slack: FakeSlack, hubspot: FakeHubSpot, html: bool
) -> None:
    hubspot.fail("status", times=100, path=PIPELINES, status=502 if html else 500, html=html)
    async with BotHarness(slack, source_for(hubspot)) as bot:
        text = _user_error(await _one_answer(bot, slack, "growth"))
    assert "HubSpot is not answering properly right now" in text
    assert "status.hubspot.com" in text
    assert len(hubspot.calls_to(PIPELINES)) == 3  # FAST_RETRY.max_attempts, then it gives up


async def test_a_slow_answer_times_out_is_retried_and_the_card_arrives(
    slack: FakeSlack, hubspot: FakeHubSpot
) -> None:
    # The slow answer takes 4 s, the timeout is 1 s: wide apart, so a loaded CI machine (where a
    # normal answer can take a few hundred ms) neither times out the retry nor blurs the bound. (The
    # fake's shutdown waits for the slow handler: a longer delay is paid again at teardown.)
    hubspot.fail("slow", times=1, path=PIPELINES, delay=4.0)
    async with BotHarness(slack, source_for(hubspot, timeout=1.0)) as bot:
        started = time.monotonic()
        card = await _one_answer(bot, slack, "innovation")
    assert _is_card(card)
    assert time.monotonic() - started < 3.5  # the retry did not wait for the slow answer
    assert len(hubspot.calls_to(PIPELINES)) == 2


async def test_hubspot_that_never_answers_in_time_gets_a_message_not_a_hang(
    slack: FakeSlack, hubspot: FakeHubSpot
) -> None:
    hubspot.fail("slow", times=100, path=SEARCH, delay=1.0)
    async with BotHarness(slack, source_for(hubspot, timeout=0.2)) as bot:
        started = time.monotonic()
        text = _user_error(await _one_answer(bot, slack, "growth"))
        assert time.monotonic() - started < 5.0
    assert "not answering" in text
    assert "no answer within 0.2 s" in text


async def test_a_dropped_connection_is_retried_and_the_card_arrives(
    slack: FakeSlack, hubspot: FakeHubSpot
) -> None:
    hubspot.fail("drop", times=2, path=ACCOUNT)
    async with BotHarness(slack, source_for(hubspot)) as bot:
        assert _is_card(await _one_answer(bot, slack, "growth"))


async def test_connection_refused_is_a_clear_message_in_bounded_time(slack: FakeSlack) -> None:
    with socket.socket() as sock:  # a port that was free a moment ago and has no listener now
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
    retry = RetryPolicy(max_attempts=3, backoff_base=0.01, backoff_max=0.02)
    source = HubSpotSource("pat-na1-00000000-0000-0000-0000-000000000000", base_url=closed, retry=retry)
    async with BotHarness(slack, source) as bot:
        started = time.monotonic()
        text = _user_error(await _one_answer(bot, slack, "growth"))
        assert time.monotonic() - started < 5.0
    assert "HubSpot is not answering properly right now" in text
    assert "connection problem" in text


@pytest.mark.parametrize(("kind", "path"), [("truncated", SEARCH), ("malformed", PIPELINES)])
async def test_broken_json_names_the_endpoint_and_a_retry_then_works(
    slack: FakeSlack, hubspot: FakeHubSpot, kind: str, path: str
) -> None:
    hubspot.fail(kind, times=1, path=path)
    async with BotHarness(slack, source_for(hubspot)) as bot:
        text = _user_error(await _one_answer(bot, slack, "growth"))
        assert "not valid JSON" in text
        assert path in text
        assert _is_card(await _one_answer(bot, slack, "growth"))  # the broken answer was not cached


async def test_a_wrongly_shaped_answer_is_a_clear_message_not_an_apology(
    slack: FakeSlack, hubspot: FakeHubSpot
) -> None:
    hubspot.fail("body", times=1, path=PIPELINES, body={"results": [{"id": 7, "stages": "none"}]})
    async with BotHarness(slack, source_for(hubspot)) as bot:
        text = _user_error(await _one_answer(bot, slack, "growth"))
    assert PIPELINES in text


async def test_a_fault_during_a_mention_is_told_privately_in_the_thread_once(
    slack: FakeSlack, hubspot: FakeHubSpot
) -> None:
    hubspot.fail("status", times=100, path=PIPELINES, status=503)
    async with BotHarness(slack, source_for(hubspot)) as bot:
        await bot.mention("growth", event_id="EvFault1", ts="1764000000.000300")
        await bot.mention("growth", event_id="EvFault1", ts="1764000000.000300", retry=1)
        await slack.wait_for(lambda s: len(s.calls_to("chat.postEphemeral")) >= 1, timeout=ANSWER_WITHIN)
        await asyncio.sleep(0.2)
    (notice,) = slack.calls_to("chat.postEphemeral")
    assert notice.payload["thread_ts"] == "1764000000.000300"
    assert notice.payload["user"] == "U0ASKER"
    assert "HubSpot is not answering properly" in notice.payload["text"]
    assert slack.calls_to("chat.postMessage") == []  # nothing public about a failure


async def test_twenty_commands_during_a_5xx_burst_cost_one_shared_read_and_one_answer_each(
    slack: FakeSlack, hubspot: FakeHubSpot
) -> None:
    hubspot.fail("status", times=2, path=ACCOUNT, status=500)
    async with BotHarness(slack, source_for(hubspot)) as bot:
        sent = await asyncio.gather(*(bot.command("growth") for _ in range(20)))
        keys = [key for _, key in sent]
        await slack.wait_for(lambda s: all(s.responses(k) for k in keys), timeout=ANSWER_WITHIN)
        await asyncio.sleep(0.3)
    assert all(len(slack.responses(k)) == 1 for k in keys)
    assert all(_is_card(slack.responses(k)[0].payload) for k in keys)
    assert len(hubspot.calls_to(PIPELINES)) == 1  # single-flight: one read behind twenty answers
