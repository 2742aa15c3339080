"""Small hand-built portals for the analysis tests, built through the same validating models as CRM data.

``hand_portal`` is the 8-deal portal whose every number is worked out by hand in ``test_growth.py``
and ``test_fulfillment.py``; keep the two in step when changing it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from engines.models import Deal, Owner, Pipeline, PortalInfo, PortalSnapshot, Stage
from tests.support.clock import NEW_YEAR

__all__ = ["NOW", "ago", "deal", "hand_pipeline", "hand_portal", "portal", "second_pipeline"]


NOW = NEW_YEAR  # the hand-built portals are dated from the turn of the year (tests.support.clock)


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def hand_pipeline() -> Pipeline:
    """Open stages A (p 0.2), B (0.5), C (0.8); W won; L lost. Early: A. Late: B and C."""
    return Pipeline(
        id="default",
        label="Sales Pipeline",
        stages=(
            Stage(id="A", label="Stage A", display_order=0, probability=0.2),
            Stage(id="B", label="Stage B", display_order=1, probability=0.5),
            Stage(id="C", label="Stage C", display_order=2, probability=0.8),
            Stage(id="W", label="Won", display_order=3, is_closed=True, probability=1.0),
            Stage(id="L", label="Lost", display_order=4, is_closed=True, probability=0.0),
        ),
    )


def second_pipeline() -> Pipeline:
    """A custom pipeline with numeric stage ids (and an archived stage)."""
    return Pipeline(
        id="777",
        label="Renewals",
        display_order=1,
        stages=(
            Stage(id="101", label="Due", display_order=0, probability="0.5"),  # a string, as HubSpot sends it
            Stage(id="102", label="Proposal", display_order=1, probability=0.8),
            Stage(id="103", label="Renewed", display_order=2, is_closed=True, probability=1.0),
            Stage(id="104", label="Churned", display_order=3, is_closed=True, probability=0.0),
            Stage(id="199", label="Old review", display_order=4, probability=0.5, archived=True),
        ),
    )


def deal(deal_id: str, **fields: Any) -> Deal:
    """A deal parsed like CRM input (lenient parsers run), in the default pipeline unless told."""
    values: dict[str, Any] = {"id": deal_id, "name": f"Deal {deal_id}", "pipeline_id": "default"}
    values.update(fields)
    return Deal.model_validate(values)


def portal(*deals: Deal, pipelines: tuple[Pipeline, ...] | None = None, **fields: Any) -> PortalSnapshot:
    return PortalSnapshot(
        portal=PortalInfo(portal_id=42, time_zone="Europe/Berlin", currency="EUR"),
        pipelines=pipelines if pipelines is not None else (hand_pipeline(),),
        owners=(
            Owner(id="o1", email="ana@example.com", first_name="Ana", last_name="Lopez"),
            Owner(id="o2", email="ben@example.com"),
        ),
        deals=deals,
        taken_at=NOW,
        source="test",
        **fields,
    )


def hand_portal(**fields: Any) -> PortalSnapshot:
    """Eight deals; the expected numbers are derived step by step in the tests that use it."""
    # fmt: off
    return portal(
        deal(
            "d1", amount="1000", stage_id="A", owner_id="o1", created_at=ago(10),
            stage_entered_at={"A": ago(10)}, last_activity_at=ago(5), close_date=ago(-20),
        ),
        deal(
            "d2", amount=2000, stage_id="B", owner_id="o2", created_at=ago(200),
            stage_entered_at={"A": ago(200), "B": ago(40)}, last_activity_at=ago(40), close_date=ago(1),
        ),
        deal(
            "d3", amount="abc", stage_id="C", owner_id="o1", created_at=ago(50),
            stage_entered_at={"A": ago(50), "B": ago(45), "C": ago(20)}, last_activity_at=ago(2),
            close_date=ago(-10),
        ),
        deal(
            "d4", amount=5000, stage_id="W", owner_id="o1", deal_type="existingbusiness",
            created_at=ago(100), close_date=ago(10), last_activity_at=ago(10),
            stage_entered_at={"A": ago(100), "B": ago(80), "C": ago(30), "W": ago(10)},
        ),
        deal(
            "d5", amount=3000, stage_id="L", owner_id="o2", deal_type="newbusiness", created_at=ago(60),
            close_date=ago(30), last_activity_at=ago(30),
            stage_entered_at={"A": ago(60), "B": ago(50), "L": ago(30)},
        ),
        deal(
            "d6", amount=1000, stage_id="W", owner_id="o2", deal_type="newbusiness", created_at=ago(40),
            close_date=ago(20), last_activity_at=ago(20),
            stage_entered_at={"A": ago(40), "C": ago(25), "W": ago(20)},
        ),
        deal(
            "d7", amount=100, stage_id="L", owner_id="o1", deal_type="newbusiness", created_at=ago(500),
            close_date=ago(400), last_activity_at=ago(400), stage_entered_at={"A": ago(500), "L": ago(400)},
        ),
        deal("d8", amount=0, stage_id="ghost", created_at=ago(5), last_modified_at=ago(1)),
        **fields,
    )
    # fmt: on
