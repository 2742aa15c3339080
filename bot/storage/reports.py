"""Report history: a compact snapshot of every report, and how a report moved since the last one.

:class:`ReportStore` implements :class:`bot.storage.history.ReportHistory`. It keeps the score, the label, the
scalar metric values and the signal types (not deals or evidence: trends need numbers, and the CRM
stays the place for detail). "Previous" means the previous report recorded for the same engine and
pipeline, in recording order, whoever asked for it.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from bot.storage.database import Store, from_row
from bot.storage.history import Trend
from bot.storage.tables import ReportSnapshotRow
from engines import EngineName, EngineReport

__all__ = ["ReportSnapshot", "ReportStore", "ScoreChange", "scalar_metrics", "trend_between"]


@dataclass(frozen=True, slots=True)
class ReportSnapshot:
    engine: EngineName
    pipeline: str | None
    pipeline_label: str | None
    score: int | None
    label: str
    metrics: dict[str, float]
    signal_types: tuple[str, ...]
    deals_analyzed: int
    source: str
    as_of: datetime
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class ScoreChange:
    """How one engine's score moved between a baseline report and the latest one."""

    engine: EngineName
    pipeline: str | None
    latest_score: int | None
    latest_at: datetime
    baseline_score: int | None = None
    baseline_at: datetime | None = None

    @property
    def delta(self) -> int | None:
        if self.latest_score is None or self.baseline_score is None:
            return None
        return self.latest_score - self.baseline_score


def scalar_metrics(report: EngineReport) -> dict[str, float]:
    """The metrics that are plain finite numbers (breakdowns and unknowns have no single trend)."""
    values: dict[str, float] = {}
    for key, metric in report.metrics.items():
        value = metric.value
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        if math.isfinite(value):
            values[key] = float(value)
    return values


def trend_between(previous: ReportSnapshot, current: ReportSnapshot) -> Trend:
    """The change from ``previous`` to ``current``; metrics missing from either side are left out."""
    score_delta = None
    if previous.score is not None and current.score is not None:
        score_delta = current.score - previous.score
    deltas = {
        key: round(value - previous.metrics[key], 6)
        for key, value in current.metrics.items()
        if key in previous.metrics
    }
    return Trend(
        previous_at=previous.recorded_at,
        previous_score=previous.score,
        score_delta=score_delta,
        metric_deltas=deltas,
    )


def _snapshot(row: ReportSnapshotRow) -> ReportSnapshot:
    return from_row(
        ReportSnapshot,
        row,
        engine=EngineName(row.engine),
        pipeline=row.pipeline_key or None,
        metrics=dict(row.metrics),
        signal_types=tuple(row.signal_types),
    )


class ReportStore(Store):
    """Records every report and answers trend questions. Database work runs in a worker thread."""

    async def record(self, report: EngineReport) -> Trend | None:
        """Store ``report``; return its change since the previous report of the same engine and
        pipeline, or ``None`` when this is the first one."""
        return await asyncio.to_thread(self._record, report)

    async def last_trend(self, report: EngineReport) -> Trend | None:
        """``report``'s score change since the last report recorded for its engine and pipeline,
        without recording it; ``None`` when nothing was recorded yet."""
        past = await self.history(report.engine, report.pipeline, limit=1)
        if not past:
            return None
        last = past[-1]
        before = last.score
        delta = report.score - before if before is not None and report.score is not None else None
        return Trend(previous_at=last.recorded_at, previous_score=before, score_delta=delta)

    async def history(
        self, engine: EngineName | str, pipeline: str | None = None, *, limit: int = 50
    ) -> list[ReportSnapshot]:
        """The newest ``limit`` snapshots for one engine and pipeline, oldest first."""
        return await asyncio.to_thread(self._history, EngineName(engine), pipeline, limit)

    async def changes_since(
        self, engines: Sequence[EngineName], pipeline: str | None, since: datetime
    ) -> list[ScoreChange]:
        """Per engine, the latest score against the last one recorded at or before ``since``.

        When nothing was recorded before ``since`` the oldest report after it is the baseline; an
        engine with a single report gets a change with no baseline; one with none is left out.
        """
        return await asyncio.to_thread(self._changes_since, tuple(engines), pipeline, since)

    # ------------------------------------------------------------------ sync internals

    def _record(self, report: EngineReport) -> Trend | None:
        key = report.pipeline or ""
        row = ReportSnapshotRow(
            engine=report.engine.value,
            pipeline_key=key,
            pipeline_label=report.pipeline_label,
            score=report.score,
            label=report.label.value,
            metrics=scalar_metrics(report),
            signal_types=sorted({signal.type.value for signal in report.signals}),
            deals_analyzed=report.deals_analyzed,
            source=report.source,
            as_of=report.as_of,
            recorded_at=self._clock(),
        )
        with self._db.sessions.begin() as session:
            previous = session.scalars(
                select(ReportSnapshotRow)
                .where(ReportSnapshotRow.engine == row.engine, ReportSnapshotRow.pipeline_key == key)
                .order_by(ReportSnapshotRow.id.desc())
                .limit(1)
            ).first()
            session.add(row)
            session.flush()
            if previous is None:
                return None
            return trend_between(_snapshot(previous), _snapshot(row))

    def _history(self, engine: EngineName, pipeline: str | None, limit: int) -> list[ReportSnapshot]:
        query = (
            select(ReportSnapshotRow)
            .where(ReportSnapshotRow.engine == engine.value)
            .where(ReportSnapshotRow.pipeline_key == (pipeline or ""))
            .order_by(ReportSnapshotRow.id.desc())
            .limit(limit)
        )
        with self._db.sessions() as session:
            return [_snapshot(row) for row in reversed(session.scalars(query).all())]

    def _changes_since(
        self, engines: tuple[EngineName, ...], pipeline: str | None, since: datetime
    ) -> list[ScoreChange]:
        changes: list[ScoreChange] = []
        key = pipeline or ""
        with self._db.sessions() as session:
            for engine in engines:
                same = (ReportSnapshotRow.engine == engine.value, ReportSnapshotRow.pipeline_key == key)
                latest = session.scalars(
                    select(ReportSnapshotRow).where(*same).order_by(ReportSnapshotRow.id.desc()).limit(1)
                ).first()
                if latest is None:
                    continue
                baseline = session.scalars(
                    select(ReportSnapshotRow)
                    .where(*same, ReportSnapshotRow.recorded_at <= since)
                    .order_by(ReportSnapshotRow.id.desc())
                    .limit(1)
                ).first()
                if baseline is None:
                    baseline = session.scalars(
                        select(ReportSnapshotRow)
                        .where(*same, ReportSnapshotRow.id < latest.id)
                        .order_by(ReportSnapshotRow.id)
                        .limit(1)
                    ).first()
                changes.append(
                    ScoreChange(
                        engine=engine,
                        pipeline=pipeline,
                        latest_score=latest.score,
                        latest_at=latest.recorded_at,
                        baseline_score=baseline.score if baseline is not None else None,
                        baseline_at=baseline.recorded_at if baseline is not None else None,
                    )
                )
        return changes
