"""The deal figures the object metrics need, in one more pass over the deals.

Renewal rates are company-level (every pipeline, whatever pipeline a card is for); pipeline coverage
and new-product adoption use the report's pipeline selection. Amounts count as in the deal statistics
(missing, negative or implausible: 0); a stage the pipeline does not list, or has archived, is open
and has no probability, as there.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engines.config import AnalysisConfig
from engines.deal_table import NO_DATE, to_micros
from engines.models import Pipeline, PortalSnapshot
from engines.objects._common import Window
from engines.records import SnapshotStats

__all__ = ["DealFigures", "deal_figures"]

_OPEN, _WON, _LOST = 0, 1, 2
_EXISTING_BUSINESS = "existingbusiness"


@dataclass(slots=True)
class DealFigures:
    # renewals (all pipelines), closed in the window
    renewal_won: float = 0.0
    renewal_lost: float = 0.0
    renewal_closed: int = 0
    expansion_won_outside: float = 0.0
    # coverage (selection), close date in [period_start, period_end)
    period_open: float = 0.0
    period_weighted: float = 0.0
    period_won: float = 0.0
    # adoption (selection), won in the window
    won_ids: set[str] = field(default_factory=set)
    won_value: float = 0.0
    # deals outside the snapshot's own pipeline (a snapshot read for one pipeline holds none)
    outside_snapshot_pipeline: int = 0


def _kinds(pipelines: tuple[Pipeline, ...]) -> dict[str | None, dict[str | None, tuple[int, float | None]]]:
    """pipeline id -> stage id -> (kind, probability); archived and unlisted stages are not listed."""
    kinds: dict[str | None, dict[str | None, tuple[int, float | None]]] = {}
    for p in pipelines:
        table = kinds.setdefault(p.id, {})
        for s in p.stages:
            if s.archived:
                continue  # counted as open without a probability, like an unlisted stage
            kind = _WON if s.is_won else _LOST if s.is_closed else _OPEN
            table[s.id] = (kind, s.probability)
    return kinds


def deal_figures(
    snapshot: PortalSnapshot,
    stats: SnapshotStats,
    *,
    selection: Pipeline | None,
    renewal: Pipeline | None,
    window: Window,
    config: AnalysisConfig,
) -> DealFigures:
    """Renewal sums, the coverage period's sums and the deals won in the window.

    The one-pass statistics hold the won deals of the window, the coverage period's sums (it was
    given to them) and, per pipeline, the won, lost and existing-business amounts closed in the
    window; when they cover every pipeline (no selection), the renewal sums come from there too. Only a
    report for one pipeline (renewals are company-level) or a snapshot read for one pipeline takes one
    more loop over the deals.
    """
    out = DealFigures(
        won_ids=set(stats.won_ids),
        won_value=stats.won_value,
        period_open=stats.period_open_value,
        period_weighted=stats.period_weighted_value,
        period_won=stats.period_won_value,
    )
    renewal_id = renewal.id if renewal is not None else None
    walked = selection is None  # the statistics saw every deal
    if walked and renewal_id is not None:
        ps = stats.pipelines.get(renewal_id)
        if ps is not None:
            out.renewal_won, out.renewal_lost = ps.window_won_value, ps.window_lost_value
            out.renewal_closed = ps.window_closed
            out.expansion_won_outside = stats.expansion_won_value - ps.window_expansion_value
        else:
            out.expansion_won_outside = stats.expansion_won_value
    snapshot_pipeline = snapshot.pipeline_id
    renewals_here = not walked and renewal_id is not None
    if not renewals_here and snapshot_pipeline is None:
        return out
    kinds = _kinds(snapshot.pipelines)
    unlisted: tuple[int, float | None] = (_OPEN, None)
    no_stages: dict[str | None, tuple[int, float | None]] = {}
    max_amount = config.max_plausible_amount
    start, now = to_micros(window.start), to_micros(window.now)
    renewal_won = renewal_lost = outside = 0.0
    renewal_closed = outside_snapshot = 0
    c = stats.deals.columns  # the snapshot's deals as columns (dates in microseconds)
    col = stats.deals.column
    for is_archived, pid, close, sid, amount, deal_type in zip(
        col(c.archived),
        col(c.pipeline_ids),
        col(c.close),
        col(c.stage_ids),
        col(c.amounts),
        col(c.deal_types),
        strict=True,
    ):
        if is_archived:
            continue
        if snapshot_pipeline is not None and pid != snapshot_pipeline:
            outside_snapshot += 1
        if not renewals_here or close == NO_DATE or not start <= close <= now:
            continue
        kind = kinds.get(pid, no_stages).get(sid, unlisted)[0]
        if kind == _OPEN:
            continue
        amt = amount if 0 < amount <= max_amount else 0.0  # NaN (no amount) compares false
        if pid == renewal_id:
            renewal_closed += 1
            if kind == _WON:
                renewal_won += amt
            else:
                renewal_lost += amt
        elif kind == _WON and deal_type == _EXISTING_BUSINESS:
            outside += amt
    if renewals_here:
        out.renewal_won, out.renewal_lost, out.renewal_closed = renewal_won, renewal_lost, renewal_closed
        out.expansion_won_outside = outside
    out.outside_snapshot_pipeline = outside_snapshot
    return out
