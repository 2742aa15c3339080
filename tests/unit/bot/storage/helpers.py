"""Test helpers shared by the storage and schedules tests: tiny reports (the clock is tests.support.clock)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from engines import EngineName, EngineReport, HealthLabel, Metric, Signal, SignalType

__all__ = ["make_report", "minutes"]


def make_report(
    engine: EngineName | str = EngineName.GROWTH,
    score: int | None = 70,
    *,
    pipeline: str | None = None,
    metrics: dict[str, float | int | dict[str, float] | None] | None = None,
    signals: tuple[SignalType, ...] = (),
    as_of: datetime | None = None,
) -> EngineReport:
    values = metrics if metrics is not None else {"win_rate": 0.3, "pipeline_value": 120000}
    return EngineReport(
        engine=EngineName(engine),
        score=score,
        label=HealthLabel.HEALTHY if score is not None and score >= 70 else HealthLabel.WARNING,
        pipeline=pipeline,
        pipeline_label=pipeline.title() if pipeline else None,
        as_of=as_of or datetime(2026, 11, 16, 8, tzinfo=UTC),
        deals_analyzed=42,
        metrics={key: Metric(label=key, value=value) for key, value in values.items()},
        signals=tuple(Signal(type=kind, name=kind.value, strength=0.5) for kind in signals),
    )


def minutes(n: int) -> timedelta:
    return timedelta(minutes=n)
