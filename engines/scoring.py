"""Scores, labels and metric statuses: the rules, in one small module.

A score starts at 100 and loses the points of each failing rule (``AnalysisConfig.points_*``); a rule
whose metric cannot be computed deducts nothing (missing data is reported as a data gap instead of
being punished twice). docs/metrics.md ("How the numbers are computed") lists every rule.
"""

from __future__ import annotations

from dataclasses import dataclass

from engines.config import AnalysisConfig
from engines.models import HealthLabel, MetricStatus

__all__ = [
    "Deduction",
    "above_status",
    "below_status",
    "health_label",
    "score_from",
]


@dataclass(frozen=True, slots=True)
class Deduction:
    """One failing rule: which metric, how many points, and why (kept for notes and tests)."""

    metric: str
    points: int
    reason: str


def below_status(value: float | None, critical_below: float, warning_below: float) -> MetricStatus:
    """Status of a metric where lower is worse (volume, conversion, win rate)."""
    if value is None:
        return MetricStatus.UNKNOWN
    if value < critical_below:
        return MetricStatus.CRITICAL
    if value < warning_below:
        return MetricStatus.WARNING
    return MetricStatus.HEALTHY


def above_status(value: float | None, critical_above: float, warning_above: float) -> MetricStatus:
    """Status of a metric where higher is worse (sales cycle, at-risk share)."""
    if value is None:
        return MetricStatus.UNKNOWN
    if value > critical_above:
        return MetricStatus.CRITICAL
    if value > warning_above:
        return MetricStatus.WARNING
    return MetricStatus.HEALTHY


def score_from(deductions: list[Deduction]) -> int:
    """100 minus the deducted points, never below 0."""
    return max(0, min(100, 100 - sum(d.points for d in deductions)))


def health_label(score: int | None, config: AnalysisConfig) -> HealthLabel:
    if score is None:
        return HealthLabel.INSUFFICIENT_DATA
    if score >= config.healthy_from:
        return HealthLabel.HEALTHY
    if score >= config.warning_from:
        return HealthLabel.WARNING
    return HealthLabel.CRITICAL
