"""The sync's correctness where a plain reading of it would drift: a crash between two writes, a
replica between two cursors, an object created while the deletion count runs, a portal key that
changes, pipelines of a type no longer read. And what each read costs, call by call."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy.exc import SQLAlchemyError

from bot.mirror import Mirror
from bot.storage import Database
from engines.hubspot import DEALS, MirroredType
from engines.models import PortalSnapshot, Stage
from engines.sample import generate_portal
from tests.support.hubspot import DEALS as DEALS_PATH
from tests.support.hubspot import SEARCH, FakeHubSpot
from tests.support.hubspot_mutations import PortalMutator
from tests.unit.bot.mirror.checks import assert_mirror_is_fresh_read, changes_after, logged
from tests.unit.bot.mirror.conftest import FAST_RETRY, RELAXED, MirrorFactory
from tests.unit.bot.mirror.faults import StatementLog, refused_writes

TICKETS = MirroredType(
    name="tickets",
    properties=("subject", "hs_pipeline", "hs_pipeline_stage", "createdate", "hs_lastmodifieddate"),
    pipelines="tickets",
)


def _calls(hubspot: FakeHubSpot, since: int) -> list[tuple[str, str]]:
    """(path, what) per call since ``since``: searches by their first filter's operator."""
    out = []
    for call in hubspot.calls[since:]:
        what = ""
        if call.path == SEARCH:
            groups = call.body.get("filterGroups") or [{"filters": []}]
            ops = [f["operator"] for f in groups[0]["filters"] if f["propertyName"] != "hs_object_id"]
            what = ",".join(ops) + f"/{len(groups)}"
        elif call.path == DEALS_PATH:
            what = "archived" if call.query.get("archived") == "true" else "live"
        out.append((call.path, what))
    return out


def _searches(hubspot: FakeHubSpot, since: int) -> list[str]:
    return [what for path, what in _calls(hubspot, since) if path == SEARCH]


def _listings(hubspot: FakeHubSpot, since: int) -> int:
    return sum(1 for path, _ in _calls(hubspot, since) if path == DEALS_PATH)


# ---------------------------------------------------------------------------------------- atomicity


async def test_a_crash_between_the_rows_and_their_change_log_loses_no_change(
    db: Database, make_mirror: MirrorFactory, hubspot: FakeHubSpot, change: PortalMutator
) -> None:
    """The change log's insert fails (the database refuses it, as a crash would end it): the rows of
    that step are not kept either, so the next sync still sees the change and logs it."""
    mirror = make_mirror(db)
    await mirror.sync()
    portal = await mirror.portal()
    assert portal is not None
    synced = mirror.store.state(portal, "deals")
    assert synced is not None
    assert synced.last_sync_at is not None
    deal_id = change.ids()[5]
    old = change.props(deal_id)["amount"]
    change.set_amount(deal_id, "4321")
    with refused_writes(db, "mirror_changes"), pytest.raises(SQLAlchemyError):
        await mirror.sync()
    assert mirror.store.rows(portal, "deals", ids=[deal_id])[deal_id].properties["amount"] == old
    assert mirror.memory is not None
    assert mirror.memory.deals()[deal_id].amount != 4321.0
    await mirror.sync()
    assert logged(changes_after(mirror, portal, synced.last_sync_at)) == {(deal_id, "amount", old, "4321"): 1}
    await assert_mirror_is_fresh_read(mirror, hubspot)


@pytest.fixture
def two_types() -> PortalSnapshot:
    return generate_portal(deals=260, tickets=120, surveys=0, seed=5)


@pytest.fixture
async def two_types_hubspot(two_types: PortalSnapshot) -> AsyncIterator[FakeHubSpot]:
    async with FakeHubSpot(two_types, search_per_second=None, app_limit=None) as fake:
        yield fake


def _mirror(db: Database, fake: FakeHubSpot, *types: MirroredType) -> Mirror:
    return Mirror(
        db,
        fake.token,
        base_url=fake.base_url,
        limits=RELAXED,
        retry=FAST_RETRY,
        overlap=timedelta(seconds=5),
        object_types=types,
    )


