"""Deals as columns: the compact form the analysis walks and the CRM mirror keeps in memory.

Why: one pydantic :class:`~engines.models.Deal` per deal costs about 1.3 KB (the model, its
``__dict__``, a dict of stage entries and a 48-byte ``datetime`` per date), and reading its attributes
one deal at a time is most of the analysis' time. :class:`DealColumns` holds the same values as
parallel columns instead: strings in lists (ids and labels interned, so 100,000 deals share one copy of
each stage, pipeline and owner id), amounts in an ``array('d')``, every date as integer microseconds
since the epoch in an ``array('q')``, a deal's stage entries as one shared tuple of stage ids plus the
entry times packed in ``bytes``. About 0.35 KB a deal, and the walk in :mod:`engines.stats` compares
integers instead of ``datetime`` objects.

:class:`DealTable` is the public face: a ``Sequence[Deal]`` over some slots of a :class:`DealColumns`
(in the order given), which is what ``PortalSnapshot.deals`` holds. Code that wants a ``Deal`` still
gets one - built on access from the columns, equal to the deal the columns were made from (tests pin
that) - so a deal card or a drill-down materialises the few deals it shows, never 100,000.

A table never changes: the mirror writes deltas into a copy of the columns once a table over them has
been handed out (:meth:`DealColumns.copy` copies the column containers, not the values), so an answer
being analysed on a worker thread never sees a half-applied delta.

Exactness: microseconds since the epoch as Python ints are exact for every ``datetime`` (year 1 to
9999), and ``(a - b) / 1_000_000`` is the same float as ``timedelta.total_seconds()``, so every number
of every report is unchanged (reports were hashed before and after on 0 to 100,000-deal portals).
"""

from __future__ import annotations

import math
import sys
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from itertools import compress
from typing import TypeVar, overload

from engines.models import Deal
from engines.trusted import trusted_maker

__all__ = [
    "EPOCH",
    "NO_DATE",
    "DealColumns",
    "DealTable",
    "deal_table",
    "deals_by_id",
    "from_micros",
    "to_micros",
]

#: "No date" in the microsecond columns (every real date is far above it).
NO_DATE = -(2**63)
#: What the microsecond columns count from.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
_NAN = math.nan
_NO_ENTRIES: tuple[str, ...] = ()

_new_deal = trusted_maker(Deal)
T = TypeVar("T")


#: The fixed-width columns of DealColumns, one item per slot (names and entry times are packed).
_COLUMNS = (
    "ids",
    "name_at",
    "name_len",
    "amounts",
    "pipeline_ids",
    "stage_ids",
    "owner_ids",
    "deal_types",
    "currencies",
    "created",
    "close",
    "activity",
    "modified",
    "touched",
    "entered_current",
    "entered_shape",
    "times_at",
    "archived",
)


def to_micros(when: datetime | None) -> int:
    """Microseconds since the epoch of an aware ``datetime``; :data:`NO_DATE` for ``None``."""
    return NO_DATE if when is None else (when - EPOCH) // _US


def from_micros(micros: int) -> datetime | None:
    """The aware UTC ``datetime`` of :func:`to_micros` (exact), ``None`` for :data:`NO_DATE`."""
    return None if micros == NO_DATE else EPOCH + timedelta(0, 0, micros)  # positional: 2x faster


