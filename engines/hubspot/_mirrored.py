"""The object types besides deals as the CRM mirror reads them, selecting what the live read selects.

:func:`mirrored_object_types` builds one :class:`~engines.hubspot._delta.MirroredType` per object type
of :mod:`engines.hubspot._objects` except line items (read through the won deals' associations), with
the live read's scope as OR'ed filter groups whose windows move with the clock (:class:`Since`):

- contacts: ``hs_v2_date_entered_lead >= now - L``; their modified property is ``lastmodifieddate``
  (HubSpot's ``hs_lastmodifieddate`` filter silently fails on contacts); the stages of the
  ``lifecyclestage`` options add a ``hs_v2_date_entered_<stage>`` property each (custom stages too);
- tickets: created since ``now - 2L``, or closed since ``now - L``, or open (no ``closed_date``); the
  ticket pipelines are read with them;
- feedback submissions: submitted or created since ``now - 2L``;
- products and goal targets: all of them, by the list endpoint (portals hold few).

``L`` is the lookback window in days; the mirror resolves the windows at each sync's start (it then
holds a superset of what any later answer selects) and an answer filters by its own time.
"""

from __future__ import annotations

from collections.abc import Iterable

from engines.hubspot._delta import MirroredType, Since
from engines.hubspot._mapping import CONTACT_STAGE_PREFIX, OBJECT_SPECS
from engines.models import ObjectType

__all__ = ["MIRRORED_OBJECTS", "mirrored_object_types"]

# Every object type the mirror can hold besides deals, in the order it syncs them.
MIRRORED_OBJECTS: tuple[ObjectType, ...] = (
    ObjectType.CONTACTS,
    ObjectType.TICKETS,
    ObjectType.FEEDBACK_SUBMISSIONS,
    ObjectType.PRODUCTS,
    ObjectType.GOAL_TARGETS,
)
_NOT_CLOSED = {"propertyName": "closed_date", "operator": "NOT_HAS_PROPERTY"}


def _type(object_type: ObjectType, lookback_days: int) -> MirroredType:
    spec = OBJECT_SPECS[object_type]
    days = lookback_days
    if object_type is ObjectType.CONTACTS:
        lead = f"{CONTACT_STAGE_PREFIX}lead"
        return MirroredType(
            name=object_type.value,
            properties=(*spec.properties, lead),
            modified=spec.modified,
            groups=((Since(lead, days),),),
            stage_options="lifecyclestage",
        )
    if object_type is ObjectType.TICKETS:
        return MirroredType(
            name=object_type.value,
            properties=spec.properties,
            modified=spec.modified,
            groups=((Since("createdate", 2 * days),), (Since("closed_date", days),), (_NOT_CLOSED,)),
            own_pipelines=True,
        )
    if object_type is ObjectType.FEEDBACK_SUBMISSIONS:
        return MirroredType(
            name=object_type.value,
            properties=spec.properties,
            modified=spec.modified,
            groups=((Since("hs_submission_timestamp", 2 * days),), (Since("hs_createdate", 2 * days),)),
        )
    if object_type in (ObjectType.PRODUCTS, ObjectType.GOAL_TARGETS):
        return MirroredType(
            name=object_type.value, properties=spec.properties, modified=spec.modified, listed=True
        )
    raise ValueError(f"the mirror does not hold {object_type.value} this way")


def mirrored_object_types(
    lookback_days: int, objects: Iterable[ObjectType] = MIRRORED_OBJECTS
) -> tuple[MirroredType, ...]:
    """The mirrored types of ``objects`` (those of :data:`MIRRORED_OBJECTS`; others are skipped)."""
    if lookback_days < 1:
        raise ValueError("lookback_days must be at least 1")
    wanted = set(objects)
    return tuple(_type(t, lookback_days) for t in MIRRORED_OBJECTS if t in wanted)
