"""Derived numbers (rates, averages, shares) from the one-pass statistics, rounded once, here.

Engines and signals both read these, so a number shown on a card and the number a signal cites can
never disagree. Rates and days are rounded to one decimal, money to cents; ``None`` means "cannot be
computed from this data" and always becomes status ``unknown``.
"""

from __future__ import annotations

from dataclasses import dataclass

from engines.records import DealRefs, SnapshotStats

__all__ = ["Conversion", "Measures", "measure", "money", "percent", "round1"]

ARROW = "→"


def round1(value: float) -> float:
    return round(value, 1)


def money(value: float) -> float:
    return round(value, 2)


def percent(part: float, whole: float) -> float | None:
    """``part`` as a percentage of ``whole`` (one decimal), or ``None`` when ``whole`` is 0."""
    if whole <= 0:
        return None
    return round1(100.0 * part / whole)


@dataclass(frozen=True, slots=True)
class Conversion:
    """One stage pair: of ``entered`` deals that entered ``from_id``, ``advanced`` went further."""

    key: str
    pipeline_id: str
    from_id: str
    to_id: str
    entered: int
    advanced: int
    rate: float
    stopped: DealRefs  # deals that stopped at from_id (open there, or lost after it)


@dataclass(frozen=True, slots=True)
class Measures:
    win_rate: float | None
    avg_cycle_days: float | None
    avg_days_in_stage: dict[str, float]
    conversions: tuple[Conversion, ...]
    avg_conversion: float | None
    at_risk_share: float | None
    early_share: float | None
    early_value_share: float | None
    expansion_share: float | None

    @property
    def conversion_rates(self) -> dict[str, float]:
        return {c.key: c.rate for c in self.conversions}


def _conversions(st: SnapshotStats) -> tuple[Conversion, ...]:
    out: list[Conversion] = []
    used: set[str] = set()
    for pid, ps in st.pipelines.items():
        ids = ps.open_stage_ids
        for i, from_id in enumerate(ids):
            entered = ps.entered[i]
            if entered == 0:
                continue
            to_id = ids[i + 1] if i + 1 < len(ids) else (ps.won_stage_id or "won")
            key = f"{from_id}{ARROW}{to_id}"
            if key in used:  # two pipelines sharing stage ids: keep both, tell them apart
                key = f"{pid}:{key}"
            used.add(key)
            advanced = ps.advanced(i)
            out.append(
                Conversion(
                    key=key,
                    pipeline_id=pid,
                    from_id=from_id,
                    to_id=to_id,
                    entered=entered,
                    advanced=advanced,
                    rate=round1(100.0 * advanced / entered),
                    stopped=ps.stopped[i],
                )
            )
    return tuple(out)


def measure(st: SnapshotStats) -> Measures:
    conversions = _conversions(st)
    avg_conversion = round1(sum(c.rate for c in conversions) / len(conversions)) if conversions else None
    days = {
        stage: round1(st.stage_days_total[stage] / count)
        for stage, count in st.stage_days_count.items()
        if count
    }
    listed = st.open_in_listed_stages
    listed_value = st.open_listed_value
    return Measures(
        win_rate=percent(st.won_deals, st.won_deals + st.lost_deals),
        avg_cycle_days=round1(st.cycle_days_total / st.cycle_count) if st.cycle_count else None,
        avg_days_in_stage=days,
        conversions=conversions,
        avg_conversion=avg_conversion,
        at_risk_share=percent(len(st.at_risk), st.open_deals),
        early_share=percent(st.early_deals, listed),
        early_value_share=percent(st.early_value, listed_value) if listed_value > 0 else None,
        expansion_share=percent(st.expansion_won_value, st.won_value) if st.won_value > 0 else None,
    )
