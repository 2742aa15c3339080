"""The mirror's deals as columns: id order kept across deltas, and a table handed out never changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.mirror.deals import MirroredDeals
from engines import Deal, Stage
from engines.sample import generate_portal
from tests.support.hubspot import hubspot_deal_properties

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


def _props(portal_deals: list[Deal], stages: dict[tuple[str, str], Stage]) -> dict[str, dict[str, str]]:
    rows = {}
    for deal in portal_deals:
        props = hubspot_deal_properties(deal, stages.get((deal.pipeline_id or "", deal.stage_id or "")))
        rows[deal.id] = {k: v for k, v in props.items() if v is not None}
    return rows


def test_the_mirror_keeps_id_order_and_never_changes_a_table_it_handed_out() -> None:
    portal = generate_portal(deals=300, seed=5, now=NOW, objects=False)
    stages = {(p.id, s.id): s for p in portal.pipelines for s in p.stages}
    rows = _props(list(portal.deals), stages)
    held = MirroredDeals()
    held.set_pipelines(portal.pipelines)
    ids = list(rows)
    # Arrives newest first (out of id order), in two batches.
    held.apply({i: rows[i] for i in reversed(ids[150:])}, ())
    held.apply({i: rows[i] for i in reversed(ids[:150])}, ())
    before = held.everything()
    assert [d.id for d in before] == sorted(ids, key=lambda i: (len(i), i))
    snapshot = list(before)
    # A delta after the table was handed out: one deal changed, one removed, one new.
    changed = dict(rows[ids[0]], amount="4242")
    held.apply({ids[0]: changed, "1": rows[ids[1]] | {"hs_object_id": "1"}}, [ids[2]])
    assert list(before) == snapshot  # the table an answer holds is unchanged
    after = held.everything()
    assert next(after.ids()) == "1"  # the new, lower id is in id order
    assert ids[2] not in held
    assert len(after) == len(ids)
    changed_deal = after.get(ids[0])
    assert changed_deal is not None
    assert changed_deal.amount == 4242.0
    # The selection: open deals and those closed within the lookback, as the live read selects.
    since = NOW - timedelta(days=180)
    want = {
        i
        for i, p in ({**rows, ids[0]: changed, "1": rows[ids[1]]}).items()
        if i != ids[2]
        and (
            p["hs_is_closed"] == "false"
            or (p.get("closedate") is not None and p["closedate"] >= since.isoformat())
        )
    }
    assert set(held.selection(None, 180, NOW).ids()) == want