class DealColumns:
    """The columns of a set of deals, one slot per deal (see the module docstring).

    Names (UTF-8) and stage entry times are packed into one buffer each, with a per-slot offset: no
    small object per deal that lives as long as the mirror (100,000 of them, allocated between a
    load's short-lived rows, kept that memory from being returned). Rewriting a slot appends; the
    space left behind is counted in :attr:`waste` and dropped by :meth:`gather`.

    Writers: :meth:`add` / :meth:`put` (from parsed values) and :meth:`release` (a slot no longer
    used). Once a :class:`DealTable` has been made over the columns (:attr:`shared`), write into
    :meth:`copy` instead.
    """

    __slots__ = (
        "_shape_codes",
        "activity",
        "amounts",
        "archived",
        "close",
        "created",
        "currencies",
        "deal_types",
        "entered_current",
        "entered_shape",
        "ids",
        "modified",
        "name_at",
        "name_len",
        "name_text",
        "owner_ids",
        "pipeline_ids",
        "shapes",
        "shared",
        "stage_ids",
        "times",
        "times_at",
        "touched",
        "waste",
    )

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.name_text = bytearray()  # every name, UTF-8, back to back
        self.name_at = array("q")  # where a slot's name starts in name_text
        self.name_len = array("l")  # its length in bytes; -1: no name
        self.amounts = array("d")  # NaN: no amount (HubSpot's numbers are finite)
        self.pipeline_ids: list[str | None] = []
        self.stage_ids: list[str | None] = []
        self.owner_ids: list[str | None] = []
        self.deal_types: list[str | None] = []
        self.currencies: list[str | None] = []
        self.created = array("q")  # microseconds since the epoch, NO_DATE when absent
        self.close = array("q")
        self.activity = array("q")  # notes_last_updated
        self.modified = array("q")  # hs_lastmodifieddate
        self.touched = array("q")  # the last activity, else the last modification (what ages a deal)
        self.entered_current = array("q")  # when the deal entered its current stage
        # The stage ids a deal entered, in its order, as a code into ``shapes`` (deals follow a few
        # funnels, so a few shapes serve them all; code 0 is "none"), and their entry times: from
        # ``times_at`` on in ``times`` (microseconds), one per stage of the shape.
        self.entered_shape = array("l")
        self.times = array("q")
        self.times_at = array("q")
        self.archived = bytearray()
        self.waste = 0  # bytes of name_text and times no slot points to any more
        self.shared = False  # a DealTable reads these columns: write into a copy
        self.shapes: list[tuple[str, ...]] = [_NO_ENTRIES]  # append-only, shared by copies
        self._shape_codes: dict[tuple[str, ...], int] = {_NO_ENTRIES: 0}

    def __len__(self) -> int:
        return len(self.ids)

    def packed_bytes(self) -> int:
        """The size of the packed buffers (what :attr:`waste` is compared with)."""
        return len(self.name_text) + 8 * len(self.times)

    def copy(self) -> DealColumns:
        """New column containers holding the same values (the values themselves are shared)."""
        other = DealColumns()
        for name in (*_COLUMNS, "name_text", "times"):
            setattr(other, name, getattr(self, name)[:])
        other.waste = self.waste
        other.shapes = self.shapes  # append-only: codes mean the same in every copy
        other._shape_codes = self._shape_codes
        return other

    def gather(self, slots: Sequence[int], *, consume: bool = False) -> DealColumns:
        """New columns holding the deals of ``slots``, in that order, packed without waste.

        ``consume``: these columns are not read by anyone else (no table was made over them), so each
        old column is dropped as soon as its new one is built: the rebuild needs one column's
        memory on top, not all of them (which, once freed, mostly stayed in the process).
        """
        if consume and self.shared:
            raise ValueError("columns a table reads cannot be consumed")
        other = DealColumns()
        other.shapes = self.shapes
        other._shape_codes = self._shape_codes
        for name in _COLUMNS:
            value = getattr(self, name)
            picked = map(value.__getitem__, slots)
            if isinstance(value, array):
                setattr(other, name, array(value.typecode, picked))
            elif isinstance(value, bytearray):
                setattr(other, name, bytearray(picked))
            else:
                setattr(other, name, list(picked))
            if consume and name not in ("name_at", "name_len", "entered_shape", "times_at"):
                setattr(self, name, value[:0])
        text, times, shapes = self.name_text, self.times, self.shapes
        name_at, times_at, new_text, new_times = other.name_at, other.times_at, other.name_text, other.times
        for k, (length, shape) in enumerate(zip(other.name_len, other.entered_shape, strict=True)):
            if length >= 0:
                at = name_at[k]
                name_at[k] = len(new_text)
                new_text += text[at : at + length]
            count = len(shapes[shape])
            if count:
                at = times_at[k]
                times_at[k] = len(new_times)
                new_times.extend(times[at : at + count])
        if consume:
            for name in (*_COLUMNS, "name_text", "times"):
                setattr(self, name, getattr(self, name)[:0])
        return other

    def _shape(self, stages: tuple[str, ...]) -> int:
        """The code of a sequence of entered stages (one shared tuple per distinct sequence)."""
        code = self._shape_codes.get(stages)
        if code is None:
            code = self._shape_codes[stages] = len(self.shapes)
            self.shapes.append(tuple(sys.intern(s) for s in stages))
        return code

    def _optional_text(self) -> tuple[list[str | None], ...]:
        """The string columns an empty slot (:meth:`add`, :meth:`release`) holds ``None`` in."""
        return (self.pipeline_ids, self.stage_ids, self.owner_ids, self.deal_types, self.currencies)

    def _dates(self) -> tuple[array[int], ...]:
        """The date columns (microseconds, :data:`NO_DATE` when empty)."""
        return (self.created, self.close, self.activity, self.modified, self.touched, self.entered_current)

    def add(self) -> int:
        """A new empty slot (fill it with :meth:`put`)."""
        slot = len(self.ids)
        self.ids.append("")
        self.name_at.append(0)
        self.name_len.append(-1)
        self.amounts.append(_NAN)
        for column in self._optional_text():
            column.append(None)
        for dates in self._dates():
            dates.append(NO_DATE)
        self.entered_shape.append(0)
        self.times_at.append(0)
        self.archived.append(0)
        return slot

    def _drop_packed(self, slot: int) -> None:
        """Count what ``slot``'s name and entry times take in the buffers as waste."""
        if self.name_len[slot] > 0:
            self.waste += self.name_len[slot]
        self.waste += 8 * len(self.shapes[self.entered_shape[slot]])

    def put(
        self,
        slot: int,
        *,
        deal_id: str,
        name: str | None,
        amount: float | None,
        pipeline_id: str | None,
        stage_id: str | None,
        owner_id: str | None,
        deal_type: str | None,
        currency: str | None,
        created: int,
        close: int,
        activity: int,
        modified: int,
        entries: Mapping[str, int],
        archived: bool = False,
    ) -> None:
        """Write one deal into ``slot``: dates in microseconds (:func:`to_micros`), ``entries`` stage
        id -> microseconds in the deal's order. Callers intern the repeated strings."""
        self._drop_packed(slot)
        self.ids[slot] = deal_id
        if name is None:
            self.name_len[slot] = -1
        else:
            encoded = name.encode("utf-8", "surrogatepass")  # CRM text may hold lone surrogates
            self.name_at[slot] = len(self.name_text)
            self.name_len[slot] = len(encoded)
            self.name_text += encoded
        self.amounts[slot] = _NAN if amount is None else amount
        self.pipeline_ids[slot] = pipeline_id
        self.stage_ids[slot] = stage_id
        self.owner_ids[slot] = owner_id
        self.deal_types[slot] = deal_type
        self.currencies[slot] = currency
        self.created[slot] = created
        self.close[slot] = close
        self.activity[slot] = activity
        self.modified[slot] = modified
        self.touched[slot] = activity if activity != NO_DATE else modified
        current = entries.get(stage_id) if stage_id is not None else None
        self.entered_current[slot] = NO_DATE if current is None else current
        self.entered_shape[slot] = self._shape(tuple(entries))
        self.times_at[slot] = len(self.times)
        self.times.extend(entries.values())
        self.archived[slot] = 1 if archived else 0

    def put_deal(self, slot: int, deal: Deal) -> None:
        """Write a parsed ``Deal`` into ``slot``."""
        self.put(
            slot,
            deal_id=deal.id,
            name=deal.name,
            amount=deal.amount,
            pipeline_id=_interned(deal.pipeline_id),
            stage_id=_interned(deal.stage_id),
            owner_id=_interned(deal.owner_id),
            deal_type=_interned(deal.deal_type),
            currency=_interned(deal.currency),
            created=to_micros(deal.created_at),
            close=to_micros(deal.close_date),
            activity=to_micros(deal.last_activity_at),
            modified=to_micros(deal.last_modified_at),
            entries={stage: to_micros(when) for stage, when in deal.stage_entered_at.items()},
            archived=deal.archived,
        )

    def release(self, slot: int) -> None:
        """Forget what ``slot`` held (its strings and dates), so nothing it held is kept alive."""
        self._drop_packed(slot)
        self.ids[slot] = ""
        self.name_len[slot] = -1
        self.amounts[slot] = _NAN
        for column in self._optional_text():
            column[slot] = None
        for dates in self._dates():
            dates[slot] = NO_DATE
        self.entered_shape[slot] = 0
        self.archived[slot] = 0

    def name(self, slot: int) -> str | None:
        length = self.name_len[slot]
        if length < 0:
            return None
        at = self.name_at[slot]
        return self.name_text[at : at + length].decode("utf-8", "surrogatepass")

    def amount(self, slot: int) -> float | None:
        value = self.amounts[slot]
        return None if value != value else value  # NaN: no amount

    def entries(self, slot: int) -> dict[str, datetime]:
        """The deal's ``stage_entered_at``."""
        stages = self.shapes[self.entered_shape[slot]]
        if not stages:
            return {}
        at = self.times_at[slot]
        times = self.times[at : at + len(stages)]
        return {stage: EPOCH + timedelta(0, 0, us) for stage, us in zip(stages, times, strict=True)}

    def deal(self, slot: int) -> Deal:
        """The ``Deal`` held in ``slot`` (a new model, equal to the one written)."""
        return _new_deal(
            {
                "id": self.ids[slot],
                "name": self.name(slot),
                "amount": self.amount(slot),
                "pipeline_id": self.pipeline_ids[slot],
                "stage_id": self.stage_ids[slot],
                "owner_id": self.owner_ids[slot],
                "deal_type": self.deal_types[slot],
                "currency": self.currencies[slot],
                "created_at": from_micros(self.created[slot]),
                "close_date": from_micros(self.close[slot]),
                "last_activity_at": from_micros(self.activity[slot]),
                "last_modified_at": from_micros(self.modified[slot]),
                "stage_entered_at": self.entries(slot),
                "archived": bool(self.archived[slot]),
            }
        )


