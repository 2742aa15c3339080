"""What changed in a pipeline between two moments: the waterfall of open value and the moves beside it.

Pure computation. The input is each deal's :class:`DealState` at the start ``T0`` and at the end
``T1`` (``None``: the deal did not exist then; ``deleted=True``: it was deleted/archived then), the
pipelines' stage order and the scope (one pipeline or all). The output is a :class:`ChangeReport`
whose JSON form (:meth:`ChangeReport.to_json_dict`) is stable API, documented in docs/changes.md.

Definitions (the same words as the docs):

- A deal's *open value* at a time is its amount then when it existed, was not deleted, was open and
  was in scope; else 0. ``open_value_start`` / ``open_value_end`` sum it over all deals at T0 / T1.
- Every deal whose open value differs falls in exactly one bucket, tried in :data:`BUCKETS` order,
  and adds ``open value at T1 - open value at T0`` to it. So ``open_value_start`` plus the buckets'
  values is ``open_value_end`` exactly: amounts are :class:`~decimal.Decimal` cents, never floats.
- Beside the waterfall, over deals open and in scope at both times: ``pushed`` / ``pulled_in`` (close
  date later / earlier) and ``stage_forward`` / ``stage_backward`` (stage later / earlier in the
  pipeline's order), each valued at the amount at T1.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from engines.deal_table import DealTable, from_micros
from engines.models import Deal, Pipeline

__all__ = [
    "BUCKETS",
    "MOVES",
    "ChangeGroup",
    "ChangeReport",
    "ChangedDeal",
    "DealState",
    "DealTimeline",
    "cents",
    "compute_changes",
    "deal_state",
    "deal_states",
    "stage_order",
]

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
DEFAULT_TOP = 5

BUCKETS = (
    "created",
    "won",
    "lost",
    "deleted",
    "reopened",
    "restored",
    "moved_in",
    "moved_out",
    "amount_up",
    "amount_down",
)
"""The waterfall's buckets, in the order a changed deal is tried against them."""

MOVES = ("pushed", "pulled_in", "stage_forward", "stage_backward")
"""Reported beside the waterfall (they do not change open value)."""


def cents(value: Any) -> Decimal | None:
    """An amount as Decimal cents (half-even), or ``None`` when it is missing or not a finite number.

    Floats go through ``repr`` so ``0.1`` is 0.10, not 0.1000000000000000055...
    """
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    if not number.is_finite():
        return None
    return number.quantize(CENT, rounding=ROUND_HALF_EVEN)


@dataclass(frozen=True, slots=True)
class DealState:
    """One deal as it was at one moment. ``amount`` is in cents (see :func:`cents`); missing is ``None``
    and counts as 0. ``closed``/``won`` come from the stage's metadata at that moment."""

    name: str | None = None
    amount: Decimal | None = None
    pipeline_id: str | None = None
    stage_id: str | None = None
    closed: bool = False
    won: bool = False
    close_date: datetime | None = None
    owner_id: str | None = None
    deleted: bool = False

    @property
    def present(self) -> bool:
        return not self.deleted

    @property
    def is_open(self) -> bool:
        return not self.deleted and not self.closed

    def open_value(self, pipeline: str | None) -> Decimal:
        """The amount when open, not deleted and in scope (``pipeline`` ``None``: all); else 0."""
        if self.deleted or self.closed or (pipeline is not None and self.pipeline_id != pipeline):
            return ZERO
        return self.amount if self.amount is not None else ZERO


@dataclass(frozen=True, slots=True)
class DealTimeline:
    """A deal at the start (``before``) and at the end (``after``) of the period; ``None``: did not exist."""

    id: str
    before: DealState | None
    after: DealState | None


@dataclass(frozen=True, slots=True)
class ChangedDeal:
    """One deal behind a bucket or move. ``amount`` is what it adds to the group's value (signed) for
    a bucket, and its amount at T1 for a move; ``owner`` is the owner's display name."""

    id: str
    name: str | None
    amount: Decimal
    owner: str | None

    def to_json_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "amount": float(self.amount), "owner": self.owner}


@dataclass(frozen=True, slots=True)
class ChangeGroup:
    """A bucket or a move: how many deals, their total value and the largest of them (by size of
    their value, ties by id). For ``pushed`` and ``pulled_in`` also how many of those deals had their
    close date leave / enter the current quarter (``None`` for the other groups)."""

    count: int = 0
    value: Decimal = ZERO
    deals: tuple[ChangedDeal, ...] = ()
    left_quarter: int | None = None
    entered_quarter: int | None = None

    def to_json_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "count": self.count,
            "value": float(self.value),
            "deals": [d.to_json_dict() for d in self.deals],
        }
        if self.left_quarter is not None and self.entered_quarter is not None:
            out["left_quarter"] = self.left_quarter
            out["entered_quarter"] = self.entered_quarter
        return out


