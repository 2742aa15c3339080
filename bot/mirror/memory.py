"""The mirror in memory: what answers read, kept in step by applying each sync's changes.

A deal becomes a :class:`engines.models.Deal` once, when it is loaded or changes, never per answer.
An answer filters the deals the way the live HubSpot read does (the pipeline asked for; open deals
and deals closed within the lookback window) and wraps them in a :class:`PortalSnapshot` without
re-validating them; the filtered tuple is cached until the next change, so repeated answers between
syncs cost a dictionary lookup. Repeated strings (pipeline, stage, owner ids) are interned, so 100,000
deals share one copy of each.

Other object types (issue "All three engines measured…") are kept as their property dictionaries
under :attr:`MemoryPortal.objects` until their models exist.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from engines.dates import to_utc
from engines.hubspot._mapping import RawDeal, StageKeys, stage_keys, to_deal
from engines.models import Deal, Owner, Pipeline, PortalInfo, PortalSnapshot

__all__ = ["MemoryPortal"]

Props = Mapping[str, Any]
_INTERNED = ("pipeline", "dealstage", "hubspot_owner_id", "dealtype", "deal_currency_code", "hs_is_closed")


@dataclass(frozen=True, slots=True)
class _Entry:
    deal: Deal
    closed: bool | None  # hs_is_closed: True, False, or None when HubSpot left it empty
    close_date: datetime | None


class MemoryPortal:
    """One portal's mirrored objects in memory. Not thread-safe: use it from one event loop."""

    def __init__(self, portal: str) -> None:
        self.portal = portal
        self.account = PortalInfo()
        self.pipelines: tuple[Pipeline, ...] = ()
        self.owners: tuple[Owner, ...] = ()
        self.objects: dict[str, dict[str, Props]] = {}
        self.watermark: datetime | None = None  # start of the newest sync applied
        self._deals: dict[str, _Entry] = {}
        self._stage_keys: StageKeys = ()
        self._version = 0
        self._answers: dict[tuple[str | None, int, int], tuple[datetime, tuple[Deal, ...]]] = {}

    def __len__(self) -> int:
        return len(self._deals)

    def set_portal(
        self, account: PortalInfo, pipelines: tuple[Pipeline, ...], owners: tuple[Owner, ...]
    ) -> None:
        if (account, pipelines, owners) == (self.account, self.pipelines, self.owners):
            return
        self.account, self.pipelines, self.owners = account, pipelines, owners
        self._stage_keys = stage_keys(dict.fromkeys(s.id for p in pipelines for s in p.stages))
        self._changed()

    def _changed(self) -> None:
        self._version += 1
        self._answers.clear()

    def _entry(self, object_id: str, props: Props) -> _Entry:
        interned = dict(props)
        for name in _INTERNED:
            value = interned.get(name)
            if isinstance(value, str):
                interned[name] = sys.intern(value)
        deal = to_deal(
            RawDeal.model_construct(id=sys.intern(object_id), properties=interned), self._stage_keys
        )
        closed_text = (interned.get("hs_is_closed") or "").strip().lower()
        closed = True if closed_text == "true" else False if closed_text == "false" else None
        return _Entry(deal, closed, to_utc(interned.get("closedate")))

    def apply(self, object_type: str, upserts: Mapping[str, Props], removed: Iterable[str] = ()) -> None:
        """Take one sync's writes: ``upserts`` (id -> properties as stored) and ``removed`` ids."""
        removed = list(removed)
        if not upserts and not removed:
            return
        if object_type == "deals":
            for object_id in removed:
                self._deals.pop(object_id, None)
            for object_id, props in upserts.items():
                self._deals[object_id] = self._entry(object_id, props)
        else:
            held = self.objects.setdefault(object_type, {})
            for object_id in removed:
                held.pop(object_id, None)
            held.update(upserts)
        self._changed()

    def deals(self) -> dict[str, Deal]:
        """Every live deal held, by id (a new dict; the deals themselves are shared)."""
        return {object_id: entry.deal for object_id, entry in self._deals.items()}

    def _deals_for(self, pipeline_id: str | None, lookback_days: int, now: datetime) -> tuple[Deal, ...]:
        """Open deals, and deals closed within the lookback window, as the live HubSpot read selects."""
        key = (pipeline_id, lookback_days, self._version)
        since = now - timedelta(days=lookback_days)
        cached = self._answers.get(key)
        # The window's start moves with the clock: a cached selection is good for a minute.
        if cached is not None and abs((cached[0] - since).total_seconds()) < 60:
            return cached[1]
        chosen = [
            e.deal
            for e in self._deals.values()
            if (pipeline_id is None or e.deal.pipeline_id == pipeline_id)
            and (
                e.closed is False or (e.closed is True and e.close_date is not None and e.close_date >= since)
            )
        ]
        chosen.sort(key=lambda d: (len(d.id), d.id))
        deals = tuple(chosen)
        self._answers[key] = (since, deals)
        return deals

    def snapshot(
        self, *, pipeline_id: str | None, lookback_days: int, now: datetime, taken_at: datetime
    ) -> PortalSnapshot:
        deals = self._deals_for(pipeline_id, lookback_days, now)
        # model_construct: the parts are validated models already; 100k deals are not checked again.
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
