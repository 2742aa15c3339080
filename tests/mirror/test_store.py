"""The mirror's store on both databases: the lease, the change log's retention, reset."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.mirror.store import Change, MirrorStore
from bot.storage import Database
from tests.fakes.hubspot import FakeHubSpot
from tests.fakes.hubspot_mutations import PortalMutator
from tests.mirror.conftest import MirrorFactory

T0 = datetime(2026, 12, 1, 9, tzinfo=UTC)


def test_one_lease_holder_at_a_time_and_a_dead_holder_is_taken_over(db: Database) -> None:
    store = MirrorStore(db)
    assert store.acquire_lease("portal-a", "replica-1", 60, T0)
    assert not store.acquire_lease("portal-a", "replica-2", 60, T0 + timedelta(seconds=30))
    assert store.acquire_lease("portal-a", "replica-1", 60, T0 + timedelta(seconds=30))  # renewal
    assert store.lease_holder("portal-a", T0 + timedelta(seconds=60)) == "replica-1"
    # replica-1 died without releasing: once its lease has expired, replica-2 takes over.
    assert store.acquire_lease("portal-a", "replica-2", 60, T0 + timedelta(seconds=91))
    assert not store.acquire_lease("portal-a", "replica-1", 60, T0 + timedelta(seconds=92))
    store.release_lease("portal-a", "replica-1")  # not the holder: changes nothing
    assert store.lease_holder("portal-a", T0 + timedelta(seconds=92)) == "replica-2"
    store.release_lease("portal-a", "replica-2")
    assert store.lease_holder("portal-a", T0 + timedelta(seconds=92)) is None
    assert store.acquire_lease("portal-b", "replica-1", 60, T0)  # leases are per portal


def test_change_log_entries_older_than_the_retention_are_pruned(db: Database) -> None:
    store = MirrorStore(db)
    old = Change("1", "amount", "1", "2", T0 - timedelta(days=401))
    kept = Change("1", "amount", "2", "3", T0 - timedelta(days=399))
    store.log("42", "deals", [old, kept], T0)
    assert store.prune_changes("42", T0 - timedelta(days=400)) == 1
    assert store.changes("42", "deals") == [kept]


async def test_sync_prunes_the_change_log_and_reset_forgets_the_mirror(
    sqlite_db: Database, make_mirror: MirrorFactory, hubspot: FakeHubSpot, change: PortalMutator
) -> None:
    mirror = make_mirror(sqlite_db, change_log_days=400)
    await mirror.sync()
    portal = await mirror.portal()
    assert portal is not None
    ancient = Change("5000", "amount", "1", "2", datetime.now(UTC) - timedelta(days=500))
    mirror.store.log(portal, "deals", [ancient], datetime.now(UTC))
    change.set_amount(change.ids()[0], "3")
    await mirror.sync()
    assert [c.field for c in mirror.store.changes(portal, "deals")] == ["amount"]
    assert mirror.store.changes(portal, "deals")[0].new == "3"
    mirror.store.reset()
    assert mirror.store.rows(portal, "deals") == {}
    assert mirror.store.states(portal) == {}
    fresh = make_mirror(sqlite_db)
    outcome = await fresh.sync()
    assert outcome is not None
    assert outcome.results[0].kind == "full"  # after a reset the next sync reads everything
