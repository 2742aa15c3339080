"""Everything the bot remembers is bounded: more distinct keys than the bound, through public interfaces.

A bot runs for months; anything keyed by what people type or what Slack sends (event ids, pipeline
names, owner e-mails) must not grow without limit. Each test drives more distinct keys than the
bound and checks the size (where a public ``len`` exists) or the eviction it implies (an evicted key
costs a fresh call to HubSpot or Slack again; a kept one does not).
"""

from __future__ import annotations

import asyncio

from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.dedupe import REPLAY_WINDOW, MemoryEventDeduper, MemoryReplayStore
from bot.slack.owners import OwnerDirectory
from engines import SampleSource
from tests.bot.harness import BotHarness
from tests.fakes.hubspot import FakeHubSpot
from tests.fakes.slack import FakeSlack
from tests.reliability.conftest import NOW
from tests.reliability.support import ACCOUNT, PIPELINES, source_for


async def test_event_dedupe_memory_stays_at_its_bound_and_still_drops_recent_retries(
    slack: FakeSlack,
) -> None:
    seen = MemoryEventDeduper(max_entries=20)
    async with BotHarness(slack, SampleSource(now=NOW)) as bot:
        bot.deps.seen_events = seen  # the documented seam (BotDeps.seen_events / build_deps(seen_events=))
        for i in range(60):
            assert (
                await bot.mention("help", event_id=f"EvBound{i:03d}", ts=f"1764000001.{i:06d}")
            ).status == 200
            assert len(seen) <= 20
        retry = await bot.mention("help", event_id="EvBound059", ts="1764000001.000059", retry=1)
        await slack.wait_for(lambda s: len(s.calls_to("chat.postMessage")) >= 60, timeout=15)
        await asyncio.sleep(0.2)
    # At the bound; a repeated id is not re-added (and the pre-insert eviction runs even for a
    # repeat, so the size can dip to 19 - harmless at the default 50,000).
    assert 19 <= len(seen) <= 20
    assert retry.headers.get("x-slack-no-retry") == "1"
    assert len(slack.calls_to("chat.postMessage")) == 60  # one reply per event, none for the retry


async def test_replay_store_stays_at_its_bound_and_forgets_pairs_after_its_ttl() -> None:
    now = [0.0]
    store = MemoryReplayStore(max_entries=20, clock=lambda: now[0])
    for i in range(60):
        assert await store.first_use("1764000000", f"v0={i:064x}")
        assert len(store) <= 20
    assert not await store.first_use("1764000000", f"v0={59:064x}")  # recent: still a replay
    now[0] = 2 * REPLAY_WINDOW  # inside the default TTL (a timestamp can be 5 min ahead)
    assert not await store.first_use("1764000000", f"v0={58:064x}")
    now[0] = 2 * REPLAY_WINDOW + 61  # past it: Bolt refuses the timestamp anyway, the pair can go
    assert await store.first_use("1764000000", f"v0={58:064x}")
    assert len(store) == 1


async def test_snapshot_cache_keeps_at_most_max_cached_pipelines(
    slack: FakeSlack, hubspot: FakeHubSpot
) -> None:
    source = source_for(hubspot, max_cached=2)
    # Four snapshots (all pipelines and three pipelines, bound two); a label and its id are one key.
    keys = ["", "Sales Pipeline", "default", "Renewals & Expansion", "14620931", "Partner Deals"]

    async def card(pipeline: str) -> None:
        _, key = await bot.command(f"growth {pipeline}".strip())
        await slack.wait_for(lambda s: len(s.responses(key)) >= 1, timeout=10)
        assert "blocks" in slack.responses(key)[0].payload

    async with BotHarness(slack, source) as bot:
        for pipeline in keys:
            await card(pipeline)
        reads = len(hubspot.calls_to(ACCOUNT))
        assert reads == 4  # "default" and "14620931" were served from their label's entry
        await card("Partner Deals")  # the most recent key is still cached: no read
        assert len(hubspot.calls_to(ACCOUNT)) == reads
        await card("")  # the first key was evicted long ago: read again
        assert len(hubspot.calls_to(ACCOUNT)) == reads + 1
    await source.aclose()


async def test_a_burst_of_unknown_pipeline_names_on_a_cold_bot_costs_one_pipelines_read(
    slack: FakeSlack, hubspot: FakeHubSpot
) -> None:
    """Nothing cached yet: the typos share one read of the pipeline list, and no snapshot is read."""
    source = source_for(hubspot)
    async with BotHarness(slack, source) as bot:
        sent = await asyncio.gather(*(bot.command(f"growth nosuch-{i}") for i in range(8)))
        await slack.wait_for(lambda s: all(s.responses(k) for _, k in sent), timeout=10)
    assert all("No pipeline called" in slack.responses(k)[0].payload["text"] for _, k in sent)
    assert "Renewals &amp; Expansion" in slack.responses(sent[0][1])[0].payload["text"]
    assert len(hubspot.calls_to(PIPELINES)) == 1
    assert hubspot.calls_to(ACCOUNT) == []  # no snapshot read was started for a name that is not there
    await source.aclose()


async def test_a_burst_of_unknown_pipeline_names_costs_one_pipelines_read(
    slack: FakeSlack, hubspot: FakeHubSpot
) -> None:
    source = source_for(hubspot)
    async with BotHarness(slack, source) as bot:
        _, first = await bot.command("growth")
        await slack.wait_for(lambda s: bool(s.responses(first)), timeout=10)
        sent = await asyncio.gather(*(bot.command(f"growth nosuch-{i}") for i in range(8)))
        await slack.wait_for(lambda s: all(s.responses(k) for _, k in sent), timeout=10)
    await source.aclose()
    assert all("No pipeline called" in slack.responses(k)[0].payload["text"] for _, k in sent)
    assert len(hubspot.calls_to(PIPELINES)) <= 1
    assert len(hubspot.calls_to(ACCOUNT)) == 1  # the one snapshot read, none for the typos


async def test_owner_directory_keeps_at_most_max_entries(slack: FakeSlack) -> None:
    for i in range(12):
        slack.users[f"rep{i}@example.com"] = f"U0REP{i:03d}"
    client = AsyncWebClient(token=slack.bot_token, base_url=slack.base_url)
    directory = OwnerDirectory(client, max_entries=5)
    for i in range(12):
        assert await directory.slack_user_id(f"rep{i}@example.com") == f"U0REP{i:03d}"
    calls = len(slack.calls_to("users.lookupByEmail"))
    assert calls == 12
    assert await directory.slack_user_id("rep11@example.com") == "U0REP011"  # kept
    assert len(slack.calls_to("users.lookupByEmail")) == calls
    assert await directory.slack_user_id("rep0@example.com") == "U0REP000"  # evicted: asked again
    assert len(slack.calls_to("users.lookupByEmail")) == calls + 1
