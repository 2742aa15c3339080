"""Test helpers shared by tests/storage and tests/schedules: a hand-driven clock and tiny reports."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from engines import EngineName, EngineReport, HealthLabel, Metric, Signal, SignalType

__all__ = ["FakeClock", "make_report", "minutes"]


class FakeClock:
    """A clock the test moves by hand; call it to read the time, as the code under test does."""

    def __init__(self, start: datetime) -> None:
        self.now = start.astimezone(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> datetime:
        self.now += delta
        return self.now

    def set(self, moment: datetime) -> datetime:
        self.now = moment.astimezone(UTC)
        return self.now


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
