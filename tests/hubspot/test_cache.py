"""Caching and single-flight: twenty people typing /engine at once cost one HubSpot read."""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator

import httpx
import pytest

from engines.errors import HubSpotUnavailableError, UnknownPipelineError
from engines.hubspot import HubSpotSource
from engines.models import PortalSnapshot
from engines.source import Progress
from tests.fakes.hubspot import OWNERS, PIPELINES, SEARCH, FakeHubSpot
from tests.hubspot.conftest import FAST_RETRY, RELAXED

PAGES = math.ceil(485 / 200)


@pytest.fixture
async def hubspot(portal: PortalSnapshot) -> AsyncIterator[FakeHubSpot]:
    """Rate limits off on both sides here: these tests are about how many reads happen, not pacing."""
    async with FakeHubSpot(portal, search_per_second=None, app_limit=None) as fake:
        yield fake


def _source(fake: FakeHubSpot, **options: object) -> HubSpotSource:
    options.setdefault("retry", FAST_RETRY)
    options.setdefault("limits", RELAXED)
    return HubSpotSource(fake.token, base_url=fake.base_url, **options)  # type: ignore[arg-type]


async def test_twenty_concurrent_requests_share_one_fetch(hubspot: FakeHubSpot) -> None:
    hubspot.latency = 0.02  # long enough that all twenty arrive while the read is under way
    progress: list[list[Progress]] = [[] for _ in range(20)]
    async with _source(hubspot) as source:
        snaps = await asyncio.gather(*(source.snapshot(progress=progress[i].append) for i in range(20)))
        assert source.fetches == 1
    assert all(s is snaps[0] for s in snaps)
    assert len(hubspot.calls_to(SEARCH)) == PAGES
    assert len(hubspot.calls_to(PIPELINES)) == 1
    for seen in progress:  # every caller, not just the first, sees the read finish
        assert seen[-1] == Progress("done", 485, 485)


async def test_label_and_case_variants_are_one_cache_entry(hubspot: FakeHubSpot) -> None:
    async with _source(hubspot) as source:
        first = await source.snapshot("Renewals")
        again = await source.snapshot("  RENEWALS")
        everything = await source.snapshot()
        assert source.fetches == 2
    assert again is first
    assert everything is not first


async def test_cached_snapshot_expires_after_the_ttl(hubspot: FakeHubSpot) -> None:
    async with _source(hubspot, cache_ttl=0.25) as source:
        first = await source.snapshot()
        assert await source.snapshot() is first
        await asyncio.sleep(0.3)
        second = await source.snapshot()
        assert source.fetches == 2
    assert second is not first
    assert len(hubspot.calls_to(SEARCH)) == 2 * PAGES


async def test_cache_is_bounded_and_drops_the_least_recently_used(hubspot: FakeHubSpot) -> None:
    async with _source(hubspot, max_cached=2) as source:
        await source.snapshot("default")
        await source.snapshot("Renewals")
        await source.snapshot("default")  # refreshes "default": "Renewals" is now the oldest
        await source.snapshot()  # a third key evicts "Renewals"
        assert source.fetches == 3
        await source.snapshot("default")
        assert source.fetches == 3
        await source.snapshot("renewals")
        assert source.fetches == 4


async def test_failures_are_not_cached_and_are_shared(hubspot: FakeHubSpot) -> None:
    hubspot.latency = 0.02
    hubspot.fail("status", path=PIPELINES, times=FAST_RETRY.max_attempts, status=503)
    async with _source(hubspot) as source:
        results = await asyncio.gather(*(source.snapshot() for _ in range(5)), return_exceptions=True)
        assert all(isinstance(r, HubSpotUnavailableError) for r in results)
        assert source.fetches == 1
        snap = await source.snapshot()  # HubSpot recovered: the failure was not remembered
        assert source.fetches == 2
    assert len(snap.deals) == 485


async def test_a_cancelled_caller_does_not_cancel_the_shared_read(hubspot: FakeHubSpot) -> None:
    hubspot.latency = 0.05
    async with _source(hubspot) as source:
        impatient = asyncio.create_task(source.snapshot())
        patient = asyncio.create_task(source.snapshot())
        await asyncio.sleep(0.08)
        impatient.cancel()
        snap = await patient
        with pytest.raises(asyncio.CancelledError):
            await impatient
        assert source.fetches == 1
    assert len(snap.deals) == 485


