"""THE mirror test: rounds of mutations on the loopback HubSpot, and after every round the mirror
(database rows and in-memory deals) equals a fresh full read exactly, and the change log holds
exactly the changes the round made. On SQLite and on the real PostgreSQL.

Each round draws mutations from a seeded generator: creates, edits of untracked fields, stage moves
(into closed stages too), pipeline moves, amount, close-date and owner changes, edits that change
nothing, archives, restores, merges (also of a survivor that was itself merged or is then archived),
and bulk edits that give many deals one timestamp. Some rounds also land one or two mutations in
the middle of the sync (between its search pages); those deals are read by the next sync, which the
round then runs, because the cursor is the sync's start time.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta

from bot.mirror import Mirror
from bot.storage import Database
from engines.dates import utc_now
from tests.fakes.hubspot import FakeHubSpot
from tests.fakes.hubspot_mutations import PortalMutator
from tests.mirror.checks import (
    Props,
    assert_mirror_is_fresh_read,
    changes_after,
    expected_changes,
    logged,
    truth,
)
from tests.mirror.conftest import MirrorFactory

SEED = 20261201
ROUNDS = 14


class Rounds:
    """Draws one round's mutations from ``rng`` and applies them to the fake portal."""

    def __init__(self, change: PortalMutator, rng: random.Random) -> None:
        self.change = change
        self.rng = rng
        self.touched: set[str] = set()

    def _live(self) -> list[str]:
        return self.change.ids()

    def _pick(self) -> str:
        deal_id = self.rng.choice(self._live())
        self.touched.add(deal_id)
        return deal_id

    def _stage(self, pipeline_id: str | None) -> str:
        for pipeline in self.change.fake.portal.pipelines:
            if pipeline.id == pipeline_id:
                return self.rng.choice(pipeline.stages).id
        return self.rng.choice(self.change.fake.portal.pipelines[0].stages).id

    def _when(self) -> datetime:
        day = datetime(2026, 12, 1, tzinfo=UTC) + timedelta(days=self.rng.randint(-200, 200))
        return day.replace(hour=self.rng.randint(0, 23))

    def one(self, kind: str) -> None:
        change, rng = self.change, self.rng
        if kind == "create":
            new = change.create(
                amount=str(rng.randint(1, 90) * 500), hubspot_owner_id=str(100 + rng.randint(0, 5))
            )
            self.touched.add(new)
        elif kind == "edit":
            change.edit(self._pick(), dealname=f"Renamed {rng.randint(0, 10**6)}")
        elif kind == "noop":
            deal_id = self._pick()
            change.edit(deal_id, amount=change.props(deal_id).get("amount"))
        elif kind == "stage":
            deal_id = self._pick()
            change.move_stage(deal_id, self._stage(change.props(deal_id).get("pipeline")))
        elif kind == "pipeline":
            deal_id = self._pick()
            target = rng.choice(change.fake.portal.pipelines).id
            change.move_stage(deal_id, self._stage(target), target)
        elif kind == "amount":
            change.set_amount(self._pick(), rng.choice([None, str(rng.randint(1, 400) * 125), "1250.5"]))
        elif kind == "close":
            change.set_close_date(self._pick(), rng.choice([None, self._when()]))
        elif kind == "owner":
            change.set_owner(self._pick(), rng.choice([None, *(str(100 + i) for i in range(6))]))
        elif kind == "archive":
            change.archive(self._pick())
        elif kind == "restore" and change.fake.archived:
            deal_id = rng.choice(sorted(change.fake.archived))
            self.touched.add(deal_id)
            change.restore(deal_id)
        elif kind == "merge":
            survivor, merged = rng.sample(self._live(), 2)
            self.touched.update((survivor, merged))
            change.merge(survivor, merged)
        elif kind == "bulk":
            deal_ids = rng.sample(self._live(), rng.randint(20, 260))
            self.touched.update(deal_ids)
            field = rng.choice(["amount", "hubspot_owner_id", "dealtype"])
            value = {"amount": "4200", "hubspot_owner_id": "101", "dealtype": "existingbusiness"}[field]
            change.bulk_edit(deal_ids, **{field: value})

    KINDS = (
        "create",
        "edit",
        "noop",
        "stage",
        "pipeline",
        "amount",
        "close",
        "owner",
        "archive",
        "restore",
        "merge",
        "bulk",
    )

    def mid_sync(self) -> None:
        """One or two mutations of deals this round has not touched, landing inside the sync."""
        untouched = [d for d in self._live() if d not in self.touched]
        for deal_id in self.rng.sample(untouched, self.rng.randint(1, 2)):
            self.touched.add(deal_id)
            kind = self.rng.choice(["amount", "stage", "archive", "owner"])
            after = self.rng.randint(0, 2)
            if kind == "amount":
                self.change.during_search(lambda d=deal_id: self.change.set_amount(d, "77777"), after=after)
            elif kind == "stage":
                self.change.during_search(
                    lambda d=deal_id: self.change.move_stage(d, "closedwon"), after=after
                )
            elif kind == "owner":
                self.change.during_search(lambda d=deal_id: self.change.set_owner(d, "105"), after=after)
            else:
                self.change.during_search(lambda d=deal_id: self.change.archive(d), after=after)


async def _round(
    mirror: Mirror, hubspot: FakeHubSpot, rounds: Rounds, last_live: dict[str, Props], *, mid_sync: bool
) -> None:
    change = rounds.change
    before = truth(change)
    last_live.update(before.live)
    started = utc_now()
    previous = (await mirror.status()).states["deals"].last_sync_at
    assert previous is not None
    rounds.touched.clear()
    for _ in range(rounds.rng.randint(3, 25)):
        rounds.one(rounds.rng.choice(Rounds.KINDS))
    if mid_sync:
        rounds.mid_sync()
    await mirror.sync()
    if mid_sync:
        assert not hubspot.before_search, "the mid-sync mutation did not run"
        await mirror.sync()  # what landed during the last sync is read now (cursor = its start)
    await assert_mirror_is_fresh_read(mirror, hubspot)
    portal = await mirror.portal()
    assert portal is not None
    entries = changes_after(mirror, portal, previous)
    assert logged(entries) == expected_changes(before, truth(change), last_live)
    finished = utc_now()
    assert all(started - timedelta(milliseconds=5) <= e.changed_at <= finished for e in entries)


async def test_mutation_rounds_keep_the_mirror_equal_to_a_fresh_read(
    db: Database, hubspot: FakeHubSpot, change: PortalMutator, make_mirror: MirrorFactory
) -> None:
    mirror = make_mirror(db)
    first = await mirror.sync()
    assert first is not None
    assert first.results[0].kind == "full"
    await assert_mirror_is_fresh_read(mirror, hubspot)
    portal = await mirror.portal()
    assert portal == "4242"
    assert mirror.store.changes(portal, "deals") == []  # a first read is the baseline, not changes
    rounds = Rounds(change, random.Random(SEED))
    last_live: dict[str, Props] = {}
    for number in range(ROUNDS):
        await _round(mirror, hubspot, rounds, last_live, mid_sync=number % 3 == 2)
    kinds: Counter[str] = Counter(c.field for c in mirror.store.changes(portal, "deals"))
    # The seed exercises every kind of change the log knows.
    assert {
        "created",
        "deleted",
        "restored",
        "dealstage",
        "amount",
        "closedate",
        "hubspot_owner_id",
        "pipeline",
    } <= set(kinds)
