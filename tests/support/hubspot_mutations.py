"""Changes to a :class:`~tests.support.hubspot.FakeHubSpot` portal, made the way HubSpot makes them.

Each mutation edits the fake's stored properties and stamps ``hs_lastmodifieddate`` (ISO-8601 UTC,
milliseconds) with the mutation time, as HubSpot does::

    change = PortalMutator(fake)
    new_id = change.create(amount="5000", dealstage="appointmentscheduled")
    change.move_stage(new_id, "contractsent")
    change.archive(some_id)                  # listed by GET …/objects/deals?archived=true
    change.restore(some_id)
    change.merge(survivor_id, other_id)      # survivor lists other_id in hs_merged_object_ids
    change.bulk_edit(ids, dealtype="newbusiness")   # one timestamp for all, like HubSpot's bulk jobs
    change.during_search(lambda: change.set_amount(x, "9"), after=2)   # lands between pages

``live()`` is what a complete read would return now (id → properties), for tests to compare against.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from engines.dates import utc_now
from engines.models import Deal, Owner, Pipeline, Stage
from tests.support.hubspot import FakeHubSpot, _id_key, format_datetime

__all__ = ["PortalMutator"]

Props = dict[str, str | None]


class PortalMutator:
    """Mutations of one fake portal. ``clock`` stamps them (default: now, UTC)."""

    def __init__(self, fake: FakeHubSpot, *, clock: Callable[[], datetime] = utc_now) -> None:
        self.fake = fake
        self._clock = clock
        self._last_stamp: datetime | None = None

    # ------------------------------------------------------------------ reading the truth

    def live(self) -> dict[str, Props]:
        """Every live deal's stored properties (copies), by id."""
        return {d.id: dict(p) for d, p in zip(self.fake._deals, self.fake._props, strict=True)}

    def ids(self) -> list[str]:
        return [d.id for d in self.fake._deals]

    def props(self, deal_id: str) -> Props:
        return self.fake._props[self._index(deal_id)]

    def stage(self, pipeline_id: str | None, stage_id: str | None) -> Stage | None:
        for pipeline in self.fake.portal.pipelines:
            if pipeline.id == pipeline_id:
                return pipeline.stage(stage_id)
        return None

    # ------------------------------------------------------------------ internals

    def _index(self, deal_id: str) -> int:
        key = _id_key(deal_id)
        i = bisect.bisect_left(self.fake._keys, key)
        if i == len(self.fake._keys) or self.fake._keys[i] != key:
            raise KeyError(f"no live deal {deal_id}")
        return i

    def stamp(self) -> str:
        """The mutation time as HubSpot writes it; strictly later than the previous stamp."""
        now = self._clock().replace(microsecond=self._clock().microsecond // 1000 * 1000)
        if self._last_stamp is not None and now <= self._last_stamp:
            now = self._last_stamp + timedelta(milliseconds=1)
        self._last_stamp = now
        text = format_datetime(now)
        assert text is not None
        return text

    def _insert(self, deal_id: str, props: Props) -> None:
        key = _id_key(deal_id)
        i = bisect.bisect_left(self.fake._keys, key)
        if i < len(self.fake._keys) and self.fake._keys[i] == key:
            raise ValueError(f"deal {deal_id} exists")
        self.fake._keys.insert(i, key)
        self.fake._deals.insert(i, Deal(id=deal_id))
        self.fake._props.insert(i, props)
        self.fake._known.update(props)
        self.fake.changed()

    def _remove(self, deal_id: str) -> Props:
        i = self._index(deal_id)
        del self.fake._keys[i]
        del self.fake._deals[i]
        props = self.fake._props.pop(i)
        self.fake.changed()
        return props

    def _apply(self, props: Props, changes: Mapping[str, str | None], stamp: str) -> None:
        if "dealstage" in changes or "pipeline" in changes:
            stage_id = changes.get("dealstage", props.get("dealstage"))
            if stage_id != props.get("dealstage"):
                props[f"hs_v2_date_entered_{stage_id}"] = stamp
                props["hs_v2_date_entered_current_stage"] = stamp
            stage = self.stage(changes.get("pipeline", props.get("pipeline")), stage_id)
            closed = stage is not None and stage.is_closed
            props["hs_is_closed"] = "true" if closed else "false"
            props["hs_is_closed_won"] = "true" if closed and stage is not None and stage.is_won else "false"
        props.update(changes)
        props["hs_lastmodifieddate"] = stamp
        self.fake._known.update(props)

    # ------------------------------------------------------------------ mutations

    def create(self, deal_id: str | None = None, **changes: str | None) -> str:
        """A new deal (default: the next id after the highest ever used); returns its id."""
        if deal_id is None:
            used = [int(i) for i in [*self.ids(), *self.fake.archived] if i.isdigit()]
            deal_id = str(max(used, default=1000) + 1)
        stamp = self.stamp()
        pipeline = self.fake.portal.pipelines[0]
        props: Props = {
            "dealname": f"Deal {deal_id}",
            "amount": None,
            "dealstage": None,
            "pipeline": pipeline.id,
            "closedate": None,
            "createdate": stamp,
            "hs_lastmodifieddate": stamp,
            "notes_last_updated": None,
            "hubspot_owner_id": None,
            "dealtype": None,
            "hs_is_closed": "false",
            "hs_is_closed_won": "false",
            "deal_currency_code": None,
            "hs_object_id": deal_id,
        }
        changes = {"dealstage": pipeline.ordered_stages[0].id, **changes}
        self._apply(props, changes, stamp)
        self._insert(deal_id, props)
        return deal_id

    def edit(self, deal_id: str, **changes: str | None) -> None:
        self._apply(self.props(deal_id), changes, self.stamp())
        self.fake.changed()

    def move_stage(self, deal_id: str, stage_id: str, pipeline_id: str | None = None) -> None:
        changes: dict[str, str | None] = {"dealstage": stage_id}
        if pipeline_id is not None:
            changes["pipeline"] = pipeline_id
        self.edit(deal_id, **changes)

    def edit_indexed_late(self, deal_id: str, **changes: str | None) -> Callable[[], None]:
        """An edit made now (its ``hs_lastmodifieddate`` is now) that HubSpot's search index shows
        only later ("it may take a few moments for updated objects to appear"): the edit becomes
        visible when the returned function is called, so a test decides the moment, not the clock of
        a loaded machine."""
        stamp = self.stamp()

        def index() -> None:
            self._apply(self.props(deal_id), changes, stamp)
            self.fake.changed()

        return index

    def set_amount(self, deal_id: str, amount: str | None) -> None:
        self.edit(deal_id, amount=amount)

    def set_close_date(self, deal_id: str, when: datetime | None) -> None:
        self.edit(deal_id, closedate=format_datetime(when))

    def set_owner(self, deal_id: str, owner_id: str | None) -> None:
        self.edit(deal_id, hubspot_owner_id=owner_id)

    def bulk_edit(self, deal_ids: list[str], **changes: str | None) -> str:
        """One change to many deals with one ``hs_lastmodifieddate``, like HubSpot's bulk jobs."""
        stamp = self.stamp()
        for deal_id in deal_ids:
            self._apply(self.props(deal_id), changes, stamp)
        self.fake.changed()
        return stamp

    def archive(self, deal_id: str) -> None:
        """Delete (archive) a deal: gone from search, listed with ``archivedAt``."""
        stamp = self.stamp()
        self.fake.archived[deal_id] = (self._remove(deal_id), stamp)

    def restore(self, deal_id: str) -> None:
        """Restore an archived deal: back in search with a new ``hs_lastmodifieddate``."""
        props, _ = self.fake.archived.pop(deal_id)
        props["hs_lastmodifieddate"] = self.stamp()
        self._insert(deal_id, props)

    def merge(self, survivor_id: str, merged_id: str) -> None:
        """Merge ``merged_id`` into ``survivor_id``: the merged deal is gone (not archived); the
        survivor lists it (and whatever it had absorbed) in ``hs_merged_object_ids``."""
        merged = self._remove(merged_id)
        props = self.props(survivor_id)
        absorbed = [*(props.get("hs_merged_object_ids") or "").split(";"), merged_id]
        absorbed += (merged.get("hs_merged_object_ids") or "").split(";")
        value = ";".join(dict.fromkeys(i for i in absorbed if i))
        self._apply(props, {"hs_merged_object_ids": value}, self.stamp())
        self.fake.changed()

    def during_search(self, mutation: Callable[[], Any], *, after: int = 1) -> None:
        """Run ``mutation`` once, inside the search request that comes after ``after`` more searches."""
        remaining = [after]

        def hook(_: Mapping[str, Any]) -> None:
            if remaining[0] > 0:
                remaining[0] -= 1
                return
            self.fake.before_search.remove(hook)
            mutation()

        self.fake.before_search.append(hook)

    # ------------------------------------------------------------------ pipelines and owners

    def add_stage(self, pipeline_id: str, stage: Stage) -> None:
        """A new stage in a pipeline (the portal's pipelines change; deals keep their values)."""
        pipelines: list[Pipeline] = []
        for pipeline in self.fake.portal.pipelines:
            if pipeline.id == pipeline_id:
                pipeline = pipeline.model_copy(update={"stages": (*pipeline.stages, stage)})
            pipelines.append(pipeline)
        self.fake.portal = self.fake.portal.model_copy(update={"pipelines": tuple(pipelines)})
        self.fake._known.add(f"hs_v2_date_entered_{stage.id}")
        self.fake.changed()

    def set_owners(self, owners: tuple[Owner, ...]) -> None:
        self.fake.portal = self.fake.portal.model_copy(update={"owners": owners})
