"""Changes to the contacts, tickets, survey responses, products and goal targets of a
:class:`~tests.support.hubspot.FakeHubSpot`, made the way HubSpot makes them (see
:mod:`tests.support.hubspot_objects`)::

    objects = ObjectMutator(PortalMutator(fake))     # shares the deal mutator's clock and stamps
    new_id = objects.create("tickets", subject="Onboarding", hs_pipeline="0", hs_pipeline_stage="1")
    objects.edit("contacts", some_id, lifecyclestage="customer")
    objects.archive("products", some_id); objects.restore("products", some_id)
    objects.add_lifecycle_stage("advocate")          # a custom stage: a new hs_v2_date_entered_ property

Every edit stamps the type's modified property with the mutation time; ``live(type)`` is what a
complete read of the type would hold now (id -> properties with a value).
"""

from __future__ import annotations

from collections.abc import Mapping

from tests.support.hubspot_mutations import PortalMutator
from tests.support.hubspot_objects import MODIFIED

__all__ = ["ObjectMutator"]

Props = dict[str, str | None]


class ObjectMutator:
    """Mutations of one fake portal's objects besides deals."""

    def __init__(self, change: PortalMutator) -> None:
        self.change = change
        self.store = change.fake.objects

    def ids(self, object_type: str) -> list[str]:
        return [object_id for object_id, _ in self.store.rows[object_type]]

    def props(self, object_type: str, object_id: str) -> Props:
        return self.store.index[object_type][object_id]

    def live(self, object_type: str) -> dict[str, Props]:
        return {i: {k: v for k, v in p.items() if v is not None} for i, p in self.store.rows[object_type]}

    def stamp(self) -> str:
        return self.change.stamp()

    def create(self, object_type: str, object_id: str | None = None, **props: str | None) -> str:
        """A new object (default id: one above the highest ever used by the type); returns its id."""
        if object_id is None:
            used = [
                int(i) for i in [*self.ids(object_type), *self.store.archived[object_type]] if i.isdigit()
            ]
            object_id = str(max(used, default=1000) + 1)
        stamp = self.stamp()
        created = "hs_createdate" if object_type == "feedback_submissions" else "createdate"
        self.store.create(object_type, object_id, {created: stamp, MODIFIED[object_type]: stamp, **props})
        return object_id

    def edit(self, object_type: str, object_id: str, **changes: str | None) -> None:
        self.store.edit(object_type, object_id, changes, self.stamp())

    def archive(self, object_type: str, object_id: str) -> None:
        self.store.archive(object_type, object_id, self.stamp())

    def restore(self, object_type: str, object_id: str) -> None:
        self.store.restore(object_type, object_id, self.stamp())

    def add_lifecycle_stage(self, stage: str, entered: Mapping[str, str] | None = None) -> None:
        """A new lifecycle stage; ``entered`` maps contact ids to the stage's entry date text, set
        without touching ``lastmodifieddate`` (HubSpot back-fills these dates silently)."""
        self.store.add_lifecycle_stage(stage)
        for contact_id, when in (entered or {}).items():
            self.store.index["contacts"][contact_id][f"hs_v2_date_entered_{stage}"] = when
