"""hs_v2_date_entered_current_stage gives a time in stage to a deal whose stage the pipeline no longer
lists (so no hs_v2_date_entered_<stage> property was asked for); a listed stage's own date wins."""

from __future__ import annotations

from datetime import UTC, datetime

from engines.hubspot import BASE_DEAL_PROPERTIES
from engines.hubspot._mapping import CURRENT_STAGE_ENTERED, RawDeal, stage_keys, to_deal


def test_current_stage_date_fills_in_for_an_unlisted_stage() -> None:
    assert CURRENT_STAGE_ENTERED in BASE_DEAL_PROPERTIES
    raw = RawDeal(
        id="1",
        properties={"dealstage": "retiredstage", CURRENT_STAGE_ENTERED: "2026-10-01T08:00:00Z"},
    )
    deal = to_deal(raw, stage_keys(["appointmentscheduled"]))
    assert deal.stage_entered_at == {"retiredstage": datetime(2026, 10, 1, 8, tzinfo=UTC)}


def test_a_listed_stage_keeps_its_own_entry_date() -> None:
    raw = RawDeal(
        id="2",
        properties={
            "dealstage": "contractsent",
            "hs_v2_date_entered_contractsent": "2026-09-01T00:00:00Z",
            CURRENT_STAGE_ENTERED: "2026-10-01T00:00:00Z",
        },
    )
    deal = to_deal(raw, stage_keys(["contractsent"]))
    assert deal.stage_entered_at == {"contractsent": datetime(2026, 9, 1, tzinfo=UTC)}
