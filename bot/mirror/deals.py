"""The mirror's deals in memory, as columns (:class:`engines.DealColumns`), kept in step by deltas.

Why columns: 100,000 pydantic ``Deal`` models held ~130 MB and were walked attribute by attribute;
the columns hold the same values in about a third of that and are what the analysis reads directly.
A ``Deal`` is built only for the few deals a card, a drill-down or the change card shows
(``DealTable`` builds them on access).

How it stays in step:

- Each stored row's properties become one slot of the columns, parsed exactly as
  ``engines.hubspot.to_deal`` parses them (the mirror tests compare every deal with ``to_deal``'s);
  repeated strings are interned and a date text is parsed once per batch.
- A delta overwrites the slots of changed deals and empties the slots of removed ones; new deals are
  appended. Answers read the deals in HubSpot id order (as the live read returns them), so when new
  ids arrive out of order (HubSpot's ids mostly grow), or a quarter of the slots are empty, the
  columns are rebuilt in id order before the next answer (one gather per column, ~0.1 s at 100k; a
  delta that only changes or removes deals needs none).
- Once a table over the columns has been handed to an answer (which may be analysed on a worker
  thread), the next delta writes into a copy of the column containers, never under the answer.
- An answer's selection (its pipeline; open deals and those closed within the lookback) is a byte
  mask over the columns, cached until the next change (for a minute: the window moves with the clock).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from engines import NO_DATE, Deal, DealColumns, DealTable, Pipeline, parse_number, to_micros, to_utc
from engines.hubspot import CURRENT_STAGE_ENTERED, stage_keys
from engines.hubspot import property_text as _text

__all__ = ["MirroredDeals"]

Props = Mapping[str, Any]
_DATE_CACHE = 200_000
_OPEN, _CLOSED, _UNKNOWN = 0, 1, 2  # hs_is_closed per slot
_TRIM_AFTER = 10_000  # rows applied since the heap was last handed back


def _heap_trimmer() -> Callable[[], object] | None:
    """glibc's ``malloc_trim(0)``, else ``None`` (other C libraries: nothing to do)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim: Callable[[int], int] = libc.malloc_trim
    except (OSError, AttributeError):
        return None
    return lambda: trim(0)


_trim_heap = _heap_trimmer()


def _interned(value: Any) -> str | None:
    found = _text(value) if isinstance(value, str) else None
    return sys.intern(found) if found is not None else None


def _id_order(deal_id: str) -> tuple[int, str]:
    """HubSpot's id order (numeric ids as numbers), the order the live read returns deals in."""
    return (len(deal_id), deal_id)