def _interned(value: str | None) -> str | None:
    return None if value is None else sys.intern(value)


class DealTable(Sequence[Deal]):
    """Some deals of a :class:`DealColumns`, in column order: an immutable ``Sequence[Deal]``.

    ``mask`` has one byte per column slot, non-zero for the deals in the table (``None``: every
    slot). Indexing and iterating build ``Deal`` models on access; the analysis reads the columns
    through :meth:`rows` (``itertools.compress`` with the mask: C speed, no per-deal indexing).
    """

    __slots__ = ("_index", "_slots", "columns", "mask")

    def __init__(self, columns: DealColumns, mask: bytes | bytearray | None = None) -> None:
        if mask is not None and len(mask) != len(columns):
            raise ValueError(f"a mask of {len(mask)} bytes for {len(columns)} slots")
        self.columns = columns
        self.mask = mask
        self._slots: list[int] | range | None = None if mask is not None else range(len(columns))
        self._index: dict[str, int] | None = None
        columns.shared = True

    @classmethod
    def from_deals(cls, deals: Iterable[Deal]) -> DealTable:
        """Columns made from parsed deals, in their order."""
        columns = DealColumns()
        for deal in deals:
            columns.put_deal(columns.add(), deal)
        return cls(columns)

    @property
    def slots(self) -> Sequence[int]:
        """The column slot of each deal, in order."""
        if self._slots is None:
            assert self.mask is not None
            self._slots = list(compress(range(len(self.columns)), self.mask))
        return self._slots

    def column(self, values: Iterable[T]) -> Iterator[T]:
        """One column's values (a column of :attr:`columns`, or ``range``) for the table's deals."""
        return iter(values) if self.mask is None else compress(values, self.mask)

    def __len__(self) -> int:
        return len(self.slots)

    @overload
    def __getitem__(self, index: int) -> Deal: ...

    @overload
    def __getitem__(self, index: slice) -> DealTable: ...

    def __getitem__(self, index: int | slice) -> Deal | DealTable:
        if isinstance(index, slice):
            mask = bytearray(len(self.columns))
            for slot in self.slots[index]:
                mask[slot] = 1
            return DealTable(self.columns, mask)
        return self.columns.deal(self.slots[index])

    def __iter__(self) -> Iterator[Deal]:
        return map(self.columns.deal, self.slots)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str | bytes):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]  # like a list: equality is by value

    def __repr__(self) -> str:
        return f"DealTable({len(self)} deals)"

    def ids(self) -> Iterator[str]:
        """The deals' ids, in order, without building the deals."""
        return self.column(self.columns.ids)

    def names(self) -> Iterator[str | None]:
        """The deals' names, in order, without building the deals."""
        return map(self.columns.name, self.slots)

    def position(self, deal_id: str) -> int | None:
        """Where the deal with this id is in the table (``None``: not in it)."""
        if self._index is None:
            self._index = {deal_id: k for k, deal_id in enumerate(self.ids())}
        return self._index.get(deal_id)

    def get(self, deal_id: str) -> Deal | None:
        """The deal with this id, built on access (``None``: not in the table)."""
        k = self.position(deal_id)
        return None if k is None else self[k]

    def pick(self, deal_ids: Iterable[str]) -> list[Deal]:
        """The deals with these ids, in table order (ids not in the table are skipped)."""
        wanted = set(deal_ids)
        ids, deal = self.columns.ids, self.columns.deal
        return [deal(slot) for slot in self.slots if ids[slot] in wanted]


class _DealsById(Mapping[str, Deal]):
    """A table's deals by id; each ``Deal`` is built when it is looked up."""

    __slots__ = ("_table",)

    def __init__(self, table: DealTable) -> None:
        self._table = table

    def __getitem__(self, deal_id: str) -> Deal:
        found = self._table.get(deal_id)
        if found is None:
            raise KeyError(deal_id)
        return found

    def __contains__(self, deal_id: object) -> bool:
        return isinstance(deal_id, str) and self._table.position(deal_id) is not None

    def __iter__(self) -> Iterator[str]:
        return self._table.ids()

    def __len__(self) -> int:
        return len(self._table)


def deals_by_id(deals: Sequence[Deal]) -> Mapping[str, Deal]:
    """``deals`` by id: for a :class:`DealTable` a view that builds only the deals looked up (an
    alert digest looks up a handful of 100,000), else a dict."""
    if isinstance(deals, DealTable):
        return _DealsById(deals)
    return {deal.id: deal for deal in deals}


def deal_table(deals: Sequence[Deal]) -> DealTable:
    """``deals`` as a :class:`DealTable` (itself when it is one; else built from the models)."""
    return deals if isinstance(deals, DealTable) else DealTable.from_deals(deals)
