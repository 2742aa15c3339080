"""Deals as columns: what goes in comes back equal, and a table never changes under its reader."""

from __future__ import annotations

from datetime import UTC, datetime

from engines import Deal, DealTable, deals_by_id
from engines.sample import generate_portal

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


def test_every_deal_comes_back_equal_from_the_columns() -> None:
    portal = generate_portal(deals=400, seed=3, now=NOW, objects=False)
    bare = Deal(id="9", name="Ünïcödé \ud800 deal", amount=None, archived=True)  # lone surrogate too
    deals = [*portal.deals, bare]
    table = DealTable.from_deals(deals)
    assert list(table) == deals
    assert table == tuple(deals)
    assert table[-1] == bare
    assert list(table[10:20]) == deals[10:20]
    assert table.get(deals[7].id) == deals[7]
    assert table.get("no such id") is None
    assert table.pick([deals[3].id, deals[1].id]) == [deals[1], deals[3]]
    by_id = deals_by_id(table)
    assert deals[5].id in by_id
    assert by_id[deals[5].id] == deals[5]
    assert len(by_id) == len(deals)