async def test_a_broken_progress_callback_does_not_break_the_read(hubspot: FakeHubSpot) -> None:
    def explode(progress: Progress) -> None:
        raise RuntimeError("display gone")

    async with _source(hubspot) as source:
        snap = await source.snapshot(progress=explode)
    assert len(snap.deals) == 485


async def test_invalidate_forces_a_fresh_read(hubspot: FakeHubSpot) -> None:
    async with _source(hubspot) as source:
        await source.snapshot()
        source.invalidate()
        await source.snapshot()
        assert source.fetches == 2


async def test_aclose_stops_a_read_under_way(hubspot: FakeHubSpot) -> None:
    hubspot.latency = 0.2
    source = _source(hubspot)
    reading = asyncio.create_task(source.snapshot())
    await asyncio.sleep(0.05)
    await source.aclose()
    with pytest.raises(asyncio.CancelledError):
        await reading
    assert source.fetches == 1


async def test_a_transport_passed_in_is_borrowed_not_closed(hubspot: FakeHubSpot) -> None:
    transport = httpx.AsyncHTTPTransport()
    async with transport:
        async with _source(hubspot, transport=transport, cache_ttl=0) as source:
            await source.snapshot()
            await source.snapshot()  # a second read through the same transport still works
            assert source.fetches == 2
        async with httpx.AsyncClient(transport=transport) as client:  # and the caller can still use it
            response = await client.get(f"{hubspot.base_url}{OWNERS}")
    assert response.status_code == 401


async def test_a_label_and_its_id_are_one_cache_entry(hubspot: FakeHubSpot) -> None:
    async with _source(hubspot) as source:
        by_label = await source.snapshot("Renewals")
        by_id = await source.snapshot("14620931")
        assert source.fetches == 1
    assert by_id is by_label
    assert len(hubspot.calls_to(PIPELINES)) == 2  # the list to resolve the label, then the read


async def test_unknown_names_fail_from_the_cached_pipeline_list(hubspot: FakeHubSpot) -> None:
    async with _source(hubspot) as source:
        await source.snapshot()  # the read brings the pipeline list along
        calls = len(hubspot.calls)
        for name in ("Partners", "nosuch", "Renewalz", "1462093"):
            with pytest.raises(UnknownPipelineError) as caught:
                await source.snapshot(name)
            assert caught.value.wanted == name
            assert "Sales Pipeline, Renewals" in caught.value.user_message
        assert len(hubspot.calls) == calls  # not one request for a name that is not there
        assert source.fetches == 1


async def test_a_burst_of_unknown_names_shares_one_pipeline_list_read(hubspot: FakeHubSpot) -> None:
    hubspot.latency = 0.02
    async with _source(hubspot) as source:
        results = await asyncio.gather(
            *(source.snapshot(f"nosuch-{i}") for i in range(10)), return_exceptions=True
        )
        assert source.fetches == 0
    assert all(isinstance(r, UnknownPipelineError) for r in results)
    assert [c.path for c in hubspot.calls] == [PIPELINES]


async def test_invalidate_also_forgets_the_pipeline_list(hubspot: FakeHubSpot) -> None:
    async with _source(hubspot) as source:
        with pytest.raises(UnknownPipelineError):
            await source.snapshot("Partners")
        source.invalidate()  # e.g. the card's Refresh: a pipeline created meanwhile must be found
        with pytest.raises(UnknownPipelineError):
            await source.snapshot("Partners")
    assert len(hubspot.calls_to(PIPELINES)) == 2


async def test_a_failed_pipeline_list_read_is_not_cached(hubspot: FakeHubSpot) -> None:
    hubspot.fail("status", path=PIPELINES, times=FAST_RETRY.max_attempts, status=503)
    async with _source(hubspot) as source:
        with pytest.raises(HubSpotUnavailableError):
            await source.snapshot("Renewals")
        snap = await source.snapshot("Renewals")
    assert snap.pipeline_id == "14620931"