class MirroredDeals:
    """One portal's live deals as columns. Not thread-safe: apply deltas from one event loop."""

    def __init__(self) -> None:
        self._columns = DealColumns()
        self._slots: dict[str, int] = {}  # deal id -> slot
        self._live = bytearray()  # per slot: 1 while a deal occupies it
        self._closed = bytearray()  # per slot: hs_is_closed (_OPEN, _CLOSED, _UNKNOWN)
        self._empty = 0  # slots emptied by removals (never reused: that would break the order)
        self._ordered = True  # the occupied slots are in id order
        self._last_key: tuple[int, str] = (0, "")
        self._entry_properties: dict[str, tuple[str, bool]] = {}
        self._dates: dict[str, int] = {}
        self._selections: dict[tuple[str | None, int], tuple[datetime, DealTable]] = {}
        self._everything: DealTable | None = None
        self._untrimmed = 0  # rows applied since the heap was last handed back

    def __len__(self) -> int:
        return len(self._slots)

    def __contains__(self, deal_id: object) -> bool:
        return deal_id in self._slots

    def set_pipelines(self, pipelines: tuple[Pipeline, ...]) -> None:
        """The stage-entry properties to read (property name -> (stage id, is the v2 name))."""
        keys = stage_keys(dict.fromkeys(s.id for p in pipelines for s in p.stages))
        self._entry_properties = {v1: (sid, False) for sid, _, v1 in keys}
        self._entry_properties.update({v2: (sid, True) for sid, v2, _ in keys})
        self._changed()

    def _changed(self) -> None:
        self._selections.clear()
        self._everything = None

    # ------------------------------------------------------------------ writing

    def apply(self, upserts: Mapping[str, Props], removed: Iterable[str]) -> None:
        """One sync's writes: ``upserts`` (id -> properties as stored) and ``removed`` ids."""
        if self._columns.shared:
            self._columns = self._columns.copy()
        columns = self._columns
        for deal_id in removed:
            slot = self._slots.pop(deal_id, None)
            if slot is not None:
                columns.release(slot)
                self._live[slot] = 0
                self._closed[slot] = _UNKNOWN
                self._empty += 1
        self._untrimmed += len(upserts)
        for deal_id, props in upserts.items():
            slot = self._slots.get(deal_id)
            if slot is None:
                slot = self._new_slot(deal_id)
            self._write(slot, deal_id, props)
        self._dates.clear()  # shared within one batch; kept, it would pin every date's text
        self._changed()

    def _new_slot(self, deal_id: str) -> int:
        key = _id_order(deal_id)
        slot = self._columns.add()
        self._live.append(1)
        self._closed.append(_UNKNOWN)
        if key < self._last_key:
            self._ordered = False
        else:
            self._last_key = key
        self._slots[sys.intern(deal_id)] = slot
        return slot

    def _when(self, value: Any) -> int:
        """A date property as microseconds (as the Deal validator reads it), parsed once per text."""
        if not isinstance(value, str):
            return to_micros(to_utc(value))
        found = self._dates.get(value)
        if found is None:
            if len(self._dates) >= _DATE_CACHE:
                self._dates.clear()
            found = self._dates[value] = to_micros(to_utc(value))
        return found

    def _write(self, slot: int, deal_id: str, props: Props) -> None:
        """The deal ``to_deal`` makes of these properties, written into ``slot``."""
        when = self._when
        # As to_deal: per stage the v2 value if it has one (even unreadable), else the older one.
        raw: dict[str, str] = {}
        entry_properties = self._entry_properties
        for name, value in props.items():
            found = entry_properties.get(name)
            if found is not None and value and (found[1] or found[0] not in raw):
                raw[found[0]] = value
        stage_id = _interned(props.get("dealstage"))
        if stage_id is not None and stage_id not in raw and props.get(CURRENT_STAGE_ENTERED):
            raw[stage_id] = props[CURRENT_STAGE_ENTERED]
        entries: dict[str, int] = {}
        for entered_stage, value in raw.items():
            micros = when(value)
            if micros != NO_DATE:
                entries[entered_stage] = micros
        self._columns.put(
            slot,
            deal_id=sys.intern(deal_id),
            name=_text(props.get("dealname")),
            amount=parse_number(props.get("amount")),
            pipeline_id=_interned(props.get("pipeline")),
            stage_id=stage_id,
            owner_id=_interned(props.get("hubspot_owner_id")),
            deal_type=_interned(props.get("dealtype")),
            currency=_interned(props.get("deal_currency_code")),
            created=when(props.get("createdate")),
            close=when(props.get("closedate")),
            activity=when(props.get("notes_last_updated")),
            modified=when(props.get("hs_lastmodifieddate")),
            entries=entries,
        )
        closed = (props.get("hs_is_closed") or "").strip().lower()
        self._closed[slot] = _CLOSED if closed == "true" else _OPEN if closed == "false" else _UNKNOWN

    def _settle(self) -> None:
        """Hand the memory a load (or a big delta) freed back to the operating system.

        Loading parses every stored row's JSON, a batch at a time, between the columns being filled;
        glibc keeps most of what those rows freed (measured at 100k deals: 6-8 MB of the process'
        RSS, given back by ``malloc_trim``). Done once before an answer reads the columns, only after
        ``_TRIM_AFTER`` rows, so an ordinary delta never pays for it (a few ms).
        """
        if self._untrimmed >= _TRIM_AFTER and _trim_heap is not None:
            _trim_heap()
        self._untrimmed = 0

    def _in_order(self) -> DealColumns:
        """The columns with the live deals in id order (rebuilt when they are not, when a quarter of
        the slots are empty, or when half the packed names and entry times are left-overs of deals
        rewritten since)."""
        columns = self._columns
        if (
            self._ordered
            and self._empty * 4 <= len(self._live)
            and columns.waste <= columns.packed_bytes() // 2
        ):
            return columns
        old = self._columns
        slots = sorted(self._slots.values(), key=lambda slot: _id_order(old.ids[slot]))
        columns = old.gather(slots, consume=not old.shared)
        self._columns = columns
        self._slots = {deal_id: slot for slot, deal_id in enumerate(columns.ids)}
        self._live = bytearray(b"\x01") * len(slots)
        self._closed = bytearray(map(self._closed.__getitem__, slots))
        self._empty = 0
        self._ordered = True
        self._last_key = _id_order(columns.ids[-1]) if slots else (0, "")
        self._untrimmed += len(slots)
        self._settle()
        return columns

    # ------------------------------------------------------------------ reading

    def get(self, deal_id: str) -> Deal | None:
        """One deal, built from its slot (``None``: not held)."""
        slot = self._slots.get(deal_id)
        return None if slot is None else self._columns.deal(slot)

    def everything(self) -> DealTable:
        """Every live deal, in id order (a table: deals are built on access)."""
        if self._everything is None:
            columns = self._in_order()
            self._everything = DealTable(columns, bytes(self._live) if self._empty else None)
        return self._everything

    def selection(self, pipeline_id: str | None, lookback_days: int, now: datetime) -> DealTable:
        """Open deals, and deals closed within the lookback window, as the live HubSpot read
        selects them; in id order."""
        key = (pipeline_id, lookback_days)
        since = now - timedelta(days=lookback_days)
        cached = self._selections.get(key)
        # The window's start moves with the clock: a cached selection is good for a minute.
        if cached is not None and abs((cached[0] - since).total_seconds()) < 60:
            return cached[1]
        columns = self._in_order()
        since_us = to_micros(since)
        mask = bytes(
            (state == _OPEN or (state == _CLOSED and close != NO_DATE and close >= since_us))
            and (pipeline_id is None or pid == pipeline_id)
            for state, close, pid in zip(self._closed, columns.close, columns.pipeline_ids, strict=True)
        )
        table = DealTable(columns, mask)
        self._selections[key] = (since, table)
        return table
