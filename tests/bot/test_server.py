"""The HTTP server ``engine-bot serve`` runs: Slack's endpoint and a liveness probe that reveals nothing."""

from __future__ import annotations

from engines import SampleSource
from tests.bot.conftest import NOW
from tests.bot.harness import BOT_TOKEN, SIGNING_SECRET, BotHarness
from tests.fakes.slack import FakeSlack


async def test_health_reveals_only_liveness(slack: FakeSlack) -> None:
    async with BotHarness(slack, SampleSource(now=NOW)) as bot:
        health = await bot.get("/health")
        assert health.status == 200
        assert health.json() == {"status": "ok"}
        assert BOT_TOKEN not in health.body
        assert SIGNING_SECRET not in health.body
        assert health.headers.get("Server") == "engine-bot"  # no framework or Python version
        assert (await bot.get("/slack/events")).status == 405
        assert (await bot.get("/metrics")).status == 404
        assert slack.calls == []  # probing does not touch Slack
