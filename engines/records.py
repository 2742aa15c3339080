"""The record types of the one-pass statistics: what :func:`engines.stats.compute_stats` fills in.

Plain slotted dataclasses and int/str constants, so the hot loop in :mod:`engines.stats` reads and
writes them with attribute and dict operations only. The engines, signals and measures read these
types; only :mod:`engines.stats` creates and fills them.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from datetime import datetime
from itertools import compress

from engines.config import AnalysisConfig
from engines.deal_table import DealTable
from engines.models import Pipeline, RiskReason

__all__ = [
    "AtRiskRows",
    "DealIssue",
    "DealRefs",
    "PipelineStats",
    "RiskFlag",
    "RiskRow",
    "SnapshotStats",
    "StageKind",
]


class StageKind:
    """How a deal's stage id resolves in its pipeline (ints: compared in the hot loop)."""

    OPEN = 0
    WON = 1
    LOST = 2
    ARCHIVED = 3  # an archived stage: counted as open, reported as data quality
    UNLISTED = 4  # a stage id the pipeline no longer lists: counted as open, reported


class DealIssue:
    """Keys of the data-quality problems found per deal (also the evidence keys of signals)."""

    MISSING_AMOUNT = "missing_amount"
    ZERO_AMOUNT = "zero_amount"
    INVALID_AMOUNT = "negative_or_implausible_amount"
    UNLISTED_STAGE = "stage_not_in_pipeline"
    ARCHIVED_STAGE = "archived_stage"
    NO_PIPELINE = "unknown_pipeline"
    NO_STAGE_ENTRY = "no_stage_entry_timestamp"
    CLOSED_WITHOUT_CLOSE_DATE = "closed_without_close_date"
    NEGATIVE_CYCLE = "close_date_before_create_date"
    OTHER_CURRENCY = "other_currency"


@dataclass(slots=True)
class DealRefs:
    """Amounts and ids of the deals behind a number, as two parallel lists.

    Parallel lists instead of ``(amount, id)`` tuples: floats and strings are not tracked by the
    garbage collector, so collecting evidence for 100k deals triggers no collections of the heap.
    """

    amounts: list[float] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.ids)

    def top(self, cap: int) -> tuple[str, ...]:
        """Up to ``cap`` ids, largest amount first (ties by id, for a stable order).

        Only the entries whose amount reaches the ``cap``-th largest can be among them: those are
        found with C-level sorting and filtering, and only they are ordered by (amount, id) - the
        same result as ordering every entry, without a key tuple per entry.
        """
        amounts, ids = self.amounts, self.ids
        if cap <= 0 or not ids:
            return ()
        if len(ids) > cap:
            least = heapq.nlargest(cap, amounts)[-1]
            candidates = list(compress(range(len(ids)), map(least.__le__, amounts)))
        else:
            candidates = list(range(len(ids)))
        candidates.sort(key=lambda k: (-amounts[k], ids[k]))
        return tuple(ids[k] for k in candidates[:cap])


class RiskFlag:
    """Bits of ``AtRiskRows.flags``."""

    STALE = 1
    PAST_CLOSE = 2
    TOO_OLD = 4
    LATE_STAGE = 8


_REASONS = tuple(
    tuple(
        reason
        for bit, reason in (
            (RiskFlag.STALE, RiskReason.NO_RECENT_ACTIVITY),
            (RiskFlag.PAST_CLOSE, RiskReason.PAST_CLOSE_DATE),
            (RiskFlag.TOO_OLD, RiskReason.OPEN_TOO_LONG),
        )
        if flags & bit
    )
    for flags in range(16)
)


RiskRow = tuple[
    str,  # deal id
    int,  # its slot in SnapshotStats.deals.columns (for the name)
    float,  # amount as read (NaN when missing)
    str | None,  # stage id
    str | None,  # pipeline id
    str | None,  # owner id
    int,  # close date, microseconds since the epoch (engines.deal_table.NO_DATE: none)
    int,  # current stage entered at, microseconds
    int,  # last activity (else last modified), microseconds
]


@dataclass(slots=True)
class AtRiskRows:
    """Open deals at risk: one plain tuple per deal plus parallel amount and flag lists.

    The tuple copies the deal's fields while the walk has them at hand (reading them back from the
    columns later, for deals spread over the whole table, measured 1.5x slower).
    """

    rows: list[RiskRow] = field(default_factory=list)
    amounts: list[float] = field(default_factory=list)  # amount at risk (missing/invalid = 0)
    flags: list[int] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.rows)

    @staticmethod
    def reasons(flags: int) -> tuple[RiskReason, ...]:
        return _REASONS[flags & 7]