async def test_a_sync_that_dies_saving_its_states_advances_no_cursor(
    db: Database, two_types_hubspot: FakeHubSpot
) -> None:
    """The tickets' state cannot be saved: the deals' state, saved in the same transaction, is not
    either, so a replica never sees the deals' cursor advanced and the tickets' not."""
    mirror = _mirror(db, two_types_hubspot, DEALS, TICKETS)
    await mirror.sync()
    portal = await mirror.portal()
    assert portal is not None
    before = mirror.store.states(portal)
    assert set(before) == {"deals", "tickets"}
    PortalMutator(two_types_hubspot).set_amount(PortalMutator(two_types_hubspot).ids()[0], "7")
    with refused_writes(db, "mirror_state", object_type="tickets"), pytest.raises(SQLAlchemyError):
        await mirror.sync()
    after = mirror.store.states(portal)
    assert {t: s.cursor for t, s in after.items()} == {t: s.cursor for t, s in before.items()}
    outcome = await mirror.sync()
    assert outcome is not None
    assert {t: s.cursor for t, s in mirror.store.states(portal).items()} == dict.fromkeys(
        ("deals", "tickets"), outcome.started_at
    )


async def test_pipelines_of_a_type_no_longer_mirrored_leave_the_store(
    sqlite_db: Database, two_types_hubspot: FakeHubSpot
) -> None:
    both = _mirror(sqlite_db, two_types_hubspot, DEALS, TICKETS)
    await both.sync()
    portal = await both.portal()
    assert portal is not None
    assert both.store.rows(portal, "pipelines:tickets")
    deals_only = _mirror(sqlite_db, two_types_hubspot, DEALS)
    await deals_only.sync()
    assert deals_only.store.rows(portal, "pipelines:tickets") == {}
    assert deals_only.store.rows(portal, "pipelines:deals")
    # The tickets' old state no longer holds the watermark back: a reload reads nothing new.
    restarted = _mirror(sqlite_db, two_types_hubspot, DEALS)
    memory = await restarted.load()
    assert memory is not None
    assert memory.watermark == deals_only.store.state(portal, "deals").cursor


# ---------------------------------------------------------------------------------------- deletions


@pytest.mark.parametrize("meanwhile", ["created", "restored"])
async def test_a_deal_appearing_during_the_deletion_count_hides_no_deletion(
    sqlite_db: Database,
    make_mirror: MirrorFactory,
    hubspot: FakeHubSpot,
    change: PortalMutator,
    meanwhile: str,
) -> None:
    """One deal archived before the sync; while the sync counts (after its delta search), another
    is created (or restored). A count of everything in scope would be unchanged (one less, one more)
    and the deletion would wait for the daily sweep; the mirror's count leaves out what changed
    since the delta window opened, on both sides, so it sees the deletion now."""
    gone, restored = change.ids()[20], change.ids()[30]
    mirror = make_mirror(sqlite_db)
    await mirror.sync()
    if meanwhile == "restored":
        change.archive(restored)
        await mirror.sync()
    change.archive(gone)
    appeared: list[str] = []
    if meanwhile == "created":
        change.during_search(lambda: appeared.append(change.create(amount="10")), after=1)
    else:
        change.during_search(lambda: (change.restore(restored), appeared.append(restored)), after=1)
    first = len(hubspot.calls)
    outcome = await mirror.sync()
    assert outcome is not None
    assert appeared
    assert not hubspot.before_search
    assert mirror.memory is not None
    assert gone not in mirror.memory.deals()
    assert appeared[0] in mirror.memory.deals()
    # delta, count (the deal appears), the objects modified since the sync began, count, listing
    assert _searches(hubspot, first) == ["GTE/1", "LT/1", "GTE/1", "LT/1"]
    assert _listings(hubspot, first) == 1
    assert (outcome.results[0].deleted, outcome.results[0].recounted) == (1, True)
    await assert_mirror_is_fresh_read(mirror, hubspot)


async def test_an_edit_landing_during_the_count_costs_a_recount_not_the_archived_listing(
    sqlite_db: Database, make_mirror: MirrorFactory, hubspot: FakeHubSpot, change: PortalMutator
) -> None:
    mirror = make_mirror(sqlite_db)
    await mirror.sync()
    deal_id = change.ids()[40]
    change.during_search(lambda: change.set_amount(deal_id, "55"), after=1)
    first = len(hubspot.calls)
    outcome = await mirror.sync()
    assert outcome is not None
    assert len(hubspot.calls) - first == outcome.calls == 4 + 4
    assert _searches(hubspot, first) == ["GTE/1", "LT/1", "GTE/1", "LT/1"]
    assert _listings(hubspot, first) == 0
    assert mirror.memory is not None
    assert mirror.memory.deals()[deal_id].amount == 55.0
    await assert_mirror_is_fresh_read(mirror, hubspot)


