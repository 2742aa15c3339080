"""``/engine`` end to end: signed slash commands to the real Bolt app over HTTP on loopback.

HubSpot is the loopback ``FakeHubSpot`` read by the real ``HubSpotSource``; Slack's Web API and the
response URLs are the loopback ``FakeSlack``.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

import pytest

from engines import PortalSnapshot, ProgressCallback, SampleSource
from engines.hubspot import HubSpotSource
from tests.bot.checks import assert_valid_payload
from tests.bot.conftest import NOW
from tests.bot.harness import BotHarness, sign
from tests.fakes.hubspot import ACCOUNT, SEARCH, FakeHubSpot
from tests.fakes.slack import FakeSlack


@pytest.fixture
async def hubspot(portal: PortalSnapshot) -> AsyncIterator[FakeHubSpot]:
    async with FakeHubSpot(portal) as fake:
        yield fake


@pytest.fixture
async def hubspot_source(hubspot: FakeHubSpot) -> AsyncIterator[HubSpotSource]:
    source = HubSpotSource(hubspot.token, base_url=hubspot.base_url, cache_ttl=300.0)
    yield source
    await source.aclose()


def _cards(slack: FakeSlack, key: str) -> list[dict[str, object]]:
    return [c.payload for c in slack.responses(key) if "blocks" in c.payload and c.payload.get("blocks")]


async def test_growth_card_arrives_in_channel_after_a_fast_ephemeral_ack(
    slack: FakeSlack, hubspot: FakeHubSpot, hubspot_source: HubSpotSource
) -> None:
    async with BotHarness(slack, hubspot_source) as bot:
        ack, key = await bot.command("growth")
        assert ack.status == 200
        assert ack.json() == {"response_type": "ephemeral", "text": "⏳ Working on the growth engine…"}
        await slack.wait_for(lambda s: len(s.responses(key)) >= 1)
        (card,) = slack.responses(key)
        assert card.payload["response_type"] == "in_channel"
        assert "Growth engine" in card.payload["blocks"][0]["text"]["text"]
        assert card.payload["text"].startswith("Growth engine:")
        assert "source: HubSpot" in json.dumps(card.payload)
        assert_valid_payload(card.payload)
        assert len(hubspot.calls_to(ACCOUNT)) == 1


async def test_ack_is_well_under_3s_while_hubspot_takes_10s(
    slack: FakeSlack, hubspot: FakeHubSpot, hubspot_source: HubSpotSource
) -> None:
    hubspot.fail("slow", times=1, path=SEARCH, delay=10.0)
    async with BotHarness(slack, hubspot_source, progress_after=3.0) as bot:
        started = time.monotonic()
        ack, key = await bot.command("all for Sales Pipeline")
        assert ack.status == 200
        assert ack.seconds < 1.0, f"ack took {ack.seconds:.2f}s"
        assert "Working on all engines for pipeline *Sales Pipeline*" in ack.json()["text"]
        await slack.wait_for(lambda s: len(_cards(s, key)) >= 1, timeout=30)
        elapsed = time.monotonic() - started
        assert elapsed >= 9.5  # the read really was slow
        progress, card = slack.responses(key)
        assert progress.payload["response_type"] == "ephemeral"
        assert "Still reading your CRM" in progress.payload["text"]
        assert progress.at - started < 6.0  # said while the read was still going
        assert card.payload["response_type"] == "in_channel"
        assert len([b for b in card.payload["blocks"] if b["type"] == "header"]) == 3
        assert "Sales Pipeline" in json.dumps(card.payload)
        assert len(slack.responses(key)) == 2  # progress + one card, within the 5 uses a URL allows


async def test_concurrent_commands_get_exactly_one_card_each_from_one_hubspot_read(
    slack: FakeSlack, hubspot: FakeHubSpot, hubspot_source: HubSpotSource
) -> None:
    async with BotHarness(slack, hubspot_source) as bot:
        texts = ["growth", "fulfillment", "innovation", "all", "growth private", "all"]
        results = await asyncio.gather(*(bot.command(t) for t in texts))
        keys = [key for _, key in results]
        assert all(ack.status == 200 for ack, _ in results)
        await slack.wait_for(lambda s: all(len(s.responses(k)) >= 1 for k in keys))
        await asyncio.sleep(0.3)  # give a duplicate the chance to show up
        for key in keys:
            assert len(slack.responses(key)) == 1
        assert len(hubspot.calls_to(ACCOUNT)) == 1  # one snapshot for all six answers
        private = slack.responses(keys[4])[0].payload
        assert private["response_type"] == "ephemeral"


@pytest.mark.parametrize("text", ["", "   ", "help", "private"])
async def test_empty_or_help_gets_the_ephemeral_help_card_in_the_ack(slack: FakeSlack, text: str) -> None:
    async with BotHarness(slack, SampleSource(now=NOW)) as bot:
        ack, key = await bot.command(text)
        body = ack.json()
        assert ack.status == 200
        assert body["response_type"] == "ephemeral"
        assert body["blocks"][0]["text"]["text"] == "How to use /engine"
        assert "/engine growth" in json.dumps(body)
        assert_valid_payload(body)
        await asyncio.sleep(0.2)
        assert slack.responses(key) == []


@pytest.mark.parametrize(
    "text", ["grwoth", "<!channel> please", "'; DROP TABLE deals; --", "x" * 4000, "\x00\x1b[2J"]
)
async def test_unknown_input_gets_help_naming_it_escaped(slack: FakeSlack, text: str) -> None:
    async with BotHarness(slack, SampleSource(now=NOW)) as bot:
        ack, _ = await bot.command(text)
        body = ack.json()
        assert ack.status == 200
        assert "I didn't understand" in json.dumps(body)
        assert_valid_payload(body)


async def test_unknown_pipeline_is_a_clear_private_error(slack: FakeSlack) -> None:
    async with BotHarness(slack, SampleSource(now=NOW)) as bot:
        _, key = await bot.command("growth <!channel> & <@U999>")
        await slack.wait_for(lambda s: len(s.responses(key)) >= 1)
        (reply,) = slack.responses(key)
        assert reply.payload["response_type"] == "ephemeral"
        # Slack's tokens read as typed ("@channel", "@U999"); the rest is escaped once.
        assert "No pipeline called '@channel &amp; @U999'" in reply.payload["text"]
        assert "Sales Pipeline" in reply.payload["text"]
        assert_valid_payload(reply.payload)


async def test_hubspot_auth_failure_is_a_clear_message_not_a_trace(
    slack: FakeSlack, hubspot: FakeHubSpot
) -> None:
    source = HubSpotSource("pat-na1-wrong-token", base_url=hubspot.base_url)
    try:
        async with BotHarness(slack, source) as bot:
            _, key = await bot.command("growth")
            await slack.wait_for(lambda s: len(s.responses(key)) >= 1)
            (reply,) = slack.responses(key)
            assert reply.payload["response_type"] == "ephemeral"
            assert "HubSpot" in reply.payload["text"]
            assert "Traceback" not in reply.payload["text"]
            assert "pat-na1-wrong-token" not in json.dumps(reply.payload)
    finally:
        await source.aclose()


class _BrokenSource:
    """A source with a bug in it: the bot must apologise, not crash or leak the exception."""

    name = "broken"

    async def snapshot(
        self, pipeline: str | None = None, *, progress: ProgressCallback | None = None
    ) -> PortalSnapshot:
        raise RuntimeError("secret internals: /var/db password=hunter2")

    def invalidate(self) -> None:
        return None

    async def aclose(self) -> None:
        return None


async def test_unexpected_failure_gets_a_generic_apology(
    slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    async with BotHarness(slack, _BrokenSource()) as bot:
        _, key = await bot.command("growth")
        await slack.wait_for(lambda s: len(s.responses(key)) >= 1)
        (reply,) = slack.responses(key)
        assert reply.payload["response_type"] == "ephemeral"
        assert reply.payload["text"].startswith("Sorry, something went wrong")
        assert "hunter2" not in json.dumps(reply.payload)
    assert any("unexpected failure" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("case", ["forged", "stale", "unsigned", "wrong_secret", "tampered"])
async def test_bad_signatures_get_401_and_cause_no_hubspot_call(
    slack: FakeSlack, hubspot: FakeHubSpot, hubspot_source: HubSpotSource, case: str
) -> None:
    async with BotHarness(slack, hubspot_source) as bot:
        url = slack.new_response_url()
        body = bot.command_body("growth", url)
        now = int(time.time())
        form = "application/x-www-form-urlencoded"
        if case == "forged":
            sent = await bot.post(body, form, signature="v0=" + "0" * 64)
        elif case == "stale":
            old = now - 6 * 60
            sent = await bot.post(body, form, timestamp=old, signature=sign(body, old))
        elif case == "unsigned":
            sent = await bot.post(body, form, signed=False)
        elif case == "wrong_secret":
            sent = await bot.post(body, form, signature=sign(body, now, "not-the-secret"), timestamp=now)
        else:
            sent = await bot.post(
                body.replace("growth", "all"), form, signature=sign(body, now), timestamp=now
            )
        assert sent.status == 401
        await asyncio.sleep(0.3)
        assert hubspot.calls == []
        assert slack.calls == []


async def test_slack_rate_limit_on_the_response_url_is_waited_out(slack: FakeSlack) -> None:
    slack.rate_limit("response_url", retry_after=0, times=1)
    async with BotHarness(slack, SampleSource(now=NOW)) as bot:
        _, key = await bot.command("innovation")
        await slack.wait_for(lambda s: len(s.responses(key)) >= 1)
        assert [c.status for c in slack.calls if c.method == "response_url"] == [429, 200]
        assert len(slack.responses(key)) == 1


async def test_blocks_refused_on_the_response_url_fall_back_to_the_text(slack: FakeSlack) -> None:
    slack.fail("response_url", "invalid_blocks")
    async with BotHarness(slack, SampleSource(now=NOW)) as bot:
        _, key = await bot.command("fulfillment")
        await slack.wait_for(lambda s: len(s.responses(key)) >= 1)
        (delivered,) = slack.responses(key)
        assert "blocks" not in delivered.payload
        assert delivered.payload["text"].startswith("Fulfillment engine:")
        assert delivered.payload["response_type"] == "in_channel"


async def test_hostile_crm_data_through_the_whole_bot(
    slack: FakeSlack, hostile_portal: PortalSnapshot
) -> None:
    async with (
        FakeHubSpot(hostile_portal) as hubspot,
        HubSpotSource(hubspot.token, base_url=hubspot.base_url) as source,
        BotHarness(slack, source) as bot,
    ):
        keys = [(await bot.command(text))[1] for text in ("growth", "fulfillment", "all")]
        await bot.mention("growth", event_id="EvHostile1")
        await slack.wait_for(
            lambda s: all(s.responses(k) for k in keys) and bool(s.calls_to("chat.postMessage"))
        )
        blob = json.dumps([c.payload for c in slack.messages_sent()], ensure_ascii=False)
        assert "&lt;!channel&gt;" in blob  # the names arrived, escaped
        for forbidden in ("<!channel>", "<!everyone>", "<@U123ABC>", "<@U999>", "<https://evil"):
            assert forbidden not in blob
    # leaving the harness re-validated every message sent (slack_sdk, limits, injection)
