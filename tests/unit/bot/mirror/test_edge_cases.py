"""Hand-written cases around the mirror's sync: each names the HubSpot behaviour it pins."""

from __future__ import annotations

from datetime import timedelta

from bot.mirror import Mirror
from bot.storage import Database
from engines.models import Stage
from tests.support.hubspot import DEALS, SEARCH, V3_PATHS, FakeHubSpot
from tests.support.hubspot_mutations import PortalMutator
from tests.unit.bot.mirror.checks import assert_mirror_is_fresh_read, changes_after, logged
from tests.unit.bot.mirror.conftest import FAST_RETRY, RELAXED, MirrorFactory
from tests.unit.engines.hubspot.portal import make_portal


def _searches(hubspot: FakeHubSpot, since: int) -> list[dict[str, object]]:
    return [c.body for c in hubspot.calls[since:] if c.path == SEARCH]


async def test_bulk_edit_past_the_search_cap_with_one_timestamp_neither_loops_nor_skips(
    sqlite_db: Database, make_mirror: MirrorFactory, hubspot: FakeHubSpot, change: PortalMutator
) -> None:
    """HubSpot's bulk jobs stamp thousands of deals with one hs_lastmodifieddate (Airbyte #43317).
    With the cap lowered to 300 results a query, 580 equal-stamped deals are read whole: keyset
    pages by id, one call per 200, no 400 from the cap, no page read twice."""
    hubspot.search_cap = 300
    mirror = make_mirror(sqlite_db)
    await mirror.sync()
    synced = (await mirror.status()).states["deals"].last_sync_at
    assert synced is not None
    ids = change.ids()[:580]
    change.bulk_edit(ids, amount="31337")
    first = len(hubspot.calls)
    outcome = await mirror.sync()
    assert outcome is not None
    assert outcome.results[0].read == 580
    assert all(c.status == 200 for c in hubspot.calls[first:])
    delta = [b for b in _searches(hubspot, first) if b["limit"] == 200]
    assert len(delta) == 3  # 580 deals: 200 + 200 + 180, not one page more
    await assert_mirror_is_fresh_read(mirror, hubspot)
    portal = await mirror.portal()
    assert portal is not None
    entries = changes_after(mirror, portal, synced)
    assert {(c.object_id, c.field, c.new) for c in entries} == {(i, "amount", "31337") for i in ids}


async def test_edits_landing_between_the_pages_of_a_cold_read_skip_nothing(
    sqlite_db: Database, make_mirror: MirrorFactory, hubspot: FakeHubSpot, change: PortalMutator
) -> None:
    """Between the pages of the first read, a deal already read is archived and another is edited:
    an offset-paged read would now skip a deal; keyset paging skips none. The next delta (cursor =
    the first sync's start) picks up the edit and the deletion."""
    early, late = change.ids()[3], change.ids()[-5]
    change.during_search(lambda: change.archive(early), after=1)
    change.during_search(lambda: change.set_amount(late, "999"), after=2)
    created: list[str] = []
    change.during_search(lambda: created.append(change.create(amount="5")), after=2)
    everything_but = set(change.ids())
    mirror = make_mirror(sqlite_db)
    await mirror.sync()
    assert not hubspot.before_search
    assert mirror.memory is not None
    held = set(mirror.memory.deals())
    assert everything_but - {early} <= held  # nothing skipped
    await mirror.sync()
    await assert_mirror_is_fresh_read(mirror, hubspot)
    assert early not in mirror.memory.deals()
    assert created[0] in mirror.memory.deals()


