"""The mirrored object types besides deals, in memory: what answers read for contacts, tickets,
survey responses, products and goal targets.

Each object becomes its :mod:`engines.models` record once, when it is loaded or changes (by
``to_record``, the live read's own mapping, so both give equal records), never per answer; the
property dictionary is not kept. Beside the record, each object keeps the values of the properties
its type's scope tests (dates as epoch milliseconds, as HubSpot's search compares them), so an answer
selects what the live read would select at the answer's time without parsing anything: the mirror
holds the scope as of its last sync's start, a superset; the answer applies the windows at its own
time exactly as the live read's filters do. The selection is cached per type until the next change
or the next millisecond the windows move to (repeated answers between syncs cost a lookup).

Repeated strings (lifecycle stages, pipeline and stage ids, categories, survey types) are interned
before the record is built, so tens of thousands of records share one copy of each.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from engines import ObjectRead, ObjectType, Pipeline, ReadState
from engines.hubspot import CrmRecord, MirroredType, Since, millis, property_millis, to_record

__all__ = ["ObjectsMemory"]

Props = Mapping[str, Any]
# Property values repeated across many objects: one string object each.
_INTERNED = frozenset(
    {
        "lifecyclestage",
        "hs_pipeline",
        "hs_pipeline_stage",
        "hs_ticket_category",
        "hubspot_owner_id",
        "hs_survey_type",
        "hs_response_group",
        "hs_value",
    }
)
# One check of a scope group: ("since", value index, days) | ("has", index) | ("missing", index).
_Check = tuple[str, int, int]


@dataclass(frozen=True, slots=True)
class _Held:
    record: CrmRecord
    values: tuple[float | None, ...]  # per tested property: epoch ms, -inf (not a date) or None


class _Selector:
    """A type's scope as checks on the values each held object keeps (see the module docstring)."""

    def __init__(self, object_type: MirroredType) -> None:
        if object_type.scope:
            raise ValueError(f"{object_type.name}: AND-ed scope filters are not evaluated in memory")
        names: list[str] = []
        self.groups: list[list[_Check]] = []
        for group in object_type.groups:
            checks: list[_Check] = []
            for condition in group:
                name = condition.property if isinstance(condition, Since) else str(condition["propertyName"])
                if name not in names:
                    names.append(name)
                index = names.index(name)
                if isinstance(condition, Since):
                    checks.append(("since", index, condition.days))
                    continue
                operator = str(condition.get("operator", "")).upper()
                if operator not in ("HAS_PROPERTY", "NOT_HAS_PROPERTY"):
                    raise ValueError(f"{object_type.name}: {operator} is not evaluated in memory")
                checks.append(("has" if operator == "HAS_PROPERTY" else "missing", index, 0))
            self.groups.append(checks)
        self.names = tuple(names)
        self.days = tuple(sorted({c[2] for g in self.groups for c in g if c[0] == "since"}))

    def values(self, props: Props) -> tuple[float | None, ...]:
        return tuple(property_millis(props.get(name)) for name in self.names)

    def thresholds(self, now: datetime) -> dict[int, float]:
        """Per window length, the filter value the live read sends at ``now`` (same arithmetic)."""
        return {days: float(millis(now - timedelta(days=days))) for days in self.days}

    def bounds(
        self, held: Iterable[_Held], thresholds: Mapping[int, float]
    ) -> tuple[tuple[float, float], ...]:
        """Per window length, how far its threshold may move with no tested value crossing it: the
        highest value below it (exclusive) and the lowest at or above it (inclusive)."""
        tested = {
            days: [i for checks in self.groups for k, i, d in checks if k == "since" and d == days]
            for days in self.days
        }
        out: list[tuple[float, float]] = []
        for days in self.days:
            threshold, indexes = thresholds[days], tested[days]
            above, upto = -math.inf, math.inf
            for h in held:
                for index in indexes:
                    value = h.values[index]
                    if value is None:
                        continue
                    if value < threshold:
                        above = max(above, value)
                    else:
                        upto = min(upto, value)
            out.append((above, upto))
        return tuple(out)

    def keeps(self, values: tuple[float | None, ...], thresholds: Mapping[int, float]) -> bool:
        if not self.groups:
            return True
        for checks in self.groups:
            for kind, index, days in checks:
                value = values[index]
                if kind == "since":
                    if value is None or value < thresholds[days]:
                        break
                elif (value is None) == (kind == "has"):
                    break
            else:
                return True
        return False


