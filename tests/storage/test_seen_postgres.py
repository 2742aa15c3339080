"""Two ``engine-bot serve`` replicas on one PostgreSQL database: a Slack retry or a replayed signed
request that reaches the other replica is still answered once.

Runs against the real server on 127.0.0.1:5432 (database ``test``) in a schema of its own, dropped
afterwards; skipped, with the reason shown, when that server is not reachable (as
tests/schedules/test_postgres_replicas.py).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest

from bot.runtime import running_bot
from bot.runtime.http import EVENTS_PATH
from bot.storage import Database, DatabaseEventDeduper, DatabaseReplayStore
from engines import SampleSource
from tests.bot.conftest import NOW
from tests.bot.harness import BOT_TOKEN, BotHarness, make_settings, sign
from tests.fakes.slack import FakeSlack
from tests.storage.helpers import FakeClock

pytestmark = pytest.mark.postgres


@dataclass
class Answer:
    status: int
    headers: dict[str, str]


async def _deliver(
    port: int, body: str, content_type: str, *, timestamp: int | None = None, retry: int | None = None
) -> Answer:
    """POST ``body`` to a replica signed as Slack signs it (``timestamp`` now unless given)."""
    ts = int(time.time()) if timestamp is None else timestamp
    headers = {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": str(ts),
        "X-Slack-Signature": sign(body, ts),
    }
    if retry is not None:
        headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"http://127.0.0.1:{port}{EVENTS_PATH}", data=body.encode(), headers=headers
        ) as response,
    ):
        await response.read()
        return Answer(response.status, dict(response.headers))


def _thread_replies(slack: FakeSlack, ts: str) -> int:
    return sum(
        1
        for c in slack.messages_sent()
        if c.method == "chat.postMessage" and c.payload.get("thread_ts") == ts
    )


def _cards(slack: FakeSlack, key: str) -> int:
    return sum(1 for c in slack.responses(key) if not str(c.payload.get("text", "")).startswith("⏳"))


async def test_replicas_answer_a_retry_or_a_replay_sent_to_the_other_replica_once(
    pg_url: str, tmp_path: Path
) -> None:
    async with FakeSlack(bot_token=BOT_TOKEN) as slack:
        settings = make_settings(slack, database_url=pg_url, data_dir=tmp_path / "unused")
        requests = BotHarness(slack, SampleSource(now=NOW))  # only to build Slack-shaped bodies
        async with running_bot(settings) as a, running_bot(settings) as b:
            assert isinstance(a.deps.seen_events, DatabaseEventDeduper)

            # A mention answered by A; Slack's retry (signed afresh) reaches B.
            mention = requests.mention_body("growth", event_id="EvPgRetry", ts="1764000000.000100")
            assert (await _deliver(a.port, mention, "application/json")).status == 200
            await slack.wait_for(lambda s: _thread_replies(s, "1764000000.000100") >= 1)
            retry = await _deliver(b.port, mention, "application/json", retry=1)
            assert (retry.status, retry.headers.get("x-slack-no-retry")) == (200, "1")

            # The first delivery and a retry racing to both replicas at once: still one answer.
            raced = requests.mention_body("innovation", event_id="EvPgRace", ts="1764000000.000200")
            await asyncio.gather(
                _deliver(a.port, raced, "application/json"),
                _deliver(b.port, raced, "application/json", retry=1),
            )
            await slack.wait_for(lambda s: _thread_replies(s, "1764000000.000200") >= 1)

            # A signed slash command, then the same bytes and headers replayed to B.
            response_url = slack.new_response_url()
            command = requests.command_body("growth", response_url)
            now = int(time.time())
            first = await _deliver(a.port, command, "application/x-www-form-urlencoded", timestamp=now)
            replay = await _deliver(b.port, command, "application/x-www-form-urlencoded", timestamp=now)
            key = response_url.rsplit("/", 1)[-1]
            await slack.wait_for(lambda s: _cards(s, key) >= 1)
            await asyncio.sleep(0.5)  # room for a second answer, had either replica started one

    assert (first.status, replay.status) == (200, 401)
    assert _cards(slack, key) == 1
    assert _thread_replies(slack, "1764000000.000100") == 1
    assert _thread_replies(slack, "1764000000.000200") == 1


async def test_concurrent_claims_from_two_pools_have_one_winner_also_of_an_expired_key(pg_url: str) -> None:
    replica_a, replica_b = Database(pg_url), Database(pg_url)
    clock = FakeClock(NOW)
    try:
        await asyncio.to_thread(replica_a.migrate)
        pools = (replica_a, replica_b)
        events = [DatabaseEventDeduper(db, clock=clock, prune_every=1000) for db in pools for _ in range(4)]
        replays = [DatabaseReplayStore(db, clock=clock) for db in pools for _ in range(4)]
        event_claims = await asyncio.gather(*(store.first_delivery("EvSame") for store in events))
        replay_claims = await asyncio.gather(*(store.first_use("1764061200", "v0=ab") for store in replays))
        assert event_claims.count(True) == 1
        assert replay_claims.count(True) == 1
        clock.advance(timedelta(hours=1, seconds=1))  # expired, not pruned: one replica takes it over
        fresh = [DatabaseEventDeduper(db, clock=clock, prune_every=1000) for db in pools for _ in range(4)]
        retaken = await asyncio.gather(*(store.first_delivery("EvSame") for store in fresh))
        assert retaken.count(True) == 1
    finally:
        replica_a.dispose()
        replica_b.dispose()
