"""Small, exact portals for the HubSpot tests: known counts of open, recently closed and old deals."""

from __future__ import annotations

from datetime import datetime, timedelta

from engines.dates import utc_now
from engines.models import Deal, Owner, Pipeline, PortalInfo, PortalSnapshot, Stage

__all__ = ["RENEWALS", "SALES", "make_portal"]

SALES = Pipeline(
    id="default",
    label="Sales Pipeline",
    stages=(
        Stage(id="appointmentscheduled", label="Appointment Scheduled", display_order=0, probability=0.2),
        Stage(id="contractsent", label="Contract Sent", display_order=1, probability=0.9),
        Stage(id="closedwon", label="Closed Won", display_order=2, is_closed=True, probability=1.0),
        Stage(id="closedlost", label="Closed Lost", display_order=3, is_closed=True, probability=0.0),
    ),
)
RENEWALS = Pipeline(
    id="14620931",
    label="Renewals",
    display_order=1,
    stages=(
        Stage(id="39105881", label="Renewal Due", display_order=0, probability=0.5),
        Stage(id="39105884", label="Renewed", display_order=1, is_closed=True, probability=1.0),
    ),
)


def make_portal(
    *,
    open_deals: int = 10,
    closed_recent: int = 4,
    closed_old: int = 3,
    renewals: int = 0,
    owners: int = 3,
    now: datetime | None = None,
    first_id: int = 5_000,
) -> PortalSnapshot:
    """Deals with ids ``first_id``, ``first_id + 1``, ...: open ones, ones closed 10 days ago, ones
    closed 400 days ago (outside any lookback the tests use) and open renewals in a second pipeline."""
    now = now or utc_now()
    now = now.replace(microsecond=now.microsecond // 1000 * 1000)  # HubSpot keeps milliseconds
    deals: list[Deal] = []
    next_id = first_id

    def add(pipeline: str, stage: str, close: datetime, entered: dict[str, datetime]) -> None:
        nonlocal next_id
        deals.append(
            Deal(
                id=str(next_id),
                name=f"Deal {next_id}",
                amount=1000.0 + next_id % 7 * 250.5,
                pipeline_id=pipeline,
                stage_id=stage,
                owner_id=str(100 + next_id % owners) if owners else None,
                deal_type="newbusiness",
                currency="USD",
                created_at=close - timedelta(days=30),
                close_date=close,
                last_activity_at=now - timedelta(days=2),
                last_modified_at=now - timedelta(days=1),
                stage_entered_at=entered,
            )
        )
        next_id += 1

    created = now - timedelta(days=40)
    for _ in range(open_deals):
        add(
            "default",
            "contractsent",
            now + timedelta(days=20),
            {"appointmentscheduled": created, "contractsent": created + timedelta(days=5)},
        )
    for _ in range(closed_recent):
        add("default", "closedwon", now - timedelta(days=10), {"closedwon": now - timedelta(days=10)})
    for _ in range(closed_old):
        add("default", "closedlost", now - timedelta(days=400), {"closedlost": now - timedelta(days=400)})
    for _ in range(renewals):
        add("14620931", "39105881", now + timedelta(days=60), {"39105881": created})
    return PortalSnapshot(
        portal=PortalInfo(
            portal_id=4242, time_zone="Europe/Berlin", currency="EUR", ui_domain="app-eu1.hubspot.com"
        ),
        pipelines=(SALES, RENEWALS),
        owners=tuple(
            Owner(id=str(100 + i), email=f"rep{i}@example.com", first_name="Rep", last_name=str(i))
            for i in range(owners)
        ),
        deals=tuple(deals),
        taken_at=now,
        source="sample",
    )