@dataclass(slots=True)
class PipelineStats:
    """Counters for one pipeline (or for deals whose pipeline the portal does not list)."""

    pipeline: Pipeline | None
    open_stage_ids: tuple[str, ...]
    won_stage_id: str | None
    early_count: int  # the first ``early_count`` open stages are "early"
    late_from: int  # open stages with index >= late_from are "late"
    kinds: dict[str, tuple[int, int, float | None]]  # stage id -> (kind, open index, probability)
    open_index: dict[str, int]  # open stage id -> its index in display order
    entered: list[int]  # per open stage index: deals that entered it (open and closed)
    stopped: list[DealRefs]  # per open stage: deals whose furthest open stage it is, not won
    lost_after: list[DealRefs]  # per open stage: lost deals whose furthest open stage it is
    stride: int  # len(open_stage_ids) + 1: the combination key's multiplier (see combos)

    # The walk's counts per (entered-stages shape, open stage index): ``shape * stride + index + 1``
    # -> deals, and that combination's furthest open stage (see engines.stats).
    combos: dict[int, int] = field(default_factory=dict)
    tops: dict[int, int] = field(default_factory=dict)

    def advanced(self, index: int) -> int:
        """Deals that entered open stage ``index`` and later reached a later one or were won."""
        return self.entered[index] - len(self.stopped[index])

    open_deals: int = 0
    open_value: float = 0.0
    at_risk: int = 0
    # closed in the window (renewal rates read these for the renewals pipeline)
    window_closed: int = 0
    window_won_value: float = 0.0
    window_lost_value: float = 0.0
    window_expansion_value: float = 0.0  # won, existing business


@dataclass(slots=True)
class SnapshotStats:
    """Everything the engines need, for one scope (one pipeline or all) at one ``now``."""

    deals: DealTable  # the snapshot's deals as columns (what the walk read)
    now: datetime
    config: AnalysisConfig
    window_days: int
    pipelines: dict[str, PipelineStats]
    stage_labels: dict[str, str]
    deals_analyzed: int = 0
    archived_deals: int = 0
    # open pipeline
    open_deals: int = 0
    open_value: float = 0.0
    weighted_value: float = 0.0
    open_without_probability: int = 0
    open_in_listed_stages: int = 0
    open_listed_value: float = 0.0
    early_deals: int = 0
    early_value: float = 0.0
    late_deals: int = 0
    late_value: float = 0.0
    late_at_risk: int = 0
    closing_soon_deals: int = 0
    closing_soon_value: float = 0.0
    stage_open_deals: dict[str, int] = field(default_factory=dict)
    stage_open_value: dict[str, float] = field(default_factory=dict)
    stage_days_total: dict[str, float] = field(default_factory=dict)
    stage_days_count: dict[str, int] = field(default_factory=dict)
    stage_slow: dict[str, DealRefs] = field(default_factory=dict)  # open longer than the benchmark
    stage_stale: dict[str, DealRefs] = field(default_factory=dict)  # no recent activity
    owner_open: dict[str | None, int] = field(default_factory=dict)
    owner_stale: dict[str | None, DealRefs] = field(default_factory=dict)
    stale_deals: int = 0
    # closed in the window
    won_deals: int = 0
    lost_deals: int = 0
    won_value: float = 0.0
    expansion_won_value: float = 0.0
    expansion_won_deals: int = 0
    won_ids: list[str] = field(default_factory=list)  # deals won in the window (new-product adoption)
    # the pipeline-coverage period ([start, end), when there is a target) and its sums
    period: tuple[datetime, datetime] | None = None
    period_open_value: float = 0.0
    period_weighted_value: float = 0.0
    period_won_value: float = 0.0
    cycle_days_total: float = 0.0
    cycle_count: int = 0
    closed_total: int = 0
    # at risk
    at_risk: AtRiskRows = field(default_factory=AtRiskRows)
    # data quality: field -> deals that have it (denominator deals_analyzed unless noted)
    filled: dict[str, int] = field(default_factory=dict)
    issues: dict[str, int] = field(default_factory=dict)
    issue_ids: dict[str, list[str]] = field(default_factory=dict)

    def note_issue(self, key: str, deal_id: str) -> None:
        self.issues[key] = self.issues.get(key, 0) + 1
        ids = self.issue_ids.setdefault(key, [])
        if len(ids) < self.config.max_signal_deal_ids:
            ids.append(deal_id)