async def test_merges_chain_and_an_archived_survivor_take_what_it_absorbed(
    db: Database, make_mirror: MirrorFactory, hubspot: FakeHubSpot, change: PortalMutator
) -> None:
    a, b, c, d, e = change.ids()[10:15]
    mirror = make_mirror(db)
    await mirror.sync()
    synced = (await mirror.status()).states["deals"].last_sync_at
    assert synced is not None
    change.merge(b, a)  # b absorbs a
    change.merge(c, b)  # c absorbs b (and so a)
    change.merge(e, d)  # e absorbs d, then e is deleted: only the archived listing still names d
    change.archive(e)
    await mirror.sync()
    await assert_mirror_is_fresh_read(mirror, hubspot)
    portal = await mirror.portal()
    assert portal is not None
    entries = logged(changes_after(mirror, portal, synced))
    assert entries == {
        (a, "deleted", None, c): 1,
        (b, "deleted", None, c): 1,
        (d, "deleted", None, e): 1,
        (e, "deleted", None, None): 1,
    }


async def test_archived_listing_is_read_only_when_the_count_says_something_left(
    sqlite_db: Database, make_mirror: MirrorFactory, hubspot: FakeHubSpot, change: PortalMutator
) -> None:
    mirror = make_mirror(sqlite_db)
    await mirror.sync()
    change.set_amount(change.ids()[0], "1")
    change.create(amount="2")
    first = len(hubspot.calls)
    await mirror.sync()
    assert [c for c in hubspot.calls[first:] if c.path == DEALS] == []
    # A delta with nothing changed: account, 2 owner pages, pipelines, 1 delta search, 1 count.
    first = len(hubspot.calls)
    outcome = await mirror.sync()
    assert outcome is not None
    assert len(hubspot.calls) - first == outcome.calls == 6
    assert len(_searches(hubspot, first)) == 2
    change.archive(change.ids()[1])
    first = len(hubspot.calls)
    await mirror.sync()
    listing = [c for c in hubspot.calls[first:] if c.path == DEALS]
    assert len(listing) == 1
    assert listing[0].query["archived"] == "true"
    await assert_mirror_is_fresh_read(mirror, hubspot)


async def test_a_restored_deal_returns_through_the_delta(
    sqlite_db: Database, make_mirror: MirrorFactory, hubspot: FakeHubSpot, change: PortalMutator
) -> None:
    mirror = make_mirror(sqlite_db)
    await mirror.sync()
    victim = change.ids()[7]
    change.archive(victim)
    await mirror.sync()
    assert mirror.memory is not None
    assert victim not in mirror.memory.deals()
    synced = (await mirror.status()).states["deals"].last_sync_at
    assert synced is not None
    change.restore(victim)
    await mirror.sync()
    assert victim in mirror.memory.deals()
    portal = await mirror.portal()
    assert portal is not None
    assert logged(changes_after(mirror, portal, synced)) == {(victim, "restored", None, None): 1}


async def test_a_new_stage_has_its_entry_date_back_filled(
    sqlite_db: Database, make_mirror: MirrorFactory, hubspot: FakeHubSpot, change: PortalMutator
) -> None:
    """HubSpot back-fills calculated stage properties without touching hs_lastmodifieddate; the
    mirror asks for the new stage's hs_v2_date_entered_ property and reads who has it."""
    mirror = make_mirror(sqlite_db)
    await mirror.sync()
    change.add_stage(
        "default", Stage(id="legalreview", label="Legal Review", display_order=1, probability=0.8)
    )
    deal_id = change.ids()[2]
    props = change.props(deal_id)
    props["hs_v2_date_entered_legalreview"] = "2026-11-20T10:00:00Z"  # back-filled: no new modified date
    hubspot.changed()
    await mirror.sync()
    await assert_mirror_is_fresh_read(mirror, hubspot)
    assert mirror.memory is not None
    assert "legalreview" in mirror.memory.deals()[deal_id].stage_entered_at


async def test_the_daily_sweep_finds_and_logs_what_no_delta_could_see(
    sqlite_db: Database, make_mirror: MirrorFactory, hubspot: FakeHubSpot, change: PortalMutator
) -> None:
    """A change that does not move hs_lastmodifieddate is invisible to deltas; the sweep fixes it."""
    mirror = make_mirror(sqlite_db, sweep_every=timedelta(days=1))
    await mirror.sync()
    deal_id = change.ids()[4]
    change.props(deal_id)["hubspot_owner_id"] = "777"  # e.g. an owner reassigned by an integration
    hubspot.changed()
    outcome = await mirror.sync()
    assert outcome is not None
    assert outcome.results[0].kind == "delta"
    full = await mirror.sync(full=True)
    assert full is not None
    assert (full.results[0].kind, full.results[0].drift) == ("full", 1)
    status = await mirror.status()
    assert status.states["deals"].last_drift == 1
    await assert_mirror_is_fresh_read(mirror, hubspot)


