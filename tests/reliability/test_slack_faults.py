"""Slack's Web API misbehaving: 429 with Retry-After, 5xx, missing channels, refused blocks.

Two surfaces deliver through the Web API and are driven for real: mention replies (the Bolt app over
HTTP, answering through ``chat.postMessage``) and ``engine-bot post`` (the CLI a cron job runs,
in-process through :func:`bot.cli.main` against the loopback Slack in a background thread). Slash
command answers go to the ``response_url``, which the loopback Slack can fail the same ways.
Each case ends in a delivered answer after a retry or one clear message - never a crash, a hang or
a second post.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import main
from engines import SampleSource
from tests.reliability.support import scan, slack_payloads
from tests.support.clock import NOW
from tests.support.harness import BotHarness
from tests.support.slack import FakeSlack

CLI_VARIABLES = (
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_APP_TOKEN",
    "SLACK_API_URL",
    "HUBSPOT_ACCESS_TOKEN",
    "HUBSPOT_API_KEY",
    "HUBSPOT_API_BASE",
    "ENGINE_SOURCE",
)


# ------------------------------------------------------------------ mention replies (chat.postMessage)


async def test_mention_reply_rate_limited_waits_retry_after_and_posts_once(slack: FakeSlack) -> None:
    slack.rate_limit("chat.postMessage", retry_after=1)
    async with BotHarness(slack, SampleSource(now=NOW)) as bot:
        await bot.mention("growth", event_id="EvRl1")
        await slack.wait_for(lambda s: len(s.messages_sent()) >= 1, timeout=10)
        await asyncio.sleep(0.2)
    limited, posted = slack.calls_to("chat.postMessage")
    assert (limited.status, posted.status, posted.error) == (429, 200, None)
    assert posted.at - limited.at >= 0.95  # Slack's Retry-After was honoured
    assert len(slack.messages_sent()) == 1


async def test_mention_reply_5xx_is_not_retried_into_a_duplicate_and_the_asker_is_told(
    slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    slack.server_error("chat.postMessage", status=500)
    async with BotHarness(slack, SampleSource(now=NOW)) as bot:
        await bot.mention("growth", event_id="Ev5xx1", ts="1764000000.000500")
        await slack.wait_for(lambda s: len(s.calls_to("chat.postEphemeral")) >= 1, timeout=10)
        await asyncio.sleep(0.2)
        # the bot is still fine: the next mention is answered normally
        await bot.mention("growth", event_id="Ev5xx2", ts="1764000000.000600")
        await slack.wait_for(lambda s: any(c.status == 200 for c in s.calls_to("chat.postMessage")))
    assert [c.status for c in slack.calls_to("chat.postMessage")] == [500, 200]
    (notice,) = slack.calls_to("chat.postEphemeral")
    assert notice.payload["thread_ts"] == "1764000000.000500"
    assert notice.payload["user"] == "U0ASKER"
    assert any(r.levelno >= logging.WARNING for r in caplog.records)


async def test_mention_reply_5xx_is_logged_as_a_slack_error_not_a_crash(
    slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    slack.server_error("chat.postMessage", status=500)
    async with BotHarness(slack, SampleSource(now=NOW)) as bot:
        await bot.mention("growth", event_id="Ev5xx3")
        await slack.wait_for(lambda s: len(s.calls_to("chat.postEphemeral")) >= 1, timeout=10)
    crashes = [r for r in caplog.records if r.exc_info and isinstance(r.exc_info[1], AttributeError)]
    assert crashes == []
    # one warning naming Slack's failure, no traceback: an outside fault, not a bug of ours
    assert any(r.levelno == logging.WARNING and "http_500" in r.getMessage() for r in caplog.records)
    assert [r for r in caplog.records if r.name.startswith("bot") and r.exc_info] == []


@pytest.mark.parametrize("error", ["channel_not_found", "not_in_channel"])
async def test_mention_reply_refused_for_the_channel_never_crashes_or_repeats(
    slack: FakeSlack, error: str
) -> None:
    slack.fail("chat.postMessage", error, times=1)
    slack.fail("chat.postEphemeral", error, times=1)
    async with BotHarness(slack, SampleSource(now=NOW)) as bot:
        sent = await bot.mention("fulfillment", event_id=f"Ev{error}")
        assert sent.status == 200
        await slack.wait_for(lambda s: len(s.calls_to("chat.postEphemeral")) >= 1, timeout=10)
        await asyncio.sleep(0.3)
        assert len(slack.calls_to("chat.postMessage")) == 1  # tried once, not in a loop
        # and the app still answers the next one
        await bot.mention("fulfillment", event_id=f"Ev{error}-next")
        await slack.wait_for(lambda s: len(s.messages_sent()) >= 1, timeout=10)


async def test_mention_reply_msg_blocks_too_long_falls_back_to_the_text(slack: FakeSlack) -> None:
    slack.fail("chat.postMessage", "msg_blocks_too_long", times=1)
    async with BotHarness(slack, SampleSource(now=NOW)) as bot:
        await bot.mention("all", event_id="EvLong1")
        await slack.wait_for(lambda s: len(s.messages_sent()) >= 1, timeout=10)
        await asyncio.sleep(0.2)
    refused, delivered = slack.calls_to("chat.postMessage")
    assert refused.error == "msg_blocks_too_long"
    assert "blocks" not in delivered.payload
    assert delivered.payload["text"].startswith(("Value engines", "Growth engine", "All engines"))
    assert scan(slack_payloads(slack)) == []


# ------------------------------------------------------------------ slash commands (response_url)


async def test_response_url_429_with_retry_after_is_waited_out(slack: FakeSlack) -> None:
    slack.rate_limit("response_url", retry_after=1)
    async with BotHarness(slack, SampleSource(now=NOW)) as bot:
        _, key = await bot.command("growth")
        await slack.wait_for(lambda s: len(s.responses(key)) >= 1, timeout=10)
    limited, delivered = [c for c in slack.calls if c.method == "response_url"]
    assert (limited.status, delivered.status) == (429, 200)
    assert delivered.at - limited.at >= 0.95


async def test_response_url_5xx_once_is_not_duplicated_and_does_not_stop_the_bot(slack: FakeSlack) -> None:
    slack.server_error("response_url", status=500)
    async with BotHarness(slack, SampleSource(now=NOW)) as bot:
        _, key = await bot.command("growth")
        await slack.wait_for(lambda s: len(s.calls_to("response_url")) >= 1, timeout=10)
        await asyncio.sleep(0.5)
        assert len(slack.responses(key)) <= 1  # never two cards
        _, key2 = await bot.command("growth")
        await slack.wait_for(lambda s: len(s.responses(key2)) >= 1, timeout=10)


async def test_response_url_5xx_once_still_delivers_the_card(slack: FakeSlack) -> None:
    slack.server_error("response_url", status=503)
    async with BotHarness(slack, SampleSource(now=NOW)) as bot:
        _, key = await bot.command("growth")
        await slack.wait_for(lambda s: len(s.calls_to("response_url")) >= 1, timeout=10)
        await asyncio.sleep(1.5)
    assert len(slack.responses(key)) == 1
    assert [c.status for c in slack.calls_to("response_url") if c.key == key] == [503, 200]


async def test_response_url_5xx_twice_is_logged_without_the_url(
    slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    slack.server_error("response_url", status=500, times=2)
    async with BotHarness(slack, SampleSource(now=NOW)) as bot:
        _, key = await bot.command("growth")
        await slack.wait_for(lambda s: len(s.calls_to("response_url")) >= 2, timeout=10)
        await asyncio.sleep(0.3)
        _, key2 = await bot.command("growth")  # and the bot carries on
        await slack.wait_for(lambda s: len(s.responses(key2)) >= 1, timeout=10)
    assert [c.status for c in slack.calls_to("response_url") if c.key == key] == [500, 500]  # retried once
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "could not deliver to the response_url" in logged
    assert f"{slack.root_url}/…" in logged
    assert key not in logged  # the URL's secret part never reaches a log
    assert [r for r in caplog.records if r.name.startswith("bot") and r.exc_info] == []


async def test_an_unreachable_response_url_is_logged_without_the_url(
    slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    url = f"http://127.0.0.1:{port}/commands/T0FAKE/1234/not-for-logs"
    async with BotHarness(slack, SampleSource(now=NOW)) as bot:
        ack, _ = await bot.command("growth", response_url=url)
        assert ack.status == 200
        for _ in range(100):  # the connection is retried twice (slack_sdk backs off 0.5 s, 1 s)
            if "could not reach the response_url" in caplog.text:
                break
            await asyncio.sleep(0.1)
    assert f"http://127.0.0.1:{port}/…" in caplog.text
    assert "not-for-logs" not in caplog.text
    assert [r for r in caplog.records if r.name.startswith("bot") and r.exc_info] == []


# ------------------------------------------------------------------ engine-bot post (cron)


@pytest.fixture
def threaded_slack(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeSlack]:
    """The CLI runs its own event loop, so Slack runs in a background thread; env as cron sets it."""
    for name in CLI_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env
    with FakeSlack.running() as fake:
        monkeypatch.setenv("SLACK_BOT_TOKEN", fake.bot_token)
        monkeypatch.setenv("SLACK_API_URL", fake.base_url)
        monkeypatch.setenv("ENGINE_SOURCE", "sample")
        yield fake


def _post(channel: str = "C0REPORTS") -> int:
    started = time.monotonic()
    code = main(["post", "growth", "--channel", channel])
    assert time.monotonic() - started < 15  # bounded: no hang whatever Slack answers
    return code


def test_post_rate_limited_waits_retry_after_and_posts_once(
    threaded_slack: FakeSlack, capsys: pytest.CaptureFixture[str]
) -> None:
    threaded_slack.rate_limit("chat.postMessage", retry_after=1)
    assert _post() == 0
    limited, posted = threaded_slack.calls_to("chat.postMessage")
    assert (limited.status, posted.status) == (429, 200)
    assert posted.at - limited.at >= 0.95
    assert "Posted to C0REPORTS" in capsys.readouterr().err


def test_post_channel_not_found_names_the_channel(
    threaded_slack: FakeSlack, capsys: pytest.CaptureFixture[str]
) -> None:
    threaded_slack.missing_channels.add("C0GONE")
    assert _post("C0GONE") == 1
    err = capsys.readouterr().err
    assert "C0GONE" in err
    assert "Traceback" not in err
    assert len(threaded_slack.calls_to("chat.postMessage")) == 1


def test_post_not_in_a_public_channel_joins_and_posts_once(threaded_slack: FakeSlack) -> None:
    threaded_slack.not_member.add("C0PUBLIC")
    assert _post("C0PUBLIC") == 0
    assert [c.method for c in threaded_slack.calls] == [
        "chat.postMessage",
        "conversations.join",
        "chat.postMessage",
    ]
    assert len(threaded_slack.messages_sent()) == 1


def test_post_not_in_a_private_channel_says_to_invite_the_bot(
    threaded_slack: FakeSlack, capsys: pytest.CaptureFixture[str]
) -> None:
    threaded_slack.not_member.add("G0PRIVATE")
    threaded_slack.private_channels.add("G0PRIVATE")
    assert _post("G0PRIVATE") == 1
    assert "invite" in capsys.readouterr().err


def test_post_server_error_exits_non_zero_with_one_line(
    threaded_slack: FakeSlack, capsys: pytest.CaptureFixture[str]
) -> None:
    threaded_slack.server_error("chat.postMessage", status=503)
    assert _post() == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("engine-bot: error:")
    assert "Traceback" not in err
    assert len(threaded_slack.calls_to("chat.postMessage")) == 1  # a 5xx is not retried into a duplicate


def test_post_msg_blocks_too_long_falls_back_to_the_text(threaded_slack: FakeSlack) -> None:
    threaded_slack.fail("chat.postMessage", "msg_blocks_too_long")
    assert _post() == 0
    (delivered,) = threaded_slack.messages_sent()
    assert "blocks" not in delivered.payload or not delivered.payload["blocks"]
    assert delivered.payload["text"].startswith("Growth engine")
