"""THE mirror test: rounds of mutations on the loopback HubSpot, and after every round the mirror
(database rows and in-memory deals) equals a fresh full read exactly, and the change log holds
exactly the changes the round made. On SQLite and on the real PostgreSQL.

Each round draws mutations from a seeded generator: creates, edits of untracked fields, stage moves
(into closed stages too), pipeline moves, amount, close-date and owner changes, edits that change
nothing, archives, restores, merges (also of a survivor that was itself merged or is then archived),
and bulk edits that give many deals one timestamp. Some rounds also land one or two mutations in
the middle of the sync (between its search pages); those deals are read by the next sync, which the
round then runs, because the cursor is the sync's start time. Two rounds add a pipeline stage (deals
move into it; one gets its entry date back-filled, as HubSpot does, without a new modified date).
Every round after the first read must be a delta, never a full read; the last is a sweep that finds
nothing to fix. The rounds run for all deals, and (SQLite) for a scoped type - the deals of one
pipeline - where pipeline moves take deals out of the mirror and back.

The reference read asks for the documented properties (checks.py), not the mirror's own list.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.mirror import Mirror
from bot.storage import Database
from engines.dates import utc_now
from engines.hubspot import DEALS, MirroredType
from engines.models import Stage
from tests.support.hubspot import SEARCH, FakeHubSpot
from tests.support.hubspot_mutations import PortalMutator
from tests.unit.bot.mirror.checks import (
    InScope,
    Props,
    assert_mirror_is_fresh_read,
    changes_after,
    everything,
    expected_changes,
    logged,
    truth,
)
from tests.unit.bot.mirror.conftest import MirrorFactory

SEED = 20261201
ROUNDS = 14
STAGE_ROUNDS = (3, 8)
SALES = [{"propertyName": "pipeline", "operator": "EQ", "value": "default"}]
SALES_DEALS = MirroredType(
    name="deals", properties=DEALS.properties, scope=tuple(SALES), pipelines="deals", tracked=DEALS.tracked
)


def in_sales(props: Mapping[str, str | None]) -> bool:
    return props.get("pipeline") == "default"


class Rounds:
    """Draws one round's mutations from ``rng`` and applies them to the fake portal."""

    def __init__(self, change: PortalMutator, rng: random.Random) -> None:
        self.change = change
        self.rng = rng
        self.touched: set[str] = set()
        self.added: list[str] = []

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

    def add_stage(self) -> None:
        """A new stage in a pipeline: a few deals move into it, and one deal gets the new stage's
        entry date back-filled without a new modified date (only the back-fill search finds it)."""
        change, rng = self.change, self.rng
        pipeline = rng.choice(change.fake.portal.pipelines)
        stage_id = f"added{len(self.added)}"
        self.added.append(stage_id)
        stage = Stage(id=stage_id, label=f"Added {stage_id}", display_order=len(pipeline.stages))
        change.add_stage(pipeline.id, stage)
        for _ in range(3):
            change.move_stage(self._pick(), stage_id, pipeline.id)
        back_filled = self._pick()
        change.props(back_filled)[f"hs_v2_date_entered_{stage_id}"] = "2026-11-20T10:00:00Z"
        change.fake.changed()

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
    mirror: Mirror,
    hubspot: FakeHubSpot,
    rounds: Rounds,
    last_live: dict[str, Props],
    *,
    number: int,
    in_scope: InScope,
    scope: list[dict[str, Any]],
) -> None:
    change = rounds.change
    before = truth(change, in_scope)
    last_live.update(before.live)
    started = utc_now()
    previous = (await mirror.status()).states["deals"].last_sync_at
    assert previous is not None
    rounds.touched.clear()
    if number in STAGE_ROUNDS:
        rounds.add_stage()
    for _ in range(rounds.rng.randint(3, 25)):
        rounds.one(rounds.rng.choice(Rounds.KINDS))
    mid_sync = number % 3 == 2
    if mid_sync:
        rounds.mid_sync()
    first_call = len(hubspot.calls)
    outcomes = [await mirror.sync()]
    if mid_sync:
        assert not hubspot.before_search, "the mid-sync mutation did not run"
        outcomes.append(await mirror.sync())  # what landed during the last sync is read now
    for outcome in outcomes:  # deltas, never a full read
        assert outcome is not None
        assert outcome.results[0].kind == "delta"
        # account, 2 owner pages, pipelines; the pages read; the count, and at most: the recount
        # (catch-up search, count), the scope leavers, the archived listing, the back-fill.
        assert outcome.calls <= 4 + math.ceil(outcome.results[0].read / 200) + 1 + 2 + 1 + 1 + 1
    for call in hubspot.calls[first_call:]:  # no search of the whole scope: each has a window
        if call.path == SEARCH:
            filters = [f for g in call.body["filterGroups"] for f in g["filters"]]
            assert any(f["propertyName"] not in ("hs_object_id", "pipeline") for f in filters), call.body
    await assert_mirror_is_fresh_read(mirror, hubspot, scope)
    portal = await mirror.portal()
    assert portal is not None
    entries = changes_after(mirror, portal, previous)
    assert logged(entries) == expected_changes(before, truth(change, in_scope), last_live)
    finished = utc_now()
    assert all(started - timedelta(milliseconds=5) <= e.changed_at <= finished for e in entries)


