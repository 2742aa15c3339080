"""The mirror in memory: what answers read, kept in step by applying each sync's changes.

A deal becomes a :class:`engines.models.Deal` once, when it is loaded or changes, never per answer.
An answer filters the deals the way the live HubSpot read does (the pipeline asked for; open deals
and deals closed within the lookback window) and wraps them in a :class:`PortalSnapshot` without
re-validating them; the filtered tuple is cached until the next change, so repeated answers between
syncs cost a dictionary lookup. Repeated strings (pipeline, stage, owner ids) are interned, so 100,000
deals share one copy of each.

The other mirrored object types (contacts, tickets, survey responses, products, goal targets) live
in :attr:`MemoryPortal.others` (:mod:`bot.mirror.objects`); a type the mirror does not model is kept
as its property dictionaries under :attr:`MemoryPortal.objects`.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.mirror.line_items import LINE_ITEMS_KIND, META_KIND, LineItemMemory
from bot.mirror.objects import ObjectsMemory
from engines import Deal, Owner, Pipeline, PortalInfo, PortalSnapshot, to_utc
from engines.hubspot import CURRENT_STAGE_ENTERED, MirroredType, StageKeys, stage_keys
from engines.hubspot import property_text as _text

__all__ = ["MemoryPortal"]

Props = Mapping[str, Any]
# Repeated across deals: one string object each (sys.intern), not one per deal.
_TEXT = ("pipeline", "dealstage", "hubspot_owner_id", "dealtype", "deal_currency_code")
_DEAL_FIELDS = set(Deal.model_fields)  # shared by every deal instead of a set per deal
_DATE_CACHE = 200_000
_MISSING = object()


def _interned_text(value: Any) -> str | None:
    found = _text(value) if isinstance(value, str) else None
    return sys.intern(found) if found is not None else None


@dataclass(frozen=True, slots=True)
class _Entry:
    deal: Deal
    closed: bool | None  # hs_is_closed: True, False, or None when HubSpot left it empty
    close_date: datetime | None


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
        self._deals: dict[str, _Entry] = {}
        self._stage_keys: StageKeys = ()
        self._entry_properties: dict[str, tuple[str, bool]] = {}
        self._version = 0
        self._answers: dict[tuple[str | None, int, int], tuple[datetime, tuple[Deal, ...]]] = {}
        self._dates: dict[str, object] = {}

    def __len__(self) -> int:
        return len(self._deals)

    def set_portal(
        self, account: PortalInfo, pipelines: tuple[Pipeline, ...], owners: tuple[Owner, ...]
    ) -> None:
        if (account, pipelines, owners) == (self.account, self.pipelines, self.owners):
            return
        self.account, self.pipelines, self.owners = account, pipelines, owners
        self._stage_keys = stage_keys(dict.fromkeys(s.id for p in pipelines for s in p.stages))
        # property name -> (stage id, is the v2 name): one lookup per property a deal has.
        self._entry_properties = {v1: (sid, False) for sid, _, v1 in self._stage_keys}
        self._entry_properties.update({v2: (sid, True) for sid, v2, _ in self._stage_keys})
        self._changed()

    def _changed(self) -> None:
        self._version += 1
        self._answers.clear()

    def _when(self, value: Any) -> datetime | None:
        """A date property as the Deal validator reads it, one object per distinct text (close
        dates, stage dates and bulk-edit stamps repeat across deals)."""
        if not isinstance(value, str):
            return to_utc(value)
        cached = self._dates.get(value, _MISSING)
        if cached is _MISSING:
            if len(self._dates) >= _DATE_CACHE:
                self._dates.clear()
            cached = self._dates[value] = to_utc(value)
        return cached  # type: ignore[return-value]

    def _entry(self, object_id: str, props: Props) -> _Entry:
        """The deal ``to_deal`` makes of these properties, built without re-validating: the same
        parsers, shared strings and dates, one shared fields-set. (The mirror tests compare every
        deal with ``to_deal``'s.)"""
        text = {name: _interned_text(props.get(name)) for name in _TEXT}
        when = self._when
        # As to_deal: per stage the v2 value if it has one (even unreadable), else the older one.
        raw: dict[str, str] = {}
        entry_properties = self._entry_properties
        for name, value in props.items():
            found = entry_properties.get(name)
            if found is not None and value and (found[1] or found[0] not in raw):
                raw[found[0]] = value
        current = text["dealstage"]
        if current is not None and current not in raw and props.get(CURRENT_STAGE_ENTERED):
            raw[current] = props[CURRENT_STAGE_ENTERED]
        entered: dict[str, datetime] = {}
        for stage_id, value in raw.items():
            parsed = when(value)
            if parsed is not None:
                entered[stage_id] = parsed
        close_date = when(props.get("closedate"))
        deal = Deal.model_construct(
            _fields_set=_DEAL_FIELDS,
            id=sys.intern(object_id),
            name=_text(props.get("dealname")),
            amount=Deal._parse_amount(props.get("amount")),
            pipeline_id=text["pipeline"],
            stage_id=current,
            owner_id=text["hubspot_owner_id"],
            deal_type=text["dealtype"],
            currency=text["deal_currency_code"],
            created_at=when(props.get("createdate")),
            close_date=close_date,
            last_activity_at=when(props.get("notes_last_updated")),
            last_modified_at=when(props.get("hs_lastmodifieddate")),
            stage_entered_at=entered,
            archived=False,
        )
        closed_text = (props.get("hs_is_closed") or "").strip().lower()
        closed = True if closed_text == "true" else False if closed_text == "false" else None
        return _Entry(deal, closed, close_date)

    def apply(self, object_type: str, upserts: Mapping[str, Props], removed: Iterable[str] = ()) -> None:
        """Take one sync's writes: ``upserts`` (id -> properties as stored) and ``removed`` ids."""
        removed = list(removed)
        if not upserts and not removed:
            return
        if object_type in (LINE_ITEMS_KIND, META_KIND):
            self.line_items.apply(object_type, upserts, removed)
            return
        if object_type == "deals":
            for object_id in removed:
                self._deals.pop(object_id, None)
            for object_id, props in upserts.items():
                self._deals[object_id] = self._entry(object_id, props)
            self._dates.clear()  # shared within one batch; kept, it would pin every date's text
        elif self.others.holds(object_type):
            self.others.apply(object_type, upserts, removed)
            return  # deals' selections are unchanged
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