async def test_a_restart_on_the_same_database_needs_no_full_read(
    db: Database, make_mirror: MirrorFactory, hubspot: FakeHubSpot, change: PortalMutator
) -> None:
    first_mirror = make_mirror(db)
    await first_mirror.sync()
    change.set_amount(change.ids()[0], "12")
    restarted = make_mirror(db)  # a new process: nothing in memory
    first = len(hubspot.calls)
    outcome = await restarted.sync()
    assert outcome is not None
    assert outcome.results[0].kind == "delta"
    assert outcome.results[0].read >= 1
    searches = _searches(hubspot, first)
    assert all(
        any(f["propertyName"] == "hs_lastmodifieddate" for g in b["filterGroups"] for f in g["filters"])
        for b in searches
        if b["limit"] == 200
    )
    await assert_mirror_is_fresh_read(restarted, hubspot)


async def test_the_v3_paths_still_work(
    sqlite_db: Database, make_mirror: MirrorFactory, hubspot: FakeHubSpot
) -> None:
    mirror = make_mirror(sqlite_db, api_version="v3")
    await mirror.sync()
    assert {c.path for c in hubspot.calls} <= set(V3_PATHS.values())
    await assert_mirror_is_fresh_read(mirror, hubspot)


async def test_a_large_cold_read_splits_into_streams_and_stays_at_the_minimum_calls(
    sqlite_db: Database,
) -> None:
    """3,345 deals with HubSpot's cap lowered to 1,000 a query (the 10,000 cap at a tenth of the
    size): read from both ends of the id range and split for the slow answers, never an offset, so
    no query meets the cap; HubSpot sees the minimum pages plus at most a short page per split."""
    portal = make_portal(open_deals=3_000, closed_recent=300, closed_old=45, owners=3)
    async with FakeHubSpot(
        portal, search_per_second=None, app_limit=None, latency=0.01, search_cap=1_000
    ) as fake:
        mirror = Mirror(sqlite_db, fake.token, base_url=fake.base_url, limits=RELAXED, retry=FAST_RETRY)
        outcome = await mirror.sync()
        assert outcome is not None
        searches = [c for c in fake.calls if c.path == SEARCH]
        assert outcome.results[0].read == 3_345
        assert all(c.status == 200 and "after" not in c.body for c in searches)
        assert 17 <= len(searches) <= 17 + 2
        await assert_mirror_is_fresh_read(mirror, fake)


async def test_the_overlap_catches_an_edit_the_search_index_showed_late(
    sqlite_db: Database, make_mirror: MirrorFactory, hubspot: FakeHubSpot, change: PortalMutator
) -> None:
    """HubSpot's search shows an edit a moment after it is stamped. A sync that starts in that
    moment does not see it, and its cursor (its start) is already past the edit's stamp: only the
    overlap (cursor minus a margin) reads it next time. Without one, the edit would wait for the sweep."""
    deal_id = change.ids()[9]
    for overlap, caught in ((timedelta(seconds=5), True), (timedelta(0), False)):
        mirror = make_mirror(sqlite_db, overlap=overlap)
        await mirror.sync()
        amount = "1111" if caught else "2222"
        index = change.edit_indexed_late(deal_id, amount=amount)
        await mirror.sync()  # within the lag: not in the index yet
        assert mirror.memory is not None
        assert mirror.memory.deals()[deal_id].amount != float(amount)
        index()  # the search index shows it now, stamped before the last sync's start
        await mirror.sync()
        assert (mirror.memory.deals()[deal_id].amount == float(amount)) is caught
