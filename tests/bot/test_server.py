"""The HTTP server ``engine-bot serve`` runs: Slack's endpoint and a liveness probe that reveals nothing."""

from __future__ import annotations

import time

import aiohttp

from bot.runtime.http import start_http
from bot.slack.dedupe import MemoryReplayStore
from engines import SampleSource
from tests.bot.conftest import NOW
from tests.bot.harness import BOT_TOKEN, SIGNING_SECRET, BotHarness, sign
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


async def test_replicas_sharing_a_replay_store_reject_a_replay_sent_to_the_other(slack: FakeSlack) -> None:
    """The replay store is pluggable (``replay_store=``): behind a load balancer a replay lands on
    another replica, so the replicas must share one store to see it."""
    shared = MemoryReplayStore()  # stands in for a shared store such as Redis
    async with BotHarness(slack, SampleSource(now=NOW)) as bot:
        replicas = [
            await start_http(
                bot.app, signing_secret=SIGNING_SECRET, host="127.0.0.1", port=0, replay_store=shared
            )
            for _ in range(2)
        ]
        body = bot.command_body("growth", slack.new_response_url())
        now = int(time.time())
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": str(now),
            "X-Slack-Signature": sign(body, now),
        }
        statuses = []
        try:
            async with aiohttp.ClientSession() as session:
                for _, port in replicas:
                    url = f"http://127.0.0.1:{port}/slack/events"
                    async with session.post(url, data=body.encode(), headers=headers) as response:
                        statuses.append(response.status)
            await slack.wait_for(lambda s: len(s.responses()) >= 1)
        finally:
            for runner, _ in replicas:
                await runner.cleanup()
    assert statuses == [200, 401]
    assert len(shared) == 1
