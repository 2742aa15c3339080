"""The one path from a request to reports: read a snapshot, analyse it, record the trend.

Commands, mentions, buttons, the CLI and schedules all call :meth:`ReportService.run` (the answering
code calls its halves, :meth:`~ReportService.read` and :meth:`~ReportService.report`, to tell a slow
CRM read from a queue, and waits for :meth:`~ReportService.analysed` before taking an answer turn),
so a report is produced the same way everywhere: one snapshot read per
answer (``all`` analyses the three engines from the same snapshot), the CPU-bound analysis off the
event loop (so acknowledgements keep flowing while a 100k-deal portal is analysed) and done once per
snapshot, and the history recorded when there is one.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.storage.history import ReportHistory, Trend
from engines import (
    AnalysisConfig,
    EngineName,
    EngineReport,
    PortalSnapshot,
    ProgressCallback,
    SnapshotSource,
    analyze,
    analyze_all,
    utc_now,
)

__all__ = ["ReportBundle", "ReportService"]

log = logging.getLogger(__name__)

_AnalysisKey = tuple[int, tuple[EngineName, ...], datetime | None, AnalysisConfig | None]
_SnapshotRef = weakref.ref[PortalSnapshot]
_Analysis = asyncio.Task[list[EngineReport]]


@dataclass(frozen=True)
class ReportBundle:
    """The reports for one answer, their trends (when a history is kept) and the snapshot read."""

    reports: list[EngineReport]
    snapshot: PortalSnapshot
    trends: dict[EngineName, Trend | None] = field(default_factory=dict)


class ReportService:
    """Produces reports from a :class:`~engines.SnapshotSource`; optionally records them."""

    MAX_ANALYSES = 16  # (snapshot, engine selection) pairs whose reports are kept; 4 selections a snapshot

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
        self._analyses: OrderedDict[_AnalysisKey, tuple[_SnapshotRef, _Analysis]] = OrderedDict()

    async def run(
        self,
        engines: Sequence[EngineName],
        pipeline: str | None = None,
        *,
        progress: ProgressCallback | None = None,
        record: bool = True,
        refresh: bool = False,
        config: AnalysisConfig | None = None,
    ) -> ReportBundle:
        """Reports for ``engines`` on ``pipeline`` (id or label; ``None`` for all pipelines).

        Raises :class:`engines.EngineError` subclasses (unknown pipeline, HubSpot trouble) whose
        ``user_message`` is meant for the person who asked. ``refresh``: see :meth:`read`.
        ``config``: the thresholds of the workspace asking (``None``: the service's own).
        """
        snapshot = await self.read(pipeline, progress=progress, refresh=refresh)
        return await self.report(snapshot, engines, record=record, config=config)

    async def read(
        self, pipeline: str | None = None, *, progress: ProgressCallback | None = None, refresh: bool = False
    ) -> PortalSnapshot:
        """The snapshot for ``pipeline``: the CRM read, the only slow part a person should hear about.

        ``refresh`` (the card's Refresh button) re-reads the CRM when the cached snapshot is older
        than ``refresh_after`` seconds; younger snapshots are served as they are, so a burst of
        clicks costs one read.
        """
        snapshot = await self.source.snapshot(pipeline, progress=progress)
        if refresh and self._age(snapshot) > self.refresh_after:
            self.source.invalidate()
            snapshot = await self.source.snapshot(pipeline, progress=progress)
        return snapshot

    async def report(
        self,
        snapshot: PortalSnapshot,
        engines: Sequence[EngineName],
        *,
        record: bool = True,
        config: AnalysisConfig | None = None,
    ) -> ReportBundle:
        """Analyse ``snapshot`` (off the event loop) and record the trend when a history is kept."""
        reports = await self.analysed(snapshot, engines, config=config)
        trends: dict[EngineName, Trend | None] = {}
        if record and self.history is not None:
            for report in reports:
                trends[report.engine] = await self._record(report)
        return ReportBundle(reports=reports, snapshot=snapshot, trends=trends)

    async def analysed(
        self,
        snapshot: PortalSnapshot,
        engines: Sequence[EngineName],
        *,
        config: AnalysisConfig | None = None,
    ) -> list[EngineReport]:
        """The reports for ``snapshot``, computed once per snapshot object however many ask.

        Public so the answering code can wait for the shared analysis before it takes one of its
        few answer turns (:class:`bot.answers.answering.AnswerGate`), and hold a turn only for its own work:
        recording, rendering, posting.

        A snapshot is immutable and the source serves the same object until its cache expires, and
        the analysis depends only on it, the engines, ``now`` and the config (the service's, or the
        ``config`` of the workspace asking, compared by value: settings from Slack). So
        a burst of 500 commands on one snapshot is analysed once (the others await the same task)
        instead of 500 times holding the GIL against the event loop. Keyed by the snapshot's
        identity, checked through a weak reference (so a recycled ``id()`` never matches and the
        memo never keeps an expired snapshot alive); bounded to ``MAX_ANALYSES`` entries; failures
        are not kept.
        """
        loop = asyncio.get_running_loop()
        now = self._now()
        engines = tuple(engines)
        config = config if config is not None else self.config
        key = (id(snapshot), engines, now, config)
        entry = self._analyses.get(key)
        if entry is not None and entry[0]() is snapshot and entry[1].get_loop() is loop:
            self._analyses.move_to_end(key)
            return list(await asyncio.shield(entry[1]))
        task = loop.create_task(asyncio.to_thread(self._analyse, snapshot, list(engines), now, config))
        task.add_done_callback(lambda done: self._forget_failure(key, done))
        self._analyses[key] = (weakref.ref(snapshot), task)
        while len(self._analyses) > self.MAX_ANALYSES:
            self._analyses.popitem(last=False)
        return list(await asyncio.shield(task))

    def _forget_failure(self, key: _AnalysisKey, task: _Analysis) -> None:
        if task.cancelled() or task.exception() is not None:
            entry = self._analyses.get(key)
            if entry is not None and entry[1] is task:
                del self._analyses[key]

    @staticmethod
    def _age(snapshot: PortalSnapshot) -> float:
        return (utc_now() - snapshot.taken_at).total_seconds()

    @staticmethod
    def _analyse(
        snapshot: PortalSnapshot,
        engines: list[EngineName],
        now: datetime | None,
        config: AnalysisConfig | None,
    ) -> list[EngineReport]:
        if len(engines) == len(EngineName):
            return analyze_all(snapshot, now=now, config=config, pipeline=snapshot.pipeline_id)
        return [
            analyze(snapshot, engine, now=now, config=config, pipeline=snapshot.pipeline_id)
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
