"""Small hand-built portals with the CRM objects besides deals, for the object-metric tests.

Records go through the validating models (strings for numbers and dates, as HubSpot sends them).
``read_all`` marks every object type read; pass ``object_reads`` to say otherwise.
"""

from __future__ import annotations

from typing import Any

from engines.models import (
    Contact,
    FeedbackSubmission,
    GoalTarget,
    LineItem,
    ObjectRead,
    ObjectType,
    Pipeline,
    PortalSnapshot,
    Product,
    ReadState,
    Stage,
    Ticket,
)
from tests.engines.portals import hand_pipeline, portal, second_pipeline

__all__ = [
    "ONBOARDING",
    "SUPPORT",
    "contact",
    "feedback",
    "goal",
    "line_item",
    "object_portal",
    "product",
    "read_all",
    "refused",
    "ticket",
]

ONBOARDING = Pipeline(
    id="ob",
    label="Customer Onboarding",
    stages=(
        Stage(id="kick", label="Kickoff", display_order=0),
        Stage(id="live", label="Live", display_order=1, is_closed=True),
    ),
)
SUPPORT = Pipeline(
    id="sp",
    label="Support",
    display_order=1,
    stages=(
        Stage(id="new", label="New", display_order=0),
        Stage(id="done", label="Closed", display_order=1, is_closed=True),
    ),
)


def read_all() -> dict[ObjectType, ObjectRead]:
    return {t: ObjectRead(state=ReadState.READ) for t in ObjectType}


def refused(object_type: ObjectType, *scopes: str) -> dict[ObjectType, ObjectRead]:
    reads = read_all()
    reads[object_type] = ObjectRead(state=ReadState.SCOPE_REFUSED, scopes=scopes)
    return reads


def contact(contact_id: str, **entered: Any) -> Contact:
    return Contact.model_validate({"id": contact_id, "stage_entered_at": entered})


def ticket(ticket_id: str, **fields: Any) -> Ticket:
    return Ticket.model_validate({"id": ticket_id, **fields})


def feedback(feedback_id: str, **fields: Any) -> FeedbackSubmission:
    return FeedbackSubmission.model_validate({"id": feedback_id, **fields})


def product(product_id: str, **fields: Any) -> Product:
    return Product.model_validate({"id": product_id, **fields})


def line_item(item_id: str, **fields: Any) -> LineItem:
    return LineItem.model_validate({"id": item_id, **fields})


def goal(goal_id: str, **fields: Any) -> GoalTarget:
    return GoalTarget.model_validate({"id": goal_id, **fields})


def object_portal(*deals: Any, **fields: Any) -> PortalSnapshot:
    """The test portal (Europe/Berlin, EUR, portal 42) with the sales and renewals pipelines, the
    onboarding and support ticket pipelines, every object type read unless told."""
    fields.setdefault("object_reads", read_all())
    fields.setdefault("ticket_pipelines", (ONBOARDING, SUPPORT))
    pipelines = fields.pop("pipelines", (hand_pipeline(), second_pipeline()))
    return portal(*deals, pipelines=pipelines, **fields)
