"""Stage and pipeline order with tied ``displayOrder``: HubSpot lists ties alphabetically by label.

HubSpot's pipelines guide: "If multiple pipelines are the same number in the order, they'll be listed
alphabetically by label", and its board shows stages the same way. The stage ids below are chosen so
that id order and label order disagree on every tie: ordering by id would put "Qualified" before
"Proposal" and so pair Discovery->Qualified->Proposal in the funnel, which is not what HubSpot shows.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from engines import analyze
from engines.dates import utc_now
from engines.hubspot import HubSpotSource
from engines.hubspot._mapping import parse_pipelines
from engines.measures import ARROW
from engines.models import Deal, Pipeline, PortalInfo, PortalSnapshot, Stage
from tests.fakes.hubspot import FakeHubSpot
from tests.hubspot.conftest import FAST_RETRY

# Listed by id, as HubSpot may list them; the ties (1 and 3) disagree between id and label order.
TIED = Pipeline(
    id="700100",
    label="Partner Deals",
    display_order=1,
    stages=(
        Stage(id="900001", label="Qualified", display_order=1, probability=0.4),
        Stage(id="900002", label="proposal", display_order=1, probability=0.3),
        Stage(id="900003", label="Discovery", display_order=0, probability=0.1),
        Stage(id="900004", label="Won", display_order=3, is_closed=True, probability=1.0),
        Stage(id="900005", label="Lost", display_order=3, is_closed=True, probability=0.0),
    ),
)
# A second pipeline sharing displayOrder 1 with TIED: "Inbound" sorts before "Partner Deals".
INBOUND = Pipeline(
    id="700200",
    label="Inbound",
    display_order=1,
    stages=(Stage(id="910001", label="New", display_order=0, probability=0.2),),
)
HUBSPOT_ORDER = ["900003", "900002", "900001"]  # Discovery, proposal, Qualified (case-insensitive)


def _stage_json(stage: Stage) -> dict[str, Any]:
    return {
        "label": stage.label,
        "displayOrder": stage.display_order,
        "metadata": {
            "isClosed": "true" if stage.is_closed else "false",
            "probability": str(stage.probability),
        },
        "id": stage.id,
        "archived": False,
    }


def test_mapping_orders_tied_stages_and_pipelines_by_label_as_hubspot_does() -> None:
    body = {
        "results": [
            {
                "label": p.label,
                "displayOrder": p.display_order,
                "id": p.id,
                "stages": [_stage_json(s) for s in p.stages],
                "archived": False,
            }
            for p in (TIED, INBOUND)
        ]
    }
    inbound, tied = parse_pipelines(body, "GET /crm/v3/pipelines/deals")
    assert (inbound.id, tied.id) == ("700200", "700100")
    assert [s.id for s in tied.stages] == [*HUBSPOT_ORDER, "900005", "900004"]  # Lost before Won
    assert [s.id for s in tied.ordered_stages] == [*HUBSPOT_ORDER, "900005", "900004"]
    assert [s.id for s in tied.open_stages] == HUBSPOT_ORDER


def _portal() -> PortalSnapshot:
    now = utc_now().replace(microsecond=0)
    start = now - timedelta(days=30)
    entered = {sid: start + timedelta(days=3 * i) for i, sid in enumerate(HUBSPOT_ORDER)}
    deals: list[Deal] = []

    def add(stage_id: str, reached: list[str], close_days: int) -> None:
        deals.append(
            Deal(
                id=str(60_000 + len(deals)),
                name=f"Partner deal {len(deals)}",
                amount=1000.0,
                pipeline_id=TIED.id,
                stage_id=stage_id,
                deal_type="newbusiness",
                created_at=start,
                close_date=now + timedelta(days=close_days),
                last_activity_at=now - timedelta(days=1),
                last_modified_at=now - timedelta(days=1),
                stage_entered_at={sid: entered[sid] for sid in reached},
            )
        )

    for _ in range(6):  # stopped at Discovery
        add("900003", HUBSPOT_ORDER[:1], 20)
    for _ in range(4):  # moved on to proposal
        add("900002", HUBSPOT_ORDER[:2], 20)
    for _ in range(2):  # reached Qualified
        add("900001", HUBSPOT_ORDER, 20)
    return PortalSnapshot(
        pipelines=(TIED, INBOUND),
        deals=tuple(deals),
        portal=PortalInfo(portal_id=4242),
        taken_at=now,
        source="sample",
    )


async def test_funnel_read_from_hubspot_follows_hubspot_stage_order() -> None:
    async with (
        FakeHubSpot(_portal()) as fake,
        HubSpotSource(fake.token, base_url=fake.base_url, retry=FAST_RETRY) as source,
    ):
        snapshot = await source.snapshot()
    assert [p.label for p in snapshot.pipelines] == ["Inbound", "Partner Deals"]
    report = analyze(snapshot, "growth", pipeline="Partner Deals")
    rates = report.metrics["conversion_rates"].value
    assert isinstance(rates, dict)
    discovery, proposal, qualified = HUBSPOT_ORDER
    # Pairs follow HubSpot's board: Discovery -> proposal -> Qualified -> won.
    assert list(rates) == [
        f"{discovery}{ARROW}{proposal}",
        f"{proposal}{ARROW}{qualified}",
        f"{qualified}{ARROW}900004",
    ]
    # 12 entered Discovery and 6 went on; 6 entered proposal and 2 went on.
    assert rates[f"{discovery}{ARROW}{proposal}"] == 50.0
    assert rates[f"{proposal}{ARROW}{qualified}"] == 33.3
