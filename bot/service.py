"""The one path from a request to reports: read a snapshot, analyse it, record the trend.

Commands, mentions, buttons, the CLI and schedules all call :meth:`ReportService.run`, so a report
is produced the same way everywhere: one snapshot read per answer (``all`` analyses the three
engines from the same snapshot), the CPU-bound analysis off the event loop (so acknowledgements
keep flowing while a 100k-deal portal is analysed), and the history recorded when there is one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.trends import ReportHistory, Trend
from engines import (
    AnalysisConfig,
    EngineName,
    EngineReport,
    PortalSnapshot,
    ProgressCallback,
    SnapshotSource,
    analyze,
    analyze_all,
)
from engines.dates import utc_now

__all__ = ["ReportBundle", "ReportService"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReportBundle:
    """The reports for one answer, their trends (when a history is kept) and the snapshot read."""

    reports: list[EngineReport]
    snapshot: PortalSnapshot
    trends: dict[EngineName, Trend | None] = field(default_factory=dict)


class ReportService:
    """Produces reports from a :class:`~engines.SnapshotSource`; optionally records them."""

    def __init__(
        self,
        source: SnapshotSource,
        *,
        history: ReportHistory | None = None,
        config: AnalysisConfig | None = None,
        now: Callable[[], datetime | None] | None = None,
        refresh_after: float = 60.0,
    ) -> None:
        self.source = source
        self.history = history
        self.config = config
        self.refresh_after = refresh_after
        self._now = now or (lambda: None)

    async def run(
        self,
        engines: Sequence[EngineName],
        pipeline: str | None = None,
        *,
        progress: ProgressCallback | None = None,
        record: bool = True,
        refresh: bool = False,
    ) -> ReportBundle:
        """Reports for ``engines`` on ``pipeline`` (id or label; ``None`` for all pipelines).

        Raises :class:`engines.EngineError` subclasses (unknown pipeline, HubSpot trouble) whose
        ``user_message`` is meant for the person who asked. ``refresh`` (the card's Refresh
        button) re-reads the CRM when the cached snapshot is older than ``refresh_after`` seconds;
        younger snapshots are served as they are, so a burst of clicks costs one read.
        """
        snapshot = await self.source.snapshot(pipeline, progress=progress)
        clear = getattr(self.source, "clear_cache", None)
        if refresh and callable(clear) and self._age(snapshot) > self.refresh_after:
            clear()
            snapshot = await self.source.snapshot(pipeline, progress=progress)
        reports = await asyncio.to_thread(self._analyse, snapshot, list(engines))
        trends: dict[EngineName, Trend | None] = {}
        if record and self.history is not None:
            for report in reports:
                trends[report.engine] = await self._record(report)
        return ReportBundle(reports=reports, snapshot=snapshot, trends=trends)

    @staticmethod
    def _age(snapshot: PortalSnapshot) -> float:
        return (utc_now() - snapshot.taken_at).total_seconds()

    def _analyse(self, snapshot: PortalSnapshot, engines: list[EngineName]) -> list[EngineReport]:
        now = self._now()
        if len(engines) == len(EngineName):
            return analyze_all(snapshot, now=now, config=self.config, pipeline=snapshot.pipeline_id)
        return [
            analyze(snapshot, engine, now=now, config=self.config, pipeline=snapshot.pipeline_id)
            for engine in engines
        ]

    async def _record(self, report: EngineReport) -> Trend | None:
        """Store the report; a storage failure costs the trend line, never the answer."""
        assert self.history is not None
        try:
            return await self.history.record(report)
        except Exception:
            log.exception("could not record the %s report; the card goes out without a trend", report.engine)
            return None