async def test_mutation_rounds_keep_the_mirror_equal_to_a_fresh_read(
    db: Database, hubspot: FakeHubSpot, change: PortalMutator, make_mirror: MirrorFactory
) -> None:
    await _rounds(db, hubspot, change, make_mirror, scoped=False)


async def test_mutation_rounds_of_a_type_scoped_to_one_pipeline(
    sqlite_db: Database, hubspot: FakeHubSpot, change: PortalMutator, make_mirror: MirrorFactory
) -> None:
    """Pipeline moves take deals out of the mirror and back: found by the complement search."""
    await _rounds(sqlite_db, hubspot, change, make_mirror, scoped=True)


async def _rounds(
    db: Database, hubspot: FakeHubSpot, change: PortalMutator, make_mirror: MirrorFactory, *, scoped: bool
) -> None:
    scope = SALES if scoped else []
    in_scope = in_sales if scoped else everything
    mirror = make_mirror(db, object_types=(SALES_DEALS if scoped else DEALS,))
    first = await mirror.sync()
    assert first is not None
    assert first.results[0].kind == "full"
    await assert_mirror_is_fresh_read(mirror, hubspot, scope)
    portal = await mirror.portal()
    assert portal == "4242"
    assert mirror.store.changes(portal, "deals") == []  # a first read is the baseline, not changes
    rounds = Rounds(change, random.Random(SEED))
    last_live: dict[str, Props] = {}
    for number in range(ROUNDS):
        await _round(mirror, hubspot, rounds, last_live, number=number, in_scope=in_scope, scope=scope)
    kinds: Counter[str] = Counter(c.field for c in mirror.store.changes(portal, "deals"))
    # The seed exercises every kind of change the log knows (a deal moved to another pipeline
    # leaves the one-pipeline mirror: "deleted", then "restored" when it comes back).
    assert {
        "created",
        "deleted",
        "restored",
        "dealstage",
        "amount",
        "closedate",
        "hubspot_owner_id",
        *([] if scoped else ["pipeline"]),
    } <= set(kinds)
    # The sweep afterwards: one full read, nothing to fix, nothing logged.
    first_call = len(hubspot.calls)
    sweep = await mirror.sync(full=True)
    assert sweep is not None
    result = sweep.results[0]
    assert (result.kind, result.drift, result.changed, result.created, result.deleted) == ("full", 0, 0, 0, 0)
    pages = math.ceil(hubspot.matching_deals({"filterGroups": [{"filters": scope}]}) / 200)
    assert len(hubspot.calls) - first_call == 4 + pages
    assert changes_after(mirror, portal, sweep.started_at - timedelta(microseconds=1)) == []
    await assert_mirror_is_fresh_read(mirror, hubspot, scope)
