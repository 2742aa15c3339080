"""What the metrics of the CRM objects share: rounding, windows, stage lookups and data-gap texts.

Rounding is decimal half-up to one place (``12.25`` -> ``12.3``, ``-12.25`` -> ``-12.3``: halves go away
from zero), done with :class:`decimal.Decimal` so a value that is exactly a half in decimal is never
rounded down because its binary float sits a hair below it. A median of an even count is the mean of
the two middle values, rounded once at the end.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from engines.config import AnalysisConfig
from engines.models import READ_SCOPES, DataGap, ObjectType, Pipeline, PortalSnapshot, ReadState

__all__ = [
    "DAY_SECONDS",
    "Window",
    "closed_stages",
    "half_up",
    "median_days",
    "object_gap",
    "rate",
    "resolve_by_label",
    "usable_amount",
    "window_for",
]

DAY_SECONDS = 86400.0
_TENTH = Decimal("0.1")

OBJECT_NAMES: dict[ObjectType, str] = {
    ObjectType.CONTACTS: "contacts",
    ObjectType.TICKETS: "tickets",
    ObjectType.FEEDBACK_SUBMISSIONS: "feedback submissions (survey responses)",
    ObjectType.PRODUCTS: "products",
    ObjectType.LINE_ITEMS: "line items",
    ObjectType.GOAL_TARGETS: "goal targets",
}


def _decimal(value: float | int | Decimal) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    return Decimal(
        repr(float(value))
    )  # the shortest text of the float: 0.1 is 0.1, not 0.1000000000000000055


_HUGE = Decimal("1e300")


def half_up(value: float | int | Decimal) -> float:
    """One decimal, half-up (away from zero). Absurd magnitudes (a ratio over a near-zero amount)
    stay finite instead of overflowing: no report ever carries an infinity."""
    d = _decimal(value)
    if d.adjusted() >= 15:  # no tenth left to round in a float; keep it within a float's range
        return float(max(-_HUGE, min(_HUGE, d)))
    return float(d.quantize(_TENTH, rounding=ROUND_HALF_UP))


def rate(part: float | int, whole: float | int) -> float | None:
    """``part`` as a percentage of ``whole``, one decimal half-up; ``None`` when ``whole`` is not positive."""
    if whole <= 0:
        return None
    return half_up(_decimal(part) * 100 / _decimal(whole))


def median_days(seconds: Iterable[float]) -> float | None:
    """The median of durations given in seconds, in days (one decimal, half-up); ``None`` when empty."""
    ordered = sorted(seconds)
    n = len(ordered)
    if n == 0:
        return None
    mid = n // 2
    middle = _decimal(ordered[mid]) if n % 2 else (_decimal(ordered[mid - 1]) + _decimal(ordered[mid])) / 2
    return half_up(middle / _decimal(DAY_SECONDS))


def usable_amount(amount: float | None, config: AnalysisConfig) -> float:
    """The amount a sum counts, as the deal statistics do: missing, negative or implausible -> 0."""
    if amount is None or amount <= 0 or amount > config.max_plausible_amount:
        return 0.0
    return amount


@dataclass(frozen=True, slots=True)
class Window:
    """The lookback window ``[start, now]`` and the one before it, ``[previous_start, start)``."""

    now: datetime
    days: int
    start: datetime
    previous_start: datetime

    def contains(self, when: datetime | None) -> bool:
        return when is not None and self.start <= when <= self.now

    def in_previous(self, when: datetime | None) -> bool:
        return when is not None and self.previous_start <= when < self.start


def window_for(snapshot: PortalSnapshot, now: datetime, config: AnalysisConfig) -> Window:
    """The deal statistics' window: the lookback, shortened when the source read less history."""
    days = config.lookback_days
    if snapshot.lookback_days is not None and 0 < snapshot.lookback_days < days:
        days = snapshot.lookback_days
    start = now - timedelta(days=days)
    return Window(now=now, days=days, start=start, previous_start=start - timedelta(days=days))


def closed_stages(pipelines: Iterable[Pipeline]) -> dict[tuple[str, str], bool]:
    """(pipeline id, stage id) -> closed, for every listed stage (tickets: ``ticketState`` CLOSED)."""
    return {(p.id, s.id): s.is_closed for p in pipelines for s in p.stages}


def resolve_by_label(
    pipelines: tuple[Pipeline, ...], setting: str | None, word: str
) -> tuple[Pipeline | None, tuple[Pipeline, ...]]:
    """The pipeline a setting names (id, or label in any case), else the one whose label contains
    ``word`` (any case). Returns (pipeline, candidates): when several labels match, none is guessed
    and the candidates come back for the data gap to list."""
    if setting is not None and setting.strip():
        wanted = setting.strip()
        folded = wanted.casefold()
        found = next((p for p in pipelines if p.id == wanted), None) or next(
            (p for p in pipelines if p.label.strip().casefold() == folded or p.id.casefold() == folded), None
        )
        return found, ()
    matches = tuple(p for p in pipelines if word in p.label.casefold() and not p.archived)
    if len(matches) == 1:
        return matches[0], matches
    return None, matches


def object_gap(
    snapshot: PortalSnapshot, object_type: ObjectType, key: str, unlocks: str, *, empty: bool
) -> DataGap | None:
    """The data gap when ``object_type`` was refused, not read, or (``empty``) holds nothing useful."""
    read = snapshot.object_read(object_type)
    name = OBJECT_NAMES[object_type]
    scope = READ_SCOPES[object_type]
    if read.state is ReadState.SCOPE_REFUSED:
        asked = ", ".join(read.scopes) if read.scopes else scope
        return DataGap(
            key=key,
            missing=f"HubSpot refused to share {name} (403 MISSING_SCOPES): grant the scope {asked}",
            unlocks=unlocks,
        )
    if read.state is ReadState.NOT_READ:
        return DataGap(
            key=key,
            missing=f"{name} were not read by this source (HubSpot scope {scope})",
            unlocks=unlocks,
        )
    if empty:
        return DataGap(key=key, missing=f"no {name} in the window", unlocks=unlocks)
    return None
