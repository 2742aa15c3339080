"""Signals: patterns worth a person's attention, each with evidence, an action and the deals behind it.

Strength is 0..1 and says how far past its benchmark a pattern is, so signals of different kinds can
be ranked strongest first. ``deal_ids`` (largest amount first, capped by
``AnalysisConfig.max_signal_deal_ids``) feed the "show deals" drill-downs; the evidence always carries
the full count, so a cap never hides how big a problem is.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TypeVar

from engines.measures import Measures, percent, round1
from engines.models import Signal, SignalType
from engines.records import DealIssue, DealRefs, SnapshotStats

__all__ = [
    "attribution_signals",
    "conversion_signals",
    "data_quality_signals",
    "rank",
    "velocity_signals",
    "win_loss_signals",
]


def _clamp(value: float) -> float:
    return round(max(0.0, min(1.0, value)), 3)


def rank(signals: Iterable[Signal]) -> tuple[Signal, ...]:
    """Strongest first; ties in a stable, readable order (type, then name)."""
    return tuple(sorted(signals, key=lambda s: (-s.strength, s.type.value, s.name)))


def _label(st: SnapshotStats, stage_id: str) -> str:
    return st.stage_labels.get(stage_id, stage_id or "no stage")


def velocity_signals(st: SnapshotStats, m: Measures, *, stages: set[str] | None = None) -> list[Signal]:
    """Stages whose open deals have sat there longer, on average, than the benchmark.

    Strength is how far past the benchmark (2x the benchmark = 0.5, 3x = 1), scaled down while fewer
    than ``signal_min_deals`` deals stand behind the average, so one stuck deal ranks below a
    stuck stage.
    """
    cfg = st.config
    bench = cfg.stage_days_benchmark
    out: list[Signal] = []
    for stage_id, days in m.avg_days_in_stage.items():
        if days <= bench or (stages is not None and stage_id not in stages):
            continue
        slow = st.stage_slow.get(stage_id, DealRefs())
        confidence = min(1.0, st.stage_days_count.get(stage_id, 0) / cfg.signal_min_deals)
        out.append(
            Signal(
                type=SignalType.VELOCITY_ANOMALY,
                name=f"Deals linger in {_label(st, stage_id)}",
                strength=_clamp((days / bench - 1.0) / 2.0 * confidence),
                evidence={
                    "stage_id": stage_id,
                    "avg_days_in_stage": days,
                    "benchmark_days": bench,
                    "open_deals": st.stage_open_deals.get(stage_id, 0),
                    "deals_over_benchmark": len(slow),
                },
                recommended_action="Review the deals past the benchmark: set a next step or close them out.",
                deal_ids=slow.top(cfg.max_signal_deal_ids),
            )
        )
    return out


def conversion_signals(st: SnapshotStats, m: Measures) -> list[Signal]:
    """Stage pairs converting below the benchmark (with enough deals to mean something)."""
    cfg = st.config
    bench = cfg.conversion_benchmark
    out: list[Signal] = []
    for c in m.conversions:
        if c.rate >= bench or c.entered < cfg.signal_min_deals:
            continue
        out.append(
            Signal(
                type=SignalType.CONVERSION_DROP_OFF,
                name=f"Drop-off after {_label(st, c.from_id)}",
                strength=_clamp((bench - c.rate) / bench),
                evidence={
                    "from_stage": c.from_id,
                    "to_stage": c.to_id,
                    "pipeline_id": c.pipeline_id,
                    "conversion_rate": c.rate,
                    "benchmark": bench,
                    "entered": c.entered,
                    "advanced": c.advanced,
                },
                recommended_action="Check this stage's exit criteria and why deals stall or are lost here.",
                deal_ids=c.stopped.top(cfg.max_signal_deal_ids),
            )
        )
    return out


def win_loss_signals(
    st: SnapshotStats, m: Measures, owner_names: dict[str, str] | None = None
) -> list[Signal]:
    """A low win rate, and stagnation clusters: stages or owners where most open deals went quiet.

    ``owner_names`` (owner id -> name) names the owner of a cluster; names are CRM data, plain text.
    """
    names = owner_names or {}
    cfg = st.config
    out: list[Signal] = []
    decided = st.won_deals + st.lost_deals
    if m.win_rate is not None and decided >= cfg.signal_min_deals and m.win_rate < cfg.win_rate_warning_below:
        out.append(
            Signal(
                type=SignalType.WIN_LOSS_PATTERN,
                name="Low win rate",
                strength=_clamp((cfg.win_rate_warning_below - m.win_rate) / cfg.win_rate_warning_below),
                evidence={
                    "win_rate": m.win_rate,
                    "won": st.won_deals,
                    "lost": st.lost_deals,
                    "window_days": st.window_days,
                    "benchmark": cfg.win_rate_warning_below,
                },
                recommended_action="Review recent losses for a common reason and tighten qualification.",
            )
        )
    out.extend(_loss_concentration(st))
    for stage_id, stale, total in _stagnant(st, st.stage_stale, st.stage_open_deals):
        out.append(
            _stagnation_signal(
                st,
                stale,
                total,
                name=f"Stagnation cluster in {_label(st, stage_id)}",
                evidence={"stage_id": stage_id},
                action="Re-engage or close the quiet deals in this stage.",
            )
        )
    for owner_id, stale, total in _stagnant(st, st.owner_stale, st.owner_open):
        out.append(
            _stagnation_signal(
                st,
                stale,
                total,
                name=(
                    f"Stagnation cluster: {names.get(owner_id, f'owner {owner_id}')}'s deals"
                    if owner_id
                    else "Stagnation cluster: deals without an owner"
                ),
                evidence={"owner_id": owner_id, "owner_name": names.get(owner_id) if owner_id else None},
                action="Check the owner's capacity and reassign or re-engage their quiet deals.",
            )
        )
    return out


K = TypeVar("K", str, str | None)


def _stagnant(
    st: SnapshotStats, stale_by: Mapping[K, DealRefs], open_by: Mapping[K, int]
) -> Iterator[tuple[K, DealRefs, int]]:
    """Groups (stages or owners) with enough quiet open deals, and a large enough share of them."""
    cfg = st.config
    for key, stale in stale_by.items():
        total = open_by.get(key, 0)
        share = percent(len(stale), total)
        enough = len(stale) >= cfg.stagnation_min_deals
        if enough and share is not None and share > cfg.stagnation_share_above:
            yield key, stale, total


def _stagnation_signal(
    st: SnapshotStats, stale: DealRefs, total: int, *, name: str, evidence: dict[str, object], action: str
) -> Signal:
    cfg = st.config
    share = percent(len(stale), total) or 0.0
    return Signal(
        type=SignalType.WIN_LOSS_PATTERN,
        name=name,
        strength=_clamp(share / 100.0),
        evidence={
            **evidence,
            "stale_deals": len(stale),
            "open_deals": total,
            "stale_share": share,
            "no_activity_days": cfg.stale_activity_days,
        },
        recommended_action=action,
        deal_ids=stale.top(cfg.max_signal_deal_ids),
    )


def _loss_concentration(st: SnapshotStats) -> list[Signal]:
    """Per pipeline: most lost deals (stage history) got no further than one stage."""
    cfg = st.config
    out: list[Signal] = []
    for pipeline_id, ps in st.pipelines.items():
        total = sum(len(refs) for refs in ps.lost_after)
        if total < cfg.signal_min_deals:
            continue
        index = max(range(len(ps.lost_after)), key=lambda i: len(ps.lost_after[i]))
        refs = ps.lost_after[index]
        share = percent(len(refs), total)
        if share is None or share <= cfg.loss_concentration_above:
            continue
        stage_id = ps.open_stage_ids[index]
        out.append(
            Signal(
                type=SignalType.WIN_LOSS_PATTERN,
                name=f"Losses concentrate after {_label(st, stage_id)}",
                strength=_clamp(share / 100.0),
                evidence={
                    "pipeline_id": pipeline_id,
                    "stage_id": stage_id,
                    "lost_after_stage": len(refs),
                    "lost_total": total,
                    "share": share,
                    "benchmark": cfg.loss_concentration_above,
                },
                recommended_action="Review why deals are lost after this stage (loss reasons, competitor, "
                "price) and tighten its exit criteria.",
                deal_ids=refs.top(cfg.max_signal_deal_ids),
            )
        )
    return out


def attribution_signals(st: SnapshotStats, m: Measures) -> list[Signal]:
    """Open value concentrated in the early stages: the forecast leans on deals far from closing."""
    cfg = st.config
    share = m.early_value_share
    if share is None or share <= cfg.early_stage_share_above:
        return []
    return [
        Signal(
            type=SignalType.ATTRIBUTION_SHIFT,
            name="Pipeline value sits in early stages",
            strength=_clamp(
                (share - cfg.early_stage_share_above) / (100.0 - cfg.early_stage_share_above or 1)
            ),
            evidence={
                "early_value_share": share,
                "early_deal_share": m.early_share,
                "early_deals": st.early_deals,
                "benchmark": cfg.early_stage_share_above,
            },
            recommended_action="Push qualified early deals to a next step; do not forecast on early value.",
        )
    ]


_ISSUE_TEXT: dict[str, tuple[str, str]] = {
    DealIssue.MISSING_AMOUNT: ("Deals without an amount", "Fill in amounts; they count as 0 in value."),
    DealIssue.ZERO_AMOUNT: ("Deals with a zero amount", "Check whether these deals have a real value."),
    DealIssue.INVALID_AMOUNT: (
        "Deals with a negative or implausible amount",
        "Correct these amounts; they count as 0 in value.",
    ),
    DealIssue.UNLISTED_STAGE: (
        "Deals in a stage the pipeline no longer lists",
        "Move these deals to a current stage; they count as open.",
    ),
    DealIssue.ARCHIVED_STAGE: ("Deals in an archived stage", "Move these deals to an active stage."),
    DealIssue.NO_PIPELINE: ("Deals in an unknown pipeline", "Assign these deals to an existing pipeline."),
    DealIssue.CLOSED_WITHOUT_CLOSE_DATE: (
        "Closed deals without a close date",
        "Set close dates; these deals are left out of win rate and cycle.",
    ),
    DealIssue.OTHER_CURRENCY: (
        "Deals in another currency than the portal's",
        "Values add these amounts as if in the portal currency; convert them or analyse them apart.",
    ),
    DealIssue.NEGATIVE_CYCLE: (
        "Won deals closed before they were created",
        "Fix the create or close dates of these deals.",
    ),
}

_FIELD_TEXT = {
    "amount": "amount",
    "close_date": "close date",
    "owner": "deal owner",
    "create_date": "create date",
    "last_activity": "last activity or modified date",
    "deal_type": "deal type",
    "stage_entry": "current stage entry time (open deals)",
}


def data_quality_signals(st: SnapshotStats, *, fields: Iterable[str] | None = None) -> list[Signal]:
    """Incomplete fields (< the completeness benchmark) and per-deal problems, with the deals behind them."""
    cfg = st.config
    out: list[Signal] = []
    wanted = set(fields) if fields is not None else set(_FIELD_TEXT)
    for key, filled in st.filled.items():
        if key not in wanted:
            continue
        whole = st.open_deals if key == "stage_entry" else st.deals_analyzed
        share = percent(filled, whole)
        if share is None or share >= cfg.field_completeness_below:
            continue
        out.append(
            Signal(
                type=SignalType.DATA_QUALITY,
                name=f"Incomplete field: {_FIELD_TEXT[key]}",
                strength=_clamp((cfg.field_completeness_below - share) / cfg.field_completeness_below),
                evidence={
                    "field": key,
                    "completeness": share,
                    "deals": whole,
                    "benchmark": cfg.field_completeness_below,
                },
                recommended_action=f"Make {_FIELD_TEXT[key]} required or backfill it; numbers using it "
                "are partial.",
            )
        )
    if fields is not None:
        return out
    for key, count in st.issues.items():
        text = _ISSUE_TEXT.get(key)
        if text is None or not count:
            continue
        share = count / st.deals_analyzed if st.deals_analyzed else 0.0
        out.append(
            Signal(
                type=SignalType.DATA_QUALITY,
                name=text[0],
                strength=_clamp(max(0.1, min(1.0, share * 2))),
                evidence={"issue": key, "deals": count, "share": round1(100.0 * share)},
                recommended_action=text[1],
                deal_ids=tuple(st.issue_ids.get(key, ())),
            )
        )
    return out