async def test_tombstones_are_one_statement_however_many(
    db: Database, make_mirror: MirrorFactory, hubspot: FakeHubSpot, change: PortalMutator
) -> None:
    mirror = make_mirror(db)
    await mirror.sync()
    for deal_id in change.ids()[100:400]:
        change.archive(deal_id)
    with StatementLog(db) as statements:
        outcome = await mirror.sync()
    assert outcome is not None
    assert outcome.results[0].deleted == 300
    (tombstones,) = statements.starting("UPDATE mirror_objects")
    assert tombstones[1]  # one statement, executed for the 300 ids
    assert "object_id = " in tombstones[0]
    await assert_mirror_is_fresh_read(mirror, hubspot)


# ---------------------------------------------------------------------------------------- portal key


async def test_the_portal_key_stays_when_the_account_details_start_answering(
    db: Database, make_mirror: MirrorFactory, hubspot: FakeHubSpot, change: PortalMutator
) -> None:
    """First synced without the account details (scope missing): kept under a key from the token.
    Once they answer, the mirror keeps its key (and its rows, cursor and change log) instead of
    starting a second mirror under the portal id with a full read."""
    hubspot.missing_scopes["account"] = ["account-info.security.read"]
    mirror = make_mirror(db)
    first = await mirror.sync()
    assert first is not None
    assert first.portal == f"token-{mirror.key}"
    del hubspot.missing_scopes["account"]
    change.set_amount(change.ids()[0], "3")
    again = await mirror.sync()
    assert again is not None
    assert (again.portal, again.results[0].kind) == (first.portal, "delta")
    assert again.portal_read.account.portal_id == 4242
    restarted = make_mirror(db)
    assert await restarted.portal() == first.portal
    later = await restarted.sync()
    assert later is not None
    assert (later.portal, later.results[0].kind) == (first.portal, "delta")
    assert [c.field for c in restarted.store.changes(first.portal, "deals")] == ["amount"]
    await assert_mirror_is_fresh_read(restarted, hubspot)


# ---------------------------------------------------------------------------------------- reads


