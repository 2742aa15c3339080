"""The line items of the deals won in the window, mirrored through the deal associations.

After every round of seeded mutations on the loopback HubSpot (deals won, un-won, close dates moved
out of the window, into it and into the future, deals created won, archived, restored and merged; line
items added to won deals and to others, edited, archived and moved, some of them without the deal's
modified date moving), the mirror's line items (database rows and in-memory models) equal a fresh live
read of "the line items of the won-in-window deals" exactly, on SQLite and PostgreSQL. Plus: the calls
a delta costs, what a delta cannot see and how it heals, a 403 on line items, restart, and a report
from the mirror equal to the live source's.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import pytest

from bot.mirror import Mirror, MirrorSource
from bot.mirror.line_items import LINE_ITEMS_KIND, PROPERTIES
from bot.storage import Database
from engines import DealTable, analyze_all
from engines.dates import utc_now
from engines.errors import HubSpotBadRequestError
from engines.hubspot import ASSOCIATED_DEAL, HubSpotClient, HubSpotSource, to_record
from engines.hubspot._fetch import fetch_snapshot
from engines.models import LineItem, ObjectRead, ObjectType, PortalSnapshot, Product, ReadState
from tests.support.hubspot import FakeHubSpot
from tests.support.hubspot_mutations import PortalMutator
from tests.unit.bot.mirror.conftest import FAST_RETRY, RELAXED, MirrorFactory
from tests.unit.engines.hubspot.portal import make_portal

SEED = 20261202
ROUNDS = 10
DAYS = 180
WON = {"default": "closedwon", "14620931": "39105884"}
LOST = {"default": "closedlost"}


def with_line_items(portal: PortalSnapshot) -> PortalSnapshot:
    """``portal`` with 0-3 line items on each deal (by id) and two products, one of them new."""
    now = portal.taken_at
    products = (
        Product(id="501", name="New thing", created_at=now - timedelta(days=20)),
        Product(id="502", name="Old thing", created_at=now - timedelta(days=900)),
    )
    items: list[LineItem] = []
    next_id = 80_000
    for deal in portal.deals:
        for n in range(int(deal.id) % 4):
            items.append(
                LineItem(
                    id=str(next_id),
                    deal_id=deal.id,
                    product_id=products[n % 2].id,
                    name=f"Item {next_id}",
                    amount=100.0 * (1 + n),
                    last_modified_at=now - timedelta(days=3),
                )
            )
            next_id += 1
    return portal.model_copy(update={"line_items": tuple(items), "products": products})


@pytest.fixture
def portal() -> PortalSnapshot:
    return with_line_items(make_portal(open_deals=90, closed_recent=30, closed_old=15, renewals=10, owners=4))


def mirror_of(make_mirror: MirrorFactory, db: Database, **options: Any) -> Mirror:
    options.setdefault("line_items_days", DAYS)
    return make_mirror(db, **options)


async def live_line_items(hubspot: FakeHubSpot, now: datetime) -> dict[str, LineItem]:
    """A fresh live read (the HubSpot source's own code path) of the won-in-window deals' line items."""
    async with HubSpotClient(hubspot.token, base_url=hubspot.base_url, limits=RELAXED) as client:
        snapshot = await fetch_snapshot(
            client,
            pipeline=None,
            lookback_days=DAYS,
            report=lambda _: None,
            now=now,
            objects=frozenset({ObjectType.LINE_ITEMS}),
        )
    assert snapshot.object_reads[ObjectType.LINE_ITEMS].state is ReadState.READ
    return {li.id: li for li in snapshot.line_items}


async def assert_line_items_are_fresh_read(
    mirror: Mirror, hubspot: FakeHubSpot, change: PortalMutator
) -> int:
    """Rows, their raw properties and the in-memory models all equal a fresh live read; returns
    how many line items that is."""
    portal = await mirror.portal()
    assert portal is not None
    state = mirror.store.state(portal, LINE_ITEMS_KIND)
    assert state is not None
    assert state.cursor is not None
    expected = await live_line_items(hubspot, state.cursor)
    rows = mirror.store.rows(portal, LINE_ITEMS_KIND, live_only=True)
    stored = {i: to_record(ObjectType.LINE_ITEMS, i, r.properties) for i, r in rows.items()}
    assert sorted(stored.keys() - expected.keys()) == [], "held but not in the window"
    assert sorted(expected.keys() - stored.keys()) == [], "in the window but not held"
    assert stored == expected
    returned = {"createdate", *PROPERTIES}
    for item, row in rows.items():
        truth = change.line_items()[item]
        want = {k: v for k, v in truth.items() if k in returned and v is not None}
        assert row.properties == {**want, ASSOCIATED_DEAL: change.deal_of(item)}
    assert mirror.memory is not None
    held = {li.id: li for by_deal in mirror.memory.line_items.by_deal.values() for li in by_deal.values()}
    assert held == expected
    return len(expected)


def line_item_calls(hubspot: FakeHubSpot, since: int) -> Counter[str]:
    """The line-item calls among ``hubspot.calls[since:]``, by kind."""
    found: Counter[str] = Counter()
    for call in hubspot.calls[since:]:
        if "line_items/search" in call.path:
            found["search"] += 1
        elif "deals/line_items/batch/read" in call.path:
            found["associations"] += 1
        elif "line_items/deals/batch/read" in call.path:
            found["parents"] += 1
        elif "line_items/batch/read" in call.path:
            found["batch"] += 1
    return found


class Rounds:
    """One round's mutations, drawn from ``rng``: the deal moves that change the window and the
    line-item changes inside and outside it."""

    def __init__(self, change: PortalMutator, rng: random.Random) -> None:
        self.change = change
        self.rng = rng
        self.kinds: Counter[str] = Counter()

    def _when(self, days: tuple[int, int]) -> datetime:
        moment = utc_now() + timedelta(days=self.rng.randint(*days), hours=self.rng.randint(-5, 5))
        return moment.replace(microsecond=0)

    def _won(self, in_window: bool = True) -> list[str]:
        now = utc_now()
        found = []
        for deal_id, props in self.change.live().items():
            if props.get("dealstage") != WON.get(props.get("pipeline") or ""):
                continue
            close = props.get("closedate")
            if close is None:
                continue
            when = datetime.fromisoformat(close.replace("Z", "+00:00"))
            if not in_window or now - timedelta(days=DAYS) <= when <= now:
                found.append(deal_id)
        return found

    def _any(self) -> str:
        return self.rng.choice(self.change.ids())

    def _item(self, won: bool) -> str | None:
        deals = set(self._won()) if won else set(self.change.ids()) - set(self._won())
        items = [i for i in self.change.line_items() if self.change.deal_of(i) in deals]
        return self.rng.choice(items) if items else None

    def one(self, kind: str) -> None:
        change, rng = self.change, self.rng
        won = self._won()
        self.kinds[kind] += 1
        if kind == "win":  # a deal moves into a won stage (its close date set as HubSpot does)
            deal_id = self._any()
            pipeline = change.props(deal_id).get("pipeline") or "default"
            change.edit(deal_id, dealstage=WON[pipeline], closedate=change.stamp())
        elif kind == "unwin" and won:
            deal_id = rng.choice(won)
            pipeline = change.props(deal_id).get("pipeline") or "default"
            change.move_stage(deal_id, LOST.get(pipeline, "39105881"))
        elif kind == "close_out" and won:
            change.set_close_date(rng.choice(won), self._when((-400, -DAYS - 2)))
        elif kind == "close_in":
            deals = self._won(in_window=False)
            if deals:
                change.set_close_date(rng.choice(deals), self._when((-DAYS + 2, -1)))
        elif kind == "close_ahead" and won:
            change.set_close_date(rng.choice(won), self._when((3, 40)))
        elif kind == "create_won":
            new = change.create(dealstage="closedwon", closedate=change.stamp(), amount="7000")
            for _ in range(rng.randint(0, 2)):
                change.add_line_item(new, hs_product_id="501", amount="300")
        elif kind == "archive" and won:
            change.archive(rng.choice(won))
        elif kind == "restore" and change.fake.archived:
            change.restore(rng.choice(sorted(change.fake.archived)))
        elif kind == "merge" and won:
            survivor = rng.choice(won)
            merged = rng.choice([d for d in change.ids() if d != survivor])
            change.merge(survivor, merged)
        elif kind == "add" and won:
            change.add_line_item(rng.choice(won), hs_product_id=rng.choice(["501", "502"]), amount="250")
        elif kind == "add_quiet" and won:  # the deal's modified date does not move
            change.add_line_item(rng.choice(won), bump_deal=False, amount="90")
        elif kind == "add_elsewhere":
            change.add_line_item(self._any(), amount="10")
        elif kind == "edit":
            item = self._item(won=True)
            if item is not None:
                change.edit_line_item(item, amount=str(rng.randint(1, 90) * 50), name="Edited")
        elif kind == "edit_elsewhere":
            item = self._item(won=False)
            if item is not None:
                change.edit_line_item(item, amount="1")
        elif kind == "remove":
            item = self._item(won=True)
            if item is not None:
                change.archive_line_item(item)
        elif kind == "move" and won:
            item = self._item(won=rng.random() < 0.5)
            if item is not None:
                change.move_line_item(item, rng.choice([*won, self._any()]))

    KINDS = (
        "win",
        "unwin",
        "close_out",
        "close_in",
        "close_ahead",
        "create_won",
        "archive",
        "restore",
        "merge",
        "add",
        "add_quiet",
        "add_elsewhere",
        "edit",
        "edit_elsewhere",
        "remove",
        "move",
    )


async def test_mutation_rounds_keep_the_line_items_equal_to_a_fresh_read(
    db: Database, hubspot: FakeHubSpot, change: PortalMutator, make_mirror: MirrorFactory
) -> None:
    mirror = mirror_of(make_mirror, db)
    first = await mirror.sync()
    assert first is not None
    assert [r.kind for r in first.results] == ["full", "full"]
    assert await assert_line_items_are_fresh_read(mirror, hubspot, change) > 0
    rounds = Rounds(change, random.Random(SEED))
    done: Counter[str] = Counter()
    for _ in range(ROUNDS):
        for _ in range(rounds.rng.randint(4, 14)):
            rounds.one(rounds.rng.choice(Rounds.KINDS))
        calls = len(hubspot.calls)
        outcome = await mirror.sync()
        assert outcome is not None
        result = outcome.results[-1]
        assert result.kind == "delta"
        done.update(created=result.created, changed=result.changed, deleted=result.deleted)
        done.update(line_item_calls(hubspot, calls))
        await assert_line_items_are_fresh_read(mirror, hubspot, change)
    assert set(rounds.kinds) == set(Rounds.KINDS)  # the seed draws every kind
    # Line items came, changed and went; edited ones not held were asked for their deal.
    assert all(done[k] > 0 for k in ("created", "changed", "deleted", "associations", "parents", "batch"))
    assert done["search"] == ROUNDS
    portal = await mirror.portal()
    assert portal is not None
    state = mirror.store.state(portal, LINE_ITEMS_KIND)
    assert state is not None
    assert state.last_drift == 0


async def test_a_delta_with_nothing_changed_costs_one_line_item_search(
    sqlite_db: Database, hubspot: FakeHubSpot, change: PortalMutator, make_mirror: MirrorFactory
) -> None:
    mirror = mirror_of(make_mirror, sqlite_db, overlap=timedelta(0))
    await mirror.sync()
    calls = len(hubspot.calls)
    outcome = await mirror.sync()
    assert line_item_calls(hubspot, calls) == Counter({"search": 1})
    assert outcome is not None
    assert (outcome.results[-1].kind, outcome.results[-1].calls) == ("delta", 1)
    # A deal won: its associations (one call) and its line items (one batch read), nothing else.
    deal_id = next(
        d for d in change.ids() if int(d) % 4 == 3 and change.props(d).get("dealstage") == "contractsent"
    )
    change.edit(deal_id, dealstage="closedwon", closedate=change.stamp())
    calls = len(hubspot.calls)
    await mirror.sync()
    assert line_item_calls(hubspot, calls) == Counter({"search": 1, "associations": 1, "batch": 1})
    await assert_line_items_are_fresh_read(mirror, hubspot, change)
    # A line item edited on a won deal: the search carries it, no other call.
    item = next(iter(change.line_items(deal_id)))
    change.edit_line_item(item, amount="4321")
    calls = len(hubspot.calls)
    await mirror.sync()
    assert line_item_calls(hubspot, calls) == Counter({"search": 1})
    assert mirror.memory is not None
    assert mirror.memory.line_items.by_deal[deal_id][item].amount == 4321.0


async def test_a_removal_the_deal_does_not_date_heals_at_its_next_edit_or_the_sweep(
    sqlite_db: Database, hubspot: FakeHubSpot, change: PortalMutator, make_mirror: MirrorFactory
) -> None:
    """HubSpot may not date a deal when a line item leaves it (HUBSPOT-2026.md §6, unconfirmed): a
    delta cannot see that; the deal's next edit (its count changed) or the daily sweep does."""
    mirror = mirror_of(make_mirror, sqlite_db)
    await mirror.sync()
    won = [
        d for d in change.ids() if change.props(d).get("dealstage") == "closedwon" and change.line_items(d)
    ]
    first, second = won[0], won[1]
    gone = next(iter(change.line_items(first)))
    change.move_line_item(gone, None, bump_deal=False)
    await mirror.sync()
    assert mirror.memory is not None
    assert gone in mirror.memory.line_items.by_deal[first]  # the known gap: nothing dated it
    change.edit(first, dealname="Renamed")  # any edit: the deal's count is read with it
    await mirror.sync()
    await assert_line_items_are_fresh_read(mirror, hubspot, change)
    other = next(iter(change.line_items(second)))
    change.archive_line_item(other, bump_deal=False)
    outcome = await mirror.sync(full=True)  # the sweep (daily; --full runs it now)
    assert outcome is not None
    assert outcome.results[-1].kind == "sweep"
    assert outcome.results[-1].drift == 1
    await assert_line_items_are_fresh_read(mirror, hubspot, change)


async def test_a_403_on_line_items_is_a_data_gap_and_the_deals_still_sync(
    sqlite_db: Database, portal: PortalSnapshot, make_mirror: MirrorFactory
) -> None:
    scope = "crm.objects.line_items.read"
    async with FakeHubSpot(
        portal, search_per_second=None, app_limit=None, missing_scopes={"line_items": [scope]}
    ) as refusing:
        mirror = Mirror(
            sqlite_db,
            refusing.token,
            base_url=refusing.base_url,
            limits=RELAXED,
            retry=FAST_RETRY,
            line_items_days=DAYS,
        )
        source = MirrorSource(mirror, lookback_days=DAYS)
        live = HubSpotSource(refusing.token, base_url=refusing.base_url, limits=RELAXED, retry=FAST_RETRY)
        ours, theirs = await source.snapshot(), await live.snapshot()
        refused = ObjectRead(state=ReadState.SCOPE_REFUSED, scopes=(scope,))
        assert (
            ours.object_reads[ObjectType.LINE_ITEMS] == theirs.object_reads[ObjectType.LINE_ITEMS] == refused
        )
        assert ours.line_items == theirs.line_items == ()
        assert ours.deals == theirs.deals
        outcome = mirror.last_outcome
        assert outcome is not None
        assert [r.object_type for r in outcome.results] == ["deals", "line_items"]
        calls = len(refusing.calls)
        await mirror.sync()
        assert line_item_calls(refusing, calls) == Counter({"search": 1})  # while refused: one probe
        # Scope granted again: the next sync reads them all (a rebuild), and says so.
        refusing.missing_scopes.clear()
        mirror.expire()
        again = await source.snapshot()
        assert again.object_reads[ObjectType.LINE_ITEMS] == ObjectRead(state=ReadState.READ)
        assert {li.id for li in again.line_items} == {li.id for li in (await live_read(refusing)).line_items}


async def live_read(hubspot: FakeHubSpot) -> PortalSnapshot:
    source = HubSpotSource(
        hubspot.token, base_url=hubspot.base_url, limits=RELAXED, retry=FAST_RETRY, cache_ttl=0
    )
    return await source.snapshot()


async def test_reports_from_the_mirror_equal_the_live_source_with_line_items(
    sqlite_db: Database, make_mirror: MirrorFactory, hubspot: FakeHubSpot, change: PortalMutator
) -> None:
    won = [d for d in change.ids() if change.props(d).get("dealstage") == "closedwon"]
    change.add_line_item(won[0], hs_product_id="501", amount="999")
    change.set_close_date(won[1], utc_now() + timedelta(days=5))  # won, close date ahead: not counted
    mirror_source = MirrorSource(mirror_of(make_mirror, sqlite_db), lookback_days=DAYS)
    live = HubSpotSource(
        hubspot.token,
        base_url=hubspot.base_url,
        limits=RELAXED,
        retry=FAST_RETRY,
        cache_ttl=0,
        lookback_days=DAYS,
    )
    for pipeline in (None, "Renewals", "default"):
        from_mirror = await mirror_source.snapshot(pipeline)
        from_live = await live.snapshot(pipeline)
        assert from_mirror.line_items == from_live.line_items
        assert from_mirror.object_reads == from_live.object_reads
        now = from_live.taken_at
        ours = [r.to_json_dict() for r in analyze_all(from_mirror, now=now)]
        theirs = [r.to_json_dict() for r in analyze_all(from_live, now=now)]
        assert ours == theirs
    assert any(li.deal_id == won[0] for li in from_mirror.line_items)
    assert not any(li.deal_id == won[1] for li in from_mirror.line_items)


async def test_after_a_restart_the_line_items_come_from_the_database(
    db: Database, hubspot: FakeHubSpot, change: PortalMutator, make_mirror: MirrorFactory
) -> None:
    mirror = mirror_of(make_mirror, db)
    await mirror.sync()
    expected = await assert_line_items_are_fresh_read(mirror, hubspot, change)
    restarted = mirror_of(make_mirror, db)
    memory = await restarted.load()
    assert memory is not None
    assert len(memory.line_items) == expected
    calls = len(hubspot.calls)
    await restarted.sync()
    assert line_item_calls(hubspot, calls) == Counter({"search": 1})  # no re-read: its rows are loaded
    await assert_line_items_are_fresh_read(restarted, hubspot, change)
    # A replica that did not sync picks up the rows the other wrote, removals included.
    won = [
        d for d in change.ids() if change.props(d).get("dealstage") == "closedwon" and change.line_items(d)
    ]
    change.archive_line_item(next(iter(change.line_items(won[0]))))
    change.add_line_item(won[1], amount="64")
    await restarted.sync()
    await mirror.load()
    await assert_line_items_are_fresh_read(mirror, hubspot, change)


def test_the_window_is_the_analysis_window() -> None:
    """won_deal_ids: won stage, close date in [since, until] - a close date ahead is not yet won."""
    from engines.hubspot import won_deal_ids

    portal = make_portal(open_deals=1, closed_recent=2, closed_old=1)
    now = portal.taken_at
    ahead = portal.deals[1].model_copy(update={"close_date": now + timedelta(days=1)})
    deals = [*portal.deals[:1], ahead, *portal.deals[2:]]
    assert won_deal_ids(deals, portal.pipelines, now - timedelta(days=30), now) == [portal.deals[2].id]
    later = now + timedelta(days=2)
    assert won_deal_ids(deals, portal.pipelines, now - timedelta(days=30), later) == [
        ahead.id,
        portal.deals[2].id,
    ]
    table = DealTable.from_deals(deals)  # the mirror's columns: the same ids, no model built
    for until in (now, later):
        since = now - timedelta(days=30)
        assert won_deal_ids(table, portal.pipelines, since, until) == won_deal_ids(
            deals, portal.pipelines, since, until
        )


async def test_a_sync_that_fails_in_the_deals_stops_its_line_item_search_and_the_next_one_catches_up(
    sqlite_db: Database, hubspot: FakeHubSpot, change: PortalMutator, make_mirror: MirrorFactory
) -> None:
    """The edit search starts before the deals; a sync failing there leaves no stray request, and
    the next sync reads what the failed one would have."""
    mirror = mirror_of(make_mirror, sqlite_db)
    await mirror.sync()
    deal_id = next(d for d in change.ids() if change.props(d).get("dealstage") == "closedwon")
    change.add_line_item(deal_id, amount="31")
    hubspot.fail("status", status=400, path="/deals/search")
    with pytest.raises(HubSpotBadRequestError):
        await mirror.sync()
    await mirror.sync()
    await assert_line_items_are_fresh_read(mirror, hubspot, change)