_DATE_MOVES = ("pushed", "pulled_in")


@dataclass(frozen=True, slots=True)
class ChangeReport:
    """The change card's content. ``since`` is the start asked for; when the change log starts later
    (``covered_from`` after ``since``) the numbers run from ``covered_from``: see :attr:`start`."""

    since: datetime
    until: datetime
    pipeline: str | None
    open_value_start: Decimal
    open_value_end: Decimal
    buckets: dict[str, ChangeGroup]
    moves: dict[str, ChangeGroup]
    covered_from: datetime | None = None

    @property
    def start(self) -> datetime:
        """The moment the numbers really start: ``since``, or ``covered_from`` when that is later."""
        if self.covered_from is not None and self.covered_from > self.since:
            return self.covered_from
        return self.since

    @property
    def partial(self) -> bool:
        """True when the change log does not reach back to ``since``."""
        return self.start != self.since

    @property
    def changed(self) -> int:
        """How many deals changed open value (each is in exactly one bucket)."""
        return sum(g.count for g in self.buckets.values())

    def to_json_dict(self) -> dict[str, Any]:
        """The stable JSON form (docs/changes.md)."""
        return {
            "since": _iso(self.since),
            "until": _iso(self.until),
            "pipeline": self.pipeline,
            "open_value_start": float(self.open_value_start),
            "open_value_end": float(self.open_value_end),
            "buckets": {name: self.buckets[name].to_json_dict() for name in BUCKETS},
            "moves": {name: self.moves[name].to_json_dict() for name in MOVES},
            "covered_from": _iso(self.covered_from) if self.covered_from is not None else None,
        }


def _iso(when: datetime) -> str:
    return when.isoformat().replace("+00:00", "Z")


# --------------------------------------------------------------------------- from engine models


def stage_order(pipelines: Iterable[Pipeline]) -> dict[str, tuple[str, ...]]:
    """Pipeline id -> its stage ids in display order (open and closed), for :func:`compute_changes`."""
    return {p.id: tuple(s.id for s in p.ordered_stages) for p in pipelines}


def deal_state(deal: Deal, pipelines: Mapping[str, Pipeline]) -> DealState:
    """The state of ``deal`` as read now. Closed/won come from the stage's metadata (an unlisted stage
    is open, as in the analysis); an archived deal is ``deleted``."""
    return deal_states([deal], pipelines.values())[deal.id]


def deal_states(deals: Iterable[Deal], pipelines: Iterable[Pipeline]) -> dict[str, DealState]:
    """:func:`deal_state` of many deals, by id, with the stages' metadata looked up once (a 100k-deal
    portal is turned into states in a fraction of a second)."""
    flags: dict[tuple[str | None, str | None], tuple[bool, bool]] = {
        (p.id, s.id): (s.is_closed, s.is_won) for p in pipelines for s in p.stages
    }
    open_stage = (False, False)
    out: dict[str, DealState] = {}
    if isinstance(deals, DealTable):  # the mirror's columns: no Deal model built per deal
        c, col = deals.columns, deals.column
        for deal_id, name, amount, pipeline_id, stage_id, close, owner_id, archived in zip(
            col(c.ids),
            deals.names(),
            col(c.amounts),
            col(c.pipeline_ids),
            col(c.stage_ids),
            col(c.close),
            col(c.owner_ids),
            col(c.archived),
            strict=True,
        ):
            closed, won = flags.get((pipeline_id, stage_id), open_stage)
            out[deal_id] = DealState(
                name=name,
                amount=cents(None if amount != amount else amount),  # NaN: no amount
                pipeline_id=pipeline_id,
                stage_id=stage_id,
                closed=closed,
                won=won,
                close_date=from_micros(close),
                owner_id=owner_id,
                deleted=bool(archived),
            )
        return out
    for deal in deals:
        closed, won = flags.get((deal.pipeline_id, deal.stage_id), open_stage)
        out[deal.id] = DealState(
            name=deal.name,
            amount=cents(deal.amount),
            pipeline_id=deal.pipeline_id,
            stage_id=deal.stage_id,
            closed=closed,
            won=won,
            close_date=deal.close_date,
            owner_id=deal.owner_id,
            deleted=deal.archived,
        )
    return out


# --------------------------------------------------------------------------- computation


def _bucket(before: DealState | None, after: DealState | None, pipeline: str | None) -> str:
    """The bucket of a deal whose open value changed (only call it when it did).

    Given a change, the tests below are mutually exclusive, so :data:`BUCKETS` order is also the
    order they are tried in: a deal lands in exactly one bucket.
    """
    if before is None:
        return "created"
    if after is None or after.deleted:
        return "deleted"
    if before.deleted:
        return "restored"
    if before.closed:
        return "reopened"
    if after.closed:
        return "won" if after.won else "lost"
    in_before = pipeline is None or before.pipeline_id == pipeline
    in_after = pipeline is None or after.pipeline_id == pipeline
    if in_after and not in_before:
        return "moved_in"
    if in_before and not in_after:
        return "moved_out"
    return "amount_up" if after.open_value(pipeline) > before.open_value(pipeline) else "amount_down"


