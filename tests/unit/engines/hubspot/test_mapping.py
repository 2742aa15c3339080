"""HubSpot-shaped JSON (as the API really sends it) -> engines.models, and bad shapes -> clear errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engines.errors import HubSpotResponseError
from engines.hubspot._mapping import (
    RawDeal,
    parse_account,
    parse_owners,
    parse_pipelines,
    stage_entry_properties,
    stage_keys,
    to_deal,
    validate,
)
from engines.models import Deal
from tests.support.hubspot import hubspot_deal_properties

PIPELINES_JSON = {
    "results": [
        {
            "label": "Sales Pipeline",
            "displayOrder": 0,
            "id": "default",
            "stages": [
                {
                    "label": "Contract Sent",
                    "displayOrder": 4,
                    "metadata": {"isClosed": "false", "probability": "0.9000000000000000222044604925031"},
                    "id": "contractsent",
                    "createdAt": "1970-01-01T00:00:00Z",
                    "updatedAt": "1970-01-01T00:00:00Z",
                    "archived": False,
                    "writePermissions": "CRUD_ALL",
                },
                {
                    "label": "Closed Won",
                    "displayOrder": 5,
                    "metadata": {"isClosed": "true", "probability": "1.0"},
                    "id": "closedwon",
                    "archived": False,
                },
                {
                    "label": "Closed Lost",
                    "displayOrder": 6,
                    "metadata": {"isClosed": "true", "probability": "0.0"},
                    "id": "closedlost",
                    "archived": False,
                },
            ],
            "createdAt": "2023-01-24T19:05:04.541Z",
            "updatedAt": "2023-01-24T19:05:04.541Z",
            "archived": False,
        },
        {
            "label": "Renewals",
            "displayOrder": 1,
            "id": "14620931",
            "stages": [
                {
                    "label": "Renewal Due",
                    "displayOrder": 0,
                    "metadata": {"isClosed": "false"},
                    "id": "39105881",
                }
            ],
            "archived": False,
        },
    ]
}


def test_pipelines_take_closed_and_won_from_string_metadata() -> None:
    sales, renewals = parse_pipelines(PIPELINES_JSON, "GET /crm/v3/pipelines/deals")
    contract, won, lost = sales.ordered_stages
    assert (contract.is_closed, contract.probability) == (False, pytest.approx(0.9))
    assert won.is_won
    assert not won.is_lost
    assert lost.is_lost
    assert not lost.is_won
    assert renewals.id == "14620931"
    assert renewals.stages[0].probability is None


def test_deal_with_string_values_v2_and_older_stage_dates() -> None:
    raw = RawDeal.model_validate(
        {
            "id": "18000000042",
            "properties": {
                "dealname": "Acme - Platform",
                "amount": "12,500.50",
                "dealstage": "contractsent",
                "pipeline": "default",
                "closedate": "2025-08-10T00:00:00Z",
                "createdate": "2024-11-01T16:55:12.963Z",
                "hs_lastmodifieddate": "2025-01-02T03:04:05.006Z",
                "notes_last_updated": None,
                "hubspot_owner_id": "",
                "dealtype": "newbusiness",
                "deal_currency_code": "EUR",
                "hs_object_id": "18000000042",
                "hs_v2_date_entered_appointmentscheduled": "2024-11-01T16:55:12.963Z",
                "hs_date_entered_appointmentscheduled": "2020-01-01T00:00:00Z",
                "hs_date_entered_contractsent": "1735689600000",
                "hs_v2_date_entered_closedwon": None,
            },
            "createdAt": "2024-11-01T16:55:12.963Z",
            "updatedAt": "2025-01-02T03:04:05.006Z",
            "archived": False,
        }
    )
    deal = to_deal(raw, stage_keys(["appointmentscheduled", "contractsent", "closedwon"]))
    assert deal.id == "18000000042"
    assert deal.amount == pytest.approx(12500.5)
    assert deal.owner_id is None  # '' means unassigned, not an owner called ''
    assert deal.last_activity_at is None
    assert deal.close_date == datetime(2025, 8, 10, tzinfo=UTC)
    assert deal.created_at == datetime(2024, 11, 1, 16, 55, 12, 963000, tzinfo=UTC)
    # v2 wins over the older property; the older one fills in where v2 is absent; null is skipped.
    assert deal.stage_entered_at == {
        "appointmentscheduled": datetime(2024, 11, 1, 16, 55, 12, 963000, tzinfo=UTC),
        "contractsent": datetime(2025, 1, 1, tzinfo=UTC),
    }


def test_unreadable_amount_and_date_become_none_not_errors() -> None:
    raw = RawDeal.model_validate({"id": 7, "properties": {"amount": "n/a", "closedate": "soon"}})
    deal = to_deal(raw, stage_keys([]))
    assert (deal.id, deal.amount, deal.close_date) == ("7", None, None)


def test_stage_entry_properties_ask_for_both_names() -> None:
    assert stage_entry_properties(["a", "b"]) == [
        "hs_v2_date_entered_a",
        "hs_date_entered_a",
        "hs_v2_date_entered_b",
        "hs_date_entered_b",
    ]


def test_owners_page_and_cursor() -> None:
    owners, after = parse_owners(
        {
            "results": [
                {
                    "id": "101",
                    "email": "ana@example.com",
                    "firstName": "Ana",
                    "lastName": "",
                    "archived": False,
                },
                {"id": 102, "email": None, "firstName": None, "lastName": None},
            ],
            "paging": {"next": {"after": "NTI1Cg%3D%3D", "link": "?after=NTI1Cg%3D%3D"}},
        },
        "GET /crm/v3/owners",
    )
    assert [o.name for o in owners] == ["Ana", "Owner 102"]
    assert after == "NTI1Cg%3D%3D"


def test_account_details_with_gaps_fall_back_to_defaults() -> None:
    info = parse_account({"portalId": 62515, "timeZone": "US/Eastern", "uiDomain": ""}, "GET /account-info")
    assert (info.portal_id, info.time_zone, info.currency, info.ui_domain) == (
        62515,
        "US/Eastern",
        "USD",
        "app.hubspot.com",
    )


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"status": "ok"}, "results"),
        ({"results": [{"label": "no id"}]}, "results.0.id"),
        ({"results": "nope"}, "results"),
    ],
)
def test_unexpected_shape_is_a_response_error_naming_the_endpoint(
    body: dict[str, object], where: str
) -> None:
    with pytest.raises(HubSpotResponseError) as caught:
        parse_pipelines(body, "GET /crm/v3/pipelines/deals")
    assert "GET /crm/v3/pipelines/deals" in caught.value.user_message
    assert where in caught.value.user_message


def test_search_page_with_object_properties_is_rejected_cleanly() -> None:
    from engines.hubspot._mapping import RawSearchPage

    with pytest.raises(HubSpotResponseError, match="POST /crm/v3/objects/deals/search"):
        validate(
            RawSearchPage,
            {"results": [{"id": "1", "properties": {"amount": {"v": 1}}}]},
            "POST /crm/v3/objects/deals/search",
        )


STAGES = ["appointmentscheduled", "contractsent", "closedwon", "39105881"]
_moments = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
).map(lambda d: d.replace(microsecond=d.microsecond // 1000 * 1000))
_words = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=30).filter(
    lambda s: s.strip() == s
)


@settings(max_examples=150, deadline=None)
@given(
    deal_id=st.integers(1, 10**12),
    name=st.none() | _words,
    amount=st.none() | st.floats(allow_nan=False, allow_infinity=False, width=64),
    owner=st.none() | st.integers(1, 10**9).map(str),
    dates=st.tuples(st.none() | _moments, st.none() | _moments, st.none() | _moments, _moments),
    entered=st.dictionaries(st.sampled_from(STAGES), _moments),
    stage_dates=st.sampled_from(["v2", "legacy", "both"]),
)
def test_any_deal_survives_hubspots_json_shape(
    deal_id: int,
    name: str | None,
    amount: float | None,
    owner: str | None,
    dates: tuple[datetime | None, datetime | None, datetime | None, datetime],
    entered: dict[str, datetime],
    stage_dates: str,
) -> None:
    """Serialised as HubSpot stores it (strings, ISO dates with Z, ms omitted when 0), read back equal."""
    created, closes, activity, modified = dates
    deal = Deal(
        id=str(deal_id),
        name=name,
        amount=amount,
        pipeline_id="default",
        stage_id="contractsent",
        owner_id=owner,
        deal_type="newbusiness",
        currency="EUR",
        created_at=created,
        close_date=closes,
        last_activity_at=activity,
        last_modified_at=modified,
        stage_entered_at=entered,
    )
    properties = hubspot_deal_properties(deal, None, stage_dates=stage_dates)
    assert all(v is None or isinstance(v, str) for v in properties.values())
    raw = RawDeal.model_validate_json(json.dumps({"id": str(deal_id), "properties": properties}))
    assert to_deal(raw, stage_keys(STAGES)) == deal
