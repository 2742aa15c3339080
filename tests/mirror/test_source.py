"""MirrorSource: answers from memory, fresh within SYNC_FRESH_SECONDS, with the live read's numbers."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest

from bot.mirror import MirrorSource
from bot.storage import Database
from engines import analyze_all
from engines.dates import utc_now
from engines.errors import UnknownPipelineError
from engines.hubspot import HubSpotSource
from engines.source import Progress, SnapshotSource
from tests.fakes.hubspot import SEARCH, FakeHubSpot
from tests.fakes.hubspot_mutations import PortalMutator
from tests.mirror.conftest import FAST_RETRY, RELAXED, MirrorFactory


class Clock:
    def __init__(self) -> None:
        self.now = utc_now()

    def __call__(self) -> datetime:
        return self.now


async def test_reports_from_the_mirror_equal_reports_from_a_live_read(
    sqlite_db: Database, make_mirror: MirrorFactory, hubspot: FakeHubSpot, change: PortalMutator
) -> None:
    change.move_stage(change.ids()[0], "closedwon")
    change.set_amount(change.ids()[1], "123456")
    mirror_source = MirrorSource(make_mirror(sqlite_db), lookback_days=180)
    assert isinstance(mirror_source, SnapshotSource)
    live = HubSpotSource(
        hubspot.token, base_url=hubspot.base_url, limits=RELAXED, retry=FAST_RETRY, cache_ttl=0
    )
    now = utc_now()
    for pipeline in (None, "Renewals", "default"):
        from_mirror = await mirror_source.snapshot(pipeline)
        from_live = await live.snapshot(pipeline)
        assert from_mirror.deals == from_live.deals
        assert (from_mirror.pipelines, from_mirror.owners, from_mirror.portal) == (
            from_live.pipelines,
            from_live.owners,
            from_live.portal,
        )
        ours = [r.to_json_dict() for r in analyze_all(from_mirror, now=now)]
        theirs = [r.to_json_dict() for r in analyze_all(from_live, now=now)]
        assert ours == theirs
    with pytest.raises(UnknownPipelineError):
        await mirror_source.snapshot("No such pipeline")


async def test_fresh_answers_cost_no_call_and_stale_ones_share_one_delta(
    sqlite_db: Database, make_mirror: MirrorFactory, hubspot: FakeHubSpot, change: PortalMutator
) -> None:
    clock = Clock()
    mirror = make_mirror(sqlite_db, fresh_seconds=60, clock=clock)
    source = MirrorSource(mirror, clock=clock)
    seen: list[Progress] = []
    first = await source.snapshot(progress=seen.append)
    assert seen[-1].phase == "done"
    calls = len(hubspot.calls)
    clock.now += timedelta(seconds=59)
    again = await source.snapshot()
    assert len(hubspot.calls) == calls  # within the freshness window: memory only
    assert again.deals == first.deals
    change.set_amount(change.ids()[3], "5")
    clock.now += timedelta(seconds=2)
    answers = await asyncio.gather(*(source.snapshot() for _ in range(20)))
    searches = [c for c in hubspot.calls[calls:] if c.path == SEARCH]
    assert len(searches) == 2  # one delta (and its count check) for twenty askers
    assert all(a.deals == answers[0].deals for a in answers)
    assert next(d for d in answers[0].deals if d.id == change.ids()[3]).amount == 5.0


async def test_after_a_restart_the_first_answer_comes_from_the_database_and_one_delta(
    sqlite_db: Database, make_mirror: MirrorFactory, hubspot: FakeHubSpot, change: PortalMutator
) -> None:
    clock = Clock()
    before = await MirrorSource(make_mirror(sqlite_db, clock=clock), clock=clock).snapshot()
    change.set_owner(change.ids()[0], "103")
    calls = len(hubspot.calls)
    clock.now += timedelta(minutes=5)  # the restart comes later than the freshness window
    restarted = MirrorSource(make_mirror(sqlite_db, clock=clock), clock=clock)
    after = await restarted.snapshot()
    searches = [c.body for c in hubspot.calls[calls:] if c.path == SEARCH]
    assert len(searches) == 2  # the delta and the count: no full read
    assert len(after.deals) == len(before.deals)
    assert next(d for d in after.deals if d.id == change.ids()[0]).owner_id == "103"


async def test_the_other_object_types_are_read_once_per_ttl_and_again_after_refresh(
    sqlite_db: Database, make_mirror: MirrorFactory, hubspot: FakeHubSpot, change: PortalMutator
) -> None:
    """Contacts, tickets and the rest are not mirrored: one read serves every answer for the TTL
    (as the live source caches them), warm() reads them ahead, invalidate() (Refresh) reads again."""
    tickets = "/crm/pipelines/2026-03/tickets"
    mirror = make_mirror(sqlite_db, fresh_seconds=0)  # every answer syncs the deals first
    source = MirrorSource(mirror, others_ttl=300)
    await source.snapshot()
    await source.snapshot()
    assert len(hubspot.calls_to(tickets)) == 1
    source.invalidate()
    await source.warm()
    await source.snapshot()
    assert len(hubspot.calls_to(tickets)) == 2
    short = MirrorSource(mirror, others_ttl=0.2)
    await short.snapshot()
    await asyncio.sleep(0.25)
    await short.snapshot()
    assert len(hubspot.calls_to(tickets)) == 4