@dataclass(slots=True)
class _Acc:
    """Accumulates one group: count, value, the deals (the largest are picked at the end)."""

    count: int = 0
    value: Decimal = ZERO
    left_quarter: int = 0
    entered_quarter: int = 0
    deals: list[ChangedDeal] = field(default_factory=list)

    def add(self, deal: ChangedDeal) -> None:
        self.count += 1
        self.value += deal.amount
        self.deals.append(deal)

    def group(self, top: int, *, with_quarter: bool = False) -> ChangeGroup:
        largest = heapq.nsmallest(top, self.deals, key=lambda d: (-abs(d.amount), d.id))
        return ChangeGroup(
            count=self.count,
            value=self.value,
            deals=tuple(largest),
            left_quarter=self.left_quarter if with_quarter else None,
            entered_quarter=self.entered_quarter if with_quarter else None,
        )


def _quarter(when: datetime, zone: ZoneInfo) -> tuple[int, int]:
    local = when.astimezone(zone)
    return local.year, (local.month - 1) // 3


def compute_changes(
    deals: Iterable[DealTimeline],
    *,
    since: datetime,
    until: datetime,
    pipeline: str | None = None,
    stages: Mapping[str, Sequence[str]],
    covered_from: datetime | None = None,
    owners: Mapping[str, str] | None = None,
    time_zone: str = "UTC",
    top: int = DEFAULT_TOP,
) -> ChangeReport:
    """The change report for ``deals`` between their ``before`` and ``after`` states.

    ``stages`` maps a pipeline id to its stage ids in order (:func:`stage_order`); ``owners`` maps an
    owner id to the name shown on cards; the current quarter is the calendar quarter of ``until`` in
    ``time_zone`` (the portal's). ``top`` caps the deals listed per group.
    """
    owner_names = owners or {}
    zone = ZoneInfo(time_zone)
    this_quarter = _quarter(until, zone)
    positions = {pid: {sid: i for i, sid in enumerate(ids)} for pid, ids in stages.items()}
    buckets = {name: _Acc() for name in BUCKETS}
    moves = {name: _Acc() for name in MOVES}
    start = end = ZERO
    for timeline in deals:
        before, after = timeline.before, timeline.after
        if before is after:  # the same state at both ends (most deals of a short period): no change
            if before is not None:
                unchanged = before.open_value(pipeline)
                start += unchanged
                end += unchanged
            continue
        v0 = before.open_value(pipeline) if before is not None else ZERO
        v1 = after.open_value(pipeline) if after is not None else ZERO
        start += v0
        end += v1
        latest = after if after is not None and after.present else before
        if latest is None:  # existed at neither time: nothing to say
            continue
        owner = owner_names.get(latest.owner_id) if latest.owner_id is not None else None
        if v0 != v1:
            buckets[_bucket(before, after, pipeline)].add(
                ChangedDeal(timeline.id, latest.name, v1 - v0, owner)
            )
        if (
            before is None
            or after is None
            or not (before.is_open and after.is_open)
            or (pipeline is not None and (before.pipeline_id != pipeline or after.pipeline_id != pipeline))
        ):
            continue
        amount = after.amount if after.amount is not None else ZERO
        moved = ChangedDeal(timeline.id, after.name, amount, owner)
        if before.close_date is not None and after.close_date is not None:
            date_move = (
                moves["pushed"]
                if after.close_date > before.close_date
                else moves["pulled_in"]
                if after.close_date < before.close_date
                else None
            )
            if date_move is not None:
                date_move.add(moved)
                was_in = _quarter(before.close_date, zone) == this_quarter
                is_in = _quarter(after.close_date, zone) == this_quarter
                date_move.left_quarter += was_in and not is_in
                date_move.entered_quarter += is_in and not was_in
        if before.pipeline_id == after.pipeline_id and before.pipeline_id is not None:
            order = positions.get(before.pipeline_id, {})
            was, now = order.get(before.stage_id or ""), order.get(after.stage_id or "")
            if was is not None and now is not None:
                if now > was:
                    moves["stage_forward"].add(moved)
                elif now < was:
                    moves["stage_backward"].add(moved)
    return ChangeReport(
        since=since,
        until=until,
        pipeline=pipeline,
        open_value_start=start,
        open_value_end=end,
        buckets={name: acc.group(top) for name, acc in buckets.items()},
        moves={name: acc.group(top, with_quarter=name in _DATE_MOVES) for name, acc in moves.items()},
        covered_from=covered_from,
    )
