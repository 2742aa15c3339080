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
    item = change.add_line_item(deal_id, amount="900")   # the deal's count changes, and its date
    change.edit_line_item(item, amount="950")
    change.move_line_item(item, other_deal, bump_deal=False)   # an association change HubSpot may
    change.archive_line_item(item)                              # not date on the deal

A line item's parent changes (add, move, archive) update the deal's ``hs_num_of_associated_line_items``
as HubSpot's calculated property does; whether that also moves the deal's ``hs_lastmodifieddate`` is
not documented, so ``bump_deal`` chooses (default: it does). Moving a line item does not date the line
item itself (associations are not properties).

``live()`` is what a complete read would return now (id → properties), for tests to compare against.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from engines.dates import utc_now
from engines.models import Deal, Owner, Pipeline, Stage
from tests.support.hubspot import NUM_LINE_ITEMS, FakeHubSpot, _id_key, format_datetime

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
            NUM_LINE_ITEMS: "0",
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
        survivor lists it (and whatever it had absorbed) in ``hs_merged_object_ids`` and takes over
        its line items."""
        merged = self._remove(merged_id)
        props = self.props(survivor_id)
        absorbed = [*(props.get("hs_merged_object_ids") or "").split(";"), merged_id]
        absorbed += (merged.get("hs_merged_object_ids") or "").split(";")
        value = ";".join(dict.fromkeys(i for i in absorbed if i))
        for item in list(self.fake.objects.deal_items.get(merged_id, ())):
            self.fake.objects.associate(item, survivor_id)
        self._apply(
            props, {"hs_merged_object_ids": value, NUM_LINE_ITEMS: self._count(survivor_id)}, self.stamp()
        )
        self.fake.changed()

    # ------------------------------------------------------------------ line items

    def line_items(self, deal_id: str | None = None) -> dict[str, Props]:
        """Every live line item's properties (copies), or those of one deal, by id."""
        objects = self.fake.objects
        ids = (
            objects.deal_items.get(deal_id, []) if deal_id is not None else list(objects.index["line_items"])
        )
        return {i: dict(objects.index["line_items"][i]) for i in ids}

    def deal_of(self, item_id: str) -> str | None:
        return self.fake.objects.item_deal.get(item_id)

    def _count(self, deal_id: str) -> str:
        return str(len(self.fake.objects.deal_items.get(deal_id, ())))

    def _deal_props(self, deal_id: str) -> Props | None:
        if deal_id in self.fake.archived:
            return self.fake.archived[deal_id][0]
        try:
            return self.props(deal_id)
        except KeyError:
            return None  # merged away

    def _recount(self, deal_id: str | None, bump: bool) -> None:
        """The deal's calculated line-item count, as HubSpot recalculates it; ``bump`` dates it."""
        props = self._deal_props(deal_id) if deal_id is not None else None
        if props is None:
            return
        if bump:
            self._apply(props, {NUM_LINE_ITEMS: self._count(str(deal_id))}, self.stamp())
        else:
            props[NUM_LINE_ITEMS] = self._count(str(deal_id))
        self.fake.changed()

    def add_line_item(self, deal_id: str | None, *, bump_deal: bool = True, **changes: str | None) -> str:
        """A new line item (the next id after the highest ever used) on ``deal_id``; returns its id."""
        objects = self.fake.objects
        used = [int(i) for i in objects.index["line_items"] if i.isdigit()]
        item_id = str(max([*used, objects.highest_line_item], default=90_000) + 1)
        objects.highest_line_item = int(item_id)
        stamp = self.stamp()
        props: Props = {
            "name": f"Line item {item_id}",
            "hs_product_id": None,
            "amount": None,
            "quantity": "1",
            "createdate": stamp,
            "hs_lastmodifieddate": stamp,
            "hs_object_id": item_id,
        }
        props.update(changes)
        objects.put("line_items", item_id, props)
        objects.associate(item_id, deal_id)
        self._recount(deal_id, bump_deal)
        return item_id

    def edit_line_item(self, item_id: str, **changes: str | None) -> None:
        props = self.fake.objects.index["line_items"][item_id]
        props.update(changes)
        props["hs_lastmodifieddate"] = self.stamp()
        self.fake.objects.known["line_items"].update(props)

    def archive_line_item(self, item_id: str, *, bump_deal: bool = True) -> None:
        """Delete a line item: gone from search and batch reads, and from its deal's associations."""
        self.fake.objects.drop("line_items", item_id)
        self._recount(self.fake.objects.associate(item_id, None), bump_deal)

    def move_line_item(self, item_id: str, deal_id: str | None, *, bump_deal: bool = True) -> None:
        """Give a line item another parent deal (or none); the line item itself is not dated."""
        old = self.fake.objects.associate(item_id, deal_id)
        self._recount(old, bump_deal)
        self._recount(deal_id, bump_deal)

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

    def remove_stage(self, pipeline_id: str, stage_id: str) -> None:
        """A stage deleted from a pipeline (HubSpot refuses while deals sit in it; the entry-date
        property stays defined, and deals that passed through keep their value)."""
        pipelines: list[Pipeline] = []
        for pipeline in self.fake.portal.pipelines:
            if pipeline.id == pipeline_id:
                kept = tuple(s for s in pipeline.stages if s.id != stage_id)
                pipeline = pipeline.model_copy(update={"stages": kept})
            pipelines.append(pipeline)
        self.fake.portal = self.fake.portal.model_copy(update={"pipelines": tuple(pipelines)})
        self.fake.changed()

    def set_owners(self, owners: tuple[Owner, ...]) -> None:
        self.fake.portal = self.fake.portal.model_copy(update={"owners": owners})
