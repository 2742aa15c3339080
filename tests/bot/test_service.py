"""ReportService: one snapshot per answer, history recorded, Refresh re-reads only stale snapshots."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.answers.service import ReportService
from bot.storage.history import Trend
from engines import EngineName, EngineReport, PortalSnapshot
from engines.hubspot import HubSpotSource
from tests.fakes.hubspot import ACCOUNT, FakeHubSpot


class _MemoryHistory:
    """A ReportHistory that keeps reports in a list and reports the score change."""

    def __init__(self) -> None:
        self.reports: list[EngineReport] = []

    async def record(self, report: EngineReport) -> Trend | None:
        previous = next((r for r in reversed(self.reports) if r.engine == report.engine), None)
        self.reports.append(report)
        if previous is None or previous.score is None or report.score is None:
            return None
        return Trend(
            previous_at=previous.as_of,
            previous_score=previous.score,
            score_delta=report.score - previous.score,
        )

    async def last_trend(self, report: EngineReport) -> Trend | None:
        return None


class _FailingHistory:
    async def record(self, report: EngineReport) -> Trend | None:
        raise OSError("disk full")

    async def last_trend(self, report: EngineReport) -> Trend | None:
        raise OSError("disk full")


async def test_all_engines_from_one_read_with_trends(portal: PortalSnapshot) -> None:
    async with (
        FakeHubSpot(portal) as hubspot,
        HubSpotSource(hubspot.token, base_url=hubspot.base_url) as source,
    ):
        history = _MemoryHistory()
        service = ReportService(source, history=history)
        first = await service.run(list(EngineName))
        assert [r.engine for r in first.reports] == list(EngineName)
        assert first.trends == {e: None for e in EngineName}
        second = await service.run([EngineName.GROWTH], "Sales Pipeline")
        assert second.reports[0].pipeline_label == "Sales Pipeline"
        assert second.trends[EngineName.GROWTH] is not None
        assert len(history.reports) == 4


async def test_refresh_rereads_only_a_stale_snapshot(portal: PortalSnapshot) -> None:
    async with (
        FakeHubSpot(portal) as hubspot,
        HubSpotSource(hubspot.token, base_url=hubspot.base_url) as source,
    ):
        fresh = ReportService(source)
        await fresh.run([EngineName.GROWTH])
        await fresh.run([EngineName.GROWTH], refresh=True)  # cached snapshot is seconds old: reused
        assert len(hubspot.calls_to(ACCOUNT)) == 1
        eager = ReportService(source, refresh_after=0.0)
        await eager.run([EngineName.GROWTH], refresh=True)
        assert len(hubspot.calls_to(ACCOUNT)) == 2


async def test_a_storage_failure_costs_the_trend_not_the_answer(portal: PortalSnapshot) -> None:
    async with (
        FakeHubSpot(portal) as hubspot,
        HubSpotSource(hubspot.token, base_url=hubspot.base_url) as source,
    ):
        bundle = await ReportService(source, history=_FailingHistory()).run([EngineName.FULFILLMENT])
    assert bundle.reports[0].engine == EngineName.FULFILLMENT
    assert bundle.trends == {EngineName.FULFILLMENT: None}


async def test_now_pins_the_analysis_time(portal: PortalSnapshot) -> None:
    when = datetime(2026, 12, 1, tzinfo=UTC)
    async with (
        FakeHubSpot(portal) as hubspot,
        HubSpotSource(hubspot.token, base_url=hubspot.base_url) as source,
    ):
        bundle = await ReportService(source, now=lambda: when).run([EngineName.GROWTH], record=False)
    assert bundle.reports[0].as_of == when
