"""Secrets never reach the logs: not from our code, and a filter catches what a library might quote."""

from __future__ import annotations

import io
import logging

import pytest

from bot.logs import RedactSecrets, secrets_of
from bot.settings import Settings
from engines import SampleSource
from tests.support.clock import NOW
from tests.support.harness import BOT_TOKEN, SIGNING_SECRET, BotHarness
from tests.support.slack import FakeSlack


async def test_driving_every_path_logs_no_secret(slack: FakeSlack, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with BotHarness(slack, SampleSource(now=NOW)) as bot:
        _, key = await bot.command("all")
        await bot.command("growth no-such-pipeline")
        await bot.command("nonsense")
        await bot.mention("growth", event_id="EvLog1")
        await bot.mention("growth", event_id="EvLog1", retry=1)
        url = slack.new_response_url()
        await bot.click("engine.refresh", '{"e":"growth","p":null}', response_url=url)
        await bot.post("token=x", "application/x-www-form-urlencoded", signature="v0=bad")
        await slack.wait_for(
            lambda s: len(s.responses(key)) >= 1 and len(s.calls_to("chat.postMessage")) >= 1
        )
        await slack.wait_for(lambda s: len(s.responses(url.rsplit("/", 1)[-1])) >= 1)
    text = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert caplog.records  # the paths above do log
    assert BOT_TOKEN not in text
    assert SIGNING_SECRET not in text


def test_redaction_filter_masks_configured_secrets_tokens_and_response_urls() -> None:
    settings = Settings(
        _env_file=None,
        slack_bot_token="xoxb-123-456-abcdef",
        slack_signing_secret="s3cr3t-signing",
        hubspot_access_token="pat-na1-11111111",
    )
    assert sorted(secrets_of(settings)) == ["pat-na1-11111111", "s3cr3t-signing", "xoxb-123-456-abcdef"]
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactSecrets(secrets_of(settings)))
    logger = logging.getLogger("test.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("token %s and %s", "pat-na1-11111111", "s3cr3t-signing")
        logger.warning("posting to https://hooks.slack.com/commands/T1/123/AbCdEf failed")
        logger.warning("a stray xoxp-999-888-zzzzzz token")
        try:
            raise RuntimeError("auth failed for xoxb-123-456-abcdef")
        except RuntimeError:
            logger.exception("boom")
    finally:
        logger.removeHandler(handler)
    out = stream.getvalue()
    for secret in ("pat-na1-11111111", "s3cr3t-signing", "xoxb-123-456-abcdef", "AbCdEf", "xoxp-999"):
        assert secret not in out
    assert out.count("[redacted]") >= 5
    assert "RuntimeError" in out
