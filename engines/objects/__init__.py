"""Metrics of the CRM objects besides deals: contacts, tickets, survey responses, products, line items
and goal targets (issue #13). Pure functions of a :class:`~engines.models.PortalSnapshot`.

:class:`ObjectFacts` counts once per analysis; each engine module here turns the counts into metrics,
data gaps, score deductions and signals that the engine's ``build`` adds to its report.
"""

from __future__ import annotations

from engines.objects.facts import ObjectFacts
from engines.objects.fulfillment import (
    fulfillment_object_deductions,
    fulfillment_object_gaps,
    fulfillment_object_measurable,
    fulfillment_object_metrics,
    overdue_onboardings,
)
from engines.objects.growth import growth_object_gaps, growth_object_metrics
from engines.objects.innovation import (
    innovation_object_deductions,
    innovation_object_gaps,
    innovation_object_measurable,
    innovation_object_metrics,
    innovation_object_signals,
)

__all__ = [
    "ObjectFacts",
    "fulfillment_object_deductions",
    "fulfillment_object_gaps",
    "fulfillment_object_measurable",
    "fulfillment_object_metrics",
    "growth_object_gaps",
    "growth_object_metrics",
    "innovation_object_deductions",
    "innovation_object_gaps",
    "innovation_object_measurable",
    "innovation_object_metrics",
    "innovation_object_signals",
    "overdue_onboardings",
]
