"""The mirror in memory: what answers read, kept in step by applying each sync's changes.

Deals are held as columns (:mod:`bot.mirror.deals`, :class:`engines.DealColumns`), written once
when they load or change, never rebuilt per answer; an answer's snapshot is a table over them (the
pipeline asked for; open deals and deals closed within the lookback window, as the live HubSpot read
selects them), cached until the next change, so repeated answers between syncs cost a dictionary
lookup. A ``Deal`` model is built only for a deal someone looks at.

The other mirrored object types (contacts, tickets, survey responses, products, goal targets) live
in :attr:`MemoryPortal.others` (:mod:`bot.mirror.objects`); a type the mirror does not model is kept
as its property dictionaries under :attr:`MemoryPortal.objects`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from bot.mirror.deals import MirroredDeals
from bot.mirror.line_items import LINE_ITEMS_KIND, META_KIND, LineItemMemory
from bot.mirror.objects import ObjectsMemory
from engines import Deal, DealTable, Owner, Pipeline, PortalInfo, PortalSnapshot
from engines.hubspot import MirroredType

__all__ = ["MemoryPortal"]

Props = Mapping[str, Any]


class MemoryPortal:
    """One portal's mirrored objects in memory. Not thread-safe: use it from one event loop."""

    def __init__(self, portal: str, object_types: Sequence[MirroredType] = ()) -> None:
        self.portal = portal
        self.others = ObjectsMemory(object_types)
        self.account = PortalInfo()
        self.pipelines: tuple[Pipeline, ...] = ()
        self.owners: tuple[Owner, ...] = ()
        self.objects: dict[str, dict[str, Props]] = {}
        self.line_items = LineItemMemory()  # the line items of the deals won in the window
        self.watermark: datetime | None = None  # start of the newest sync applied
        self._deals = MirroredDeals()

    def __len__(self) -> int:
        return len(self._deals)

    def set_portal(
        self, account: PortalInfo, pipelines: tuple[Pipeline, ...], owners: tuple[Owner, ...]
    ) -> None:
        if (account, pipelines, owners) == (self.account, self.pipelines, self.owners):
            return
        self.account, self.pipelines, self.owners = account, pipelines, owners
        self._deals.set_pipelines(pipelines)

    def apply(self, object_type: str, upserts: Mapping[str, Props], removed: Iterable[str] = ()) -> None:
        """Take one sync's writes: ``upserts`` (id -> properties as stored) and ``removed`` ids."""
        removed = list(removed)
        if not upserts and not removed:
            return
        if object_type in (LINE_ITEMS_KIND, META_KIND):
            self.line_items.apply(object_type, upserts, removed)
            return
        if object_type == "deals":
            self._deals.apply(upserts, removed)
        elif self.others.holds(object_type):
            self.others.apply(object_type, upserts, removed)
        else:
            held = self.objects.setdefault(object_type, {})
            for object_id in removed:
                held.pop(object_id, None)
            held.update(upserts)

    def deals(self) -> dict[str, Deal]:
        """Every live deal held, by id, as models: builds all of them (tests and small portals;
        answers read :meth:`all_deals` or :meth:`deal`)."""
        return {deal.id: deal for deal in self._deals.everything()}

    def all_deals(self) -> DealTable:
        """Every live deal held, in id order; a ``Deal`` is built only when one is read."""
        return self._deals.everything()

    def deal(self, deal_id: str) -> Deal | None:
        """One deal by id (``None``: not held)."""
        return self._deals.get(deal_id)

    def snapshot(
        self, *, pipeline_id: str | None, lookback_days: int, now: datetime, taken_at: datetime
    ) -> PortalSnapshot:
        deals = self._deals.selection(pipeline_id, lookback_days, now)
        # model_construct: the parts are validated already; the deals are a table over the columns.
        return PortalSnapshot.model_construct(
            portal=self.account,
            pipelines=self.pipelines,
            owners=self.owners,
            deals=deals,
            taken_at=taken_at,
            source="hubspot",
            pipeline_id=pipeline_id,
            lookback_days=lookback_days,
            deals_total=len(deals),
            truncated=False,
            warnings=(),
        )