@dataclass(frozen=True, slots=True)
class _Answer:
    """A cached selection: good while every window's threshold stays in ``(above, upto]`` (no tested
    value crosses it), for one version of the type's objects."""

    version: int
    bounds: tuple[tuple[float, float], ...]  # per window length: (above, upto)
    records: tuple[CrmRecord, ...]

    def good_for(self, version: int, thresholds: Sequence[float]) -> bool:
        return version == self.version and all(
            above < t <= upto for (above, upto), t in zip(self.bounds, thresholds, strict=True)
        )


def _interned(props: Props) -> dict[str, Any]:
    return {
        name: sys.intern(value) if name in _INTERNED and isinstance(value, str) else value
        for name, value in props.items()
    }


_FIELDS_SET: dict[type[Any], set[str]] = {}


def _compact(record: CrmRecord) -> CrmRecord:
    """The same record without its own fields-set: every record of a type shares one (a set per
    record is about 200 bytes; the mapping sets the same fields on every record of a type)."""
    kind = type(record)
    shared = _FIELDS_SET.setdefault(kind, set(record.model_fields_set))
    if record.model_fields_set != shared:
        return record
    return kind.model_construct(_fields_set=shared, **record.__dict__)


def _id_order(record: CrmRecord) -> tuple[int, str]:
    return (len(record.id), record.id)


class ObjectsMemory:
    """The object types besides deals of one portal's mirror, in memory. One event loop only."""

    def __init__(self, object_types: Sequence[MirroredType] = ()) -> None:
        kinds = {o.value for o in ObjectType}
        self._types = {t.name: t for t in object_types if t.name in kinds}
        self._selectors = {name: _Selector(t) for name, t in self._types.items()}
        self._held: dict[str, dict[str, _Held]] = {name: {} for name in self._types}
        self._versions: dict[str, int] = dict.fromkeys(self._types, 0)
        self._answers: dict[str, _Answer] = {}
        self.reads: dict[str, ObjectRead] = {}
        self.warnings: dict[str, str] = {}
        self.pipelines: dict[str, tuple[Pipeline, ...]] = {}

    def holds(self, object_type: str) -> bool:
        """Whether the mirror keeps this type (else the answer reads it live)."""
        return object_type in self._types

    def __len__(self) -> int:
        return sum(len(held) for held in self._held.values())

    def count(self, object_type: str) -> int:
        return len(self._held.get(object_type, {}))

    def apply(self, object_type: str, upserts: Mapping[str, Props], removed: Iterable[str] = ()) -> None:
        """Take one sync's writes of a type: ``upserts`` (id -> properties as stored), ``removed`` ids."""
        held = self._held.get(object_type)
        if held is None:
            return
        kind = ObjectType(object_type)
        selector = self._selectors[object_type]
        for object_id in removed:
            held.pop(object_id, None)
        for object_id, props in upserts.items():
            object_id = sys.intern(object_id)
            held[object_id] = _Held(
                _compact(to_record(kind, object_id, _interned(props))), selector.values(props)
            )
        self._versions[object_type] += 1

    def set_reads(self, reads: Mapping[str, tuple[ObjectRead, str | None]]) -> None:
        """How each type was last read (refused with its scopes, not read with a warning, or read)."""
        for name, (read, warning) in reads.items():
            self.reads[name] = read
            if warning:
                self.warnings[name] = warning
            else:
                self.warnings.pop(name, None)

    def read_state(self, object_type: str) -> ObjectRead:
        return self.reads.get(object_type, ObjectRead(state=ReadState.NOT_READ))

    def records(self, object_type: str) -> dict[str, CrmRecord]:
        """Every object of a type held (the mirror's superset), by id."""
        return {object_id: h.record for object_id, h in self._held.get(object_type, {}).items()}

    def select(self, object_type: str, now: datetime) -> tuple[CrmRecord, ...]:
        """What the live read selects at ``now``, in its order (by id); ``()`` unless it was read."""
        if self.read_state(object_type).state is not ReadState.READ:
            return ()
        selector = self._selectors[object_type]
        thresholds = selector.thresholds(now)
        ordered = [thresholds[d] for d in selector.days]
        version = self._versions[object_type]
        cached = self._answers.get(object_type)
        if cached is not None and cached.good_for(version, ordered):
            return cached.records
        held = self._held[object_type]
        keeps = selector.keeps
        chosen = [h.record for h in held.values() if keeps(h.values, thresholds)]
        chosen.sort(key=_id_order)
        records = tuple(chosen)
        self._answers[object_type] = _Answer(version, selector.bounds(held.values(), thresholds), records)
        return records