async def test_a_sweep_is_one_full_read_and_the_listing_only_for_what_vanished(
    db: Database, make_mirror: MirrorFactory, hubspot: FakeHubSpot, change: PortalMutator
) -> None:
    """--full (and the daily sweep) read every deal once, nothing else: no delta first, no
    back-fill. Vanished deals: merged ones are explained by their survivor; an archived one costs
    the archived listing (when, and an archived survivor's merges)."""
    mirror = make_mirror(db)
    await mirror.sync()
    portal = await mirror.portal()
    assert portal is not None
    pages = -(-hubspot.matching_deals({}) // 200)
    first = len(hubspot.calls)
    outcome = await mirror.sync(full=True)
    assert outcome is not None
    assert len(hubspot.calls) - first == outcome.calls == 4 + pages
    assert (outcome.results[0].kind, outcome.results[0].read, outcome.results[0].drift) == ("full", 650, 0)
    synced = outcome.started_at
    a, b, c = change.ids()[50:53]
    change.merge(a, b)
    first = len(hubspot.calls)
    outcome = await mirror.sync(full=True)
    assert outcome is not None
    assert (len(hubspot.calls) - first, _listings(hubspot, first)) == (4 + pages, 0)
    change.archive(c)
    change.add_stage("default", Stage(id="legal", label="Legal", display_order=1, probability=0.7))
    first = len(hubspot.calls)
    outcome = await mirror.sync(full=True)
    assert outcome is not None
    assert (len(hubspot.calls) - first, _listings(hubspot, first)) == (4 + pages + 1, 1)
    assert outcome.results[0].drift == 0  # deletions since the last sync: a delta's work, not drift
    assert logged(changes_after(mirror, portal, synced)) == {
        (b, "deleted", None, a): 1,
        (c, "deleted", None, None): 1,
    }
    await assert_mirror_is_fresh_read(mirror, hubspot)


async def test_new_stages_are_back_filled_by_one_search_per_five(
    sqlite_db: Database, make_mirror: MirrorFactory, hubspot: FakeHubSpot, change: PortalMutator
) -> None:
    """Seven new stages: HubSpot takes 5 filter groups a search (18 filters in all, the keyset's two
    id filters included in each group), so 2 searches, not 7."""
    mirror = make_mirror(sqlite_db)
    await mirror.sync()
    new = [f"review{i}" for i in range(7)]
    for i, stage_id in enumerate(new):
        change.add_stage("default", Stage(id=stage_id, label=f"Review {i}", display_order=1 + i))
    holders = change.ids()[60:67]
    for deal_id, stage_id in zip(holders, new, strict=True):
        change.props(deal_id)[f"hs_v2_date_entered_{stage_id}"] = "2026-11-20T10:00:00Z"  # back-filled
    hubspot.changed()
    first = len(hubspot.calls)
    outcome = await mirror.sync()
    assert outcome is not None
    # The delta's search goes out with the pipelines read (the last sync's stage list), then the
    # back-fill, then the deletion count.
    assert _searches(hubspot, first) == ["GTE/1", "HAS_PROPERTY/5", "HAS_PROPERTY/2", "LT/1"]
    assert outcome.results[0].changed == 7
    await assert_mirror_is_fresh_read(mirror, hubspot)


async def test_a_delta_searched_before_the_pipelines_changed_is_mended_not_read_twice(
    sqlite_db: Database, make_mirror: MirrorFactory, hubspot: FakeHubSpot, change: PortalMutator
) -> None:
    """The delta's search starts alongside the pipelines read, with the last sync's stage list. A
    stage added since: deals both in the delta and the back-fill are taken as the back-fill read
    them (with the new stage's date); a stage removed: its entry date leaves the deals the delta
    read. No search is repeated, and the mirror and change log are as a sequential read makes them."""
    mirror = make_mirror(sqlite_db)
    await mirror.sync()
    portal = await mirror.portal()
    assert portal is not None
    mover, edited, holder, passer = change.ids()[70:74]
    assert change.props(mover)["dealstage"] != "legal"  # so the move is a change
    change.add_stage("default", Stage(id="legal", label="Legal", display_order=1, probability=0.7))
    change.move_stage(mover, "legal")  # in the delta and the back-fill
    change.set_amount(edited, "777")  # in the delta only
    change.props(holder)["hs_v2_date_entered_legal"] = "2026-11-20T10:00:00Z"  # the back-fill only
    hubspot.changed()
    first = len(hubspot.calls)
    synced = (await mirror.status()).states["deals"].last_sync_at
    assert synced is not None
    outcome = await mirror.sync()
    assert outcome is not None
    assert _searches(hubspot, first) == ["GTE/1", "HAS_PROPERTY/1", "LT/1"]
    assert len(hubspot.calls) - first == outcome.calls == 4 + 3
    assert outcome.results[0].changed == 3
    assert mirror.store.rows(portal, "deals", ids=[mover])[mover].properties["dealstage"] == "legal"
    await assert_mirror_is_fresh_read(mirror, hubspot)
    moves = {(c.object_id, c.field, c.new) for c in changes_after(mirror, portal, synced)}
    assert (mover, "dealstage", "legal") in moves
    assert (edited, "amount", "777") in moves
    assert not any(c.object_id == holder for c in changes_after(mirror, portal, synced))

    # The stage goes again: only ``passer`` ever entered it, and it moves on as the stage is removed.
    change.add_stage("default", Stage(id="hold", label="Hold", display_order=2))
    change.move_stage(passer, "hold")
    await mirror.sync()
    assert "hs_v2_date_entered_hold" in mirror.store.rows(portal, "deals", ids=[passer])[passer].properties
    change.move_stage(passer, "legal")
    change.remove_stage("default", "hold")
    first = len(hubspot.calls)
    outcome = await mirror.sync()
    assert outcome is not None
    assert _searches(hubspot, first) == ["GTE/1", "LT/1"]
    props = mirror.store.rows(portal, "deals", ids=[passer])[passer].properties
    assert "hs_v2_date_entered_hold" not in props
    assert props["dealstage"] == "legal"
    await assert_mirror_is_fresh_read(mirror, hubspot)
