"""find_deals: id first, then exact names, then partial names, largest first; archived never."""

from __future__ import annotations

from engines.deal_lookup import find_deals, matches_exactly, normalize_query
from engines.models import Deal, PortalSnapshot
from tests.support.clock import NOW


def _snapshot(*deals: Deal) -> PortalSnapshot:
    return PortalSnapshot(taken_at=NOW, deals=deals)


SNAP = _snapshot(
    Deal(id="101", name="Acme renewal", amount=5_000),
    Deal(id="102", name="ACME", amount=1_000),
    Deal(id="103", name="Acme expansion", amount=90_000),
    Deal(id="104", name="acme", amount=3_000),
    Deal(id="105", name="Old Acme", amount=1e9, archived=True),
    Deal(id="106", name="Big Acme  deal", amount=None),
    Deal(id="107", name=None, amount=10),
    Deal(id="108", name="Deal 101", amount=7),
    Deal(id="109", name="Globex", amount=5_000),
)


def _ids(deals: list[Deal]) -> list[str]:
    return [d.id for d in deals]


def test_id_wins_over_names() -> None:
    assert _ids(find_deals(SNAP, "101")) == ["101"]
    assert _ids(find_deals(SNAP, " 108 ")) == ["108"]


def test_exact_names_first_then_partial_each_by_amount() -> None:
    assert _ids(find_deals(SNAP, "acme")) == ["104", "102", "103", "101", "106"]


def test_ties_keep_snapshot_order() -> None:
    snap = _snapshot(Deal(id="a", name="Tie one", amount=5), Deal(id="b", name="Tie two", amount=5))
    assert _ids(find_deals(snap, "tie")) == ["a", "b"]


def test_archived_deals_are_never_found() -> None:
    assert "105" not in _ids(find_deals(SNAP, "old acme"))
    assert find_deals(SNAP, "105") == []


def test_whitespace_case_and_smart_quotes_are_forgiven() -> None:
    assert _ids(find_deals(SNAP, "“big acme deal”")) == ["106"]
    assert _ids(find_deals(SNAP, "  GLOBEX ")) == ["109"]
    assert normalize_query(' "Acme   renewal" ') == "Acme renewal"


def test_limit_and_empty_queries() -> None:
    assert _ids(find_deals(SNAP, "acme", limit=2)) == ["104", "102"]
    assert find_deals(SNAP, "acme", limit=0) == []
    assert find_deals(SNAP, "   ") == []
    assert find_deals(SNAP, '""') == []
    assert find_deals(SNAP, "nothing like it") == []


def test_matches_exactly() -> None:
    assert matches_exactly(Deal(id="9", name="Acme  Renewal"), "acme renewal")
    assert matches_exactly(Deal(id="9", name="x"), "9")
    assert not matches_exactly(Deal(id="9", name="Acme renewal"), "acme")
    assert not matches_exactly(Deal(id="9", name=None), "")
