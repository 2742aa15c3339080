"""Rate limits, faults and auth errors, as HubSpot really answers them over HTTP (no patching)."""

from __future__ import annotations

import itertools
import socket

import pytest

from engines.errors import (
    HubSpotAuthError,
    HubSpotRateLimitError,
    HubSpotResponseError,
    HubSpotScopeError,
    HubSpotUnavailableError,
)
from engines.hubspot import HubSpotClient, HubSpotSource, RetryPolicy
from tests.support.hubspot import ACCOUNT, PIPELINES, SEARCH, FakeHubSpot
from tests.unit.engines.hubspot.conftest import FAST_RETRY, RELAXED
from tests.unit.engines.hubspot.portal import make_portal


def _source(fake: FakeHubSpot, **options: object) -> HubSpotSource:
    options.setdefault("retry", FAST_RETRY)
    return HubSpotSource(fake.token, base_url=fake.base_url, **options)  # type: ignore[arg-type]


def _gaps(fake: FakeHubSpot, path: str) -> list[float]:
    times = [c.time for c in fake.calls_to(path)]
    return [b - a for a, b in itertools.pairwise(times)]


async def test_search_429_with_retry_after_is_honoured(hubspot: FakeHubSpot) -> None:
    hubspot.fail("ratelimit", path=SEARCH, retry_after=0.3)
    async with _source(hubspot) as source:
        snap = await source.snapshot()
        stats = source.stats
    assert len(snap.deals) == 485
    assert [c.status for c in hubspot.calls_to(SEARCH)] == [429, 200, 200, 200]
    assert _gaps(hubspot, SEARCH)[0] >= 0.3  # Retry-After (0.3 s) beats the 0.05 s policy wait
    assert stats.rate_limited == 1


async def test_search_429_without_retry_after_waits_the_secondly_policy(hubspot: FakeHubSpot) -> None:
    hubspot.fail("ratelimit", path=SEARCH, times=2)
    policy = RetryPolicy(secondly_wait=0.2, ten_secondly_wait=5.0, backoff_base=0.01)
    async with _source(hubspot, retry=policy) as source:
        snap = await source.snapshot()
    assert len(snap.deals) == 485
    assert [c.status for c in hubspot.calls_to(SEARCH)][:3] == [429, 429, 200]
    assert all(gap >= 0.2 for gap in _gaps(hubspot, SEARCH)[:2])


async def test_ten_secondly_429_waits_the_ten_secondly_policy(hubspot: FakeHubSpot) -> None:
    hubspot.fail("ratelimit", path=PIPELINES, policy="TEN_SECONDLY_ROLLING")
    policy = RetryPolicy(secondly_wait=0.01, ten_secondly_wait=0.25)
    async with _source(hubspot, retry=policy) as source:
        await source.snapshot()
    assert [c.status for c in hubspot.calls_to(PIPELINES)] == [429, 200]
    assert _gaps(hubspot, PIPELINES)[0] >= 0.25


async def test_daily_limit_fails_at_once_with_a_clear_message(hubspot: FakeHubSpot) -> None:
    hubspot.fail("ratelimit", path=PIPELINES, policy="DAILY")
    async with _source(hubspot) as source:
        with pytest.raises(HubSpotRateLimitError) as caught:
            await source.snapshot()
    assert "daily API limit" in caught.value.user_message
    assert len(hubspot.calls_to(PIPELINES)) == 1


async def test_endless_429_gives_up_within_the_budget(hubspot: FakeHubSpot) -> None:
    hubspot.fail("ratelimit", path=SEARCH, times=100)
    policy = RetryPolicy(secondly_wait=0.01, max_rate_limit_waits=3)
    async with _source(hubspot, retry=policy) as source:
        with pytest.raises(HubSpotRateLimitError, match="too many requests"):
            await source.snapshot()
    assert len(hubspot.calls_to(SEARCH)) == 4


async def test_a_long_retry_after_is_not_waited_past_the_budget(hubspot: FakeHubSpot) -> None:
    hubspot.fail("ratelimit", path=PIPELINES, policy="TEN_SECONDLY_ROLLING", retry_after=120)
    async with _source(hubspot) as source:
        with pytest.raises(HubSpotRateLimitError, match="try again in a minute"):
            await source.snapshot()
    assert len(hubspot.calls_to(PIPELINES)) == 1


async def test_5xx_is_retried_then_succeeds(hubspot: FakeHubSpot) -> None:
    hubspot.fail("status", path=SEARCH, times=2, status=502, html=True)
    hubspot.fail("status", path=ACCOUNT, status=500)
    async with _source(hubspot) as source:
        snap = await source.snapshot()
        stats = source.stats
    assert len(snap.deals) == 485
    assert [c.status for c in hubspot.calls_to(SEARCH)][:3] == [502, 502, 200]
    assert [c.status for c in hubspot.calls_to(ACCOUNT)] == [500, 200]
    assert stats.retries == 3


async def test_5xx_that_persists_is_surfaced_after_the_attempt_budget(hubspot: FakeHubSpot) -> None:
    hubspot.fail("status", path=PIPELINES, times=50, status=503)
    async with _source(hubspot) as source:
        with pytest.raises(HubSpotUnavailableError) as caught:
            await source.snapshot()
    assert len(hubspot.calls_to(PIPELINES)) == FAST_RETRY.max_attempts
    message = caught.value.user_message
    assert f"GET {PIPELINES}: HTTP 503" in message
    assert f"{FAST_RETRY.max_attempts} tries" in message


async def test_backoff_budget_caps_total_waiting(hubspot: FakeHubSpot) -> None:
    hubspot.fail("status", path=PIPELINES, times=50, status=500)
    policy = RetryPolicy(max_attempts=50, backoff_base=0.05, backoff_max=0.05, retry_budget=0.12)
    async with _source(hubspot, retry=policy) as source:
        with pytest.raises(HubSpotUnavailableError):
            await source.snapshot()
        assert source.stats.backoff_wait <= 0.12
    assert len(hubspot.calls_to(PIPELINES)) < 50


async def test_timeouts_are_retried_then_surfaced(hubspot: FakeHubSpot) -> None:
    hubspot.fail("slow", path=PIPELINES, delay=0.6)
    async with _source(hubspot, timeout=0.2) as source:
        snap = await source.snapshot()
    assert len(snap.deals) == 485
    assert len(hubspot.calls_to(PIPELINES)) == 2

    hubspot.fail("slow", path=PIPELINES, times=FAST_RETRY.max_attempts, delay=0.6)
    async with _source(hubspot, timeout=0.2) as source:
        with pytest.raises(HubSpotUnavailableError, match=r"no answer within 0\.2 s"):
            await source.snapshot()


async def test_dropped_connections_are_retried(hubspot: FakeHubSpot) -> None:
    hubspot.fail("drop", path=SEARCH, times=2)
    async with _source(hubspot) as source:
        snap = await source.snapshot()
    assert len(snap.deals) == 485
    assert [c.status for c in hubspot.calls_to(SEARCH)][:3] == [0, 0, 200]


async def test_connection_refused_is_unavailable_not_a_crash() -> None:
    with socket.socket() as probe:  # a port that was free a moment ago and has no listener now
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    source = HubSpotSource("pat-na1-x", base_url=f"http://127.0.0.1:{port}", retry=FAST_RETRY)
    async with source:
        with pytest.raises(HubSpotUnavailableError, match="ConnectError"):
            await source.snapshot()


async def test_wrong_token_is_an_auth_error_saying_what_to_check(hubspot: FakeHubSpot) -> None:
    async with HubSpotSource("pat-na1-wrong", base_url=hubspot.base_url, retry=FAST_RETRY) as source:
        with pytest.raises(HubSpotAuthError) as caught:
            await source.snapshot()
    assert caught.value.status == 401
    assert "HUBSPOT_ACCESS_TOKEN" in caught.value.user_message
    assert "Service Key" in caught.value.user_message
    assert "legacy private app" in caught.value.user_message
    assert caught.value.correlation_id


async def test_missing_deal_scope_names_the_scope(hubspot: FakeHubSpot) -> None:
    hubspot.missing_scopes["deals"] = ["crm.objects.deals.read"]
    async with _source(hubspot) as source:
        with pytest.raises(HubSpotScopeError) as caught:
            await source.snapshot()
    assert "may not read deals" in caught.value.user_message
    assert "crm.objects.deals.read, crm.objects.owners.read" in caught.value.user_message


@pytest.mark.parametrize("kind", ["malformed", "truncated"])
async def test_broken_json_is_a_response_error_naming_the_endpoint(hubspot: FakeHubSpot, kind: str) -> None:
    hubspot.fail(kind, path=SEARCH)
    async with _source(hubspot) as source:
        with pytest.raises(HubSpotResponseError) as caught:
            await source.snapshot()
    assert f"POST {SEARCH}" in caught.value.user_message
    assert "not valid JSON" in caught.value.user_message


async def test_json_of_the_wrong_shape_is_a_response_error(hubspot: FakeHubSpot) -> None:
    hubspot.fail("body", path=SEARCH, body={"total": 3, "results": [{"properties": {}}]})
    async with _source(hubspot) as source:
        with pytest.raises(HubSpotResponseError) as caught:
            await source.snapshot()
    assert f"unexpected response from POST {SEARCH}" in caught.value.user_message
    assert "results.0.id" in caught.value.user_message


async def test_client_reports_a_json_array_as_unexpected(hubspot: FakeHubSpot) -> None:
    hubspot.fail("body", path=ACCOUNT, body=[1, 2])
    async with HubSpotClient(hubspot.token, base_url=hubspot.base_url) as client:
        with pytest.raises(HubSpotResponseError, match=f"GET {ACCOUNT}"):
            await client.get_json(ACCOUNT)


async def test_a_cap_refusal_earlier_than_documented_splits_the_query_there() -> None:
    portal = make_portal(open_deals=1_300, closed_recent=0, closed_old=0)
    async with FakeHubSpot(portal, search_per_second=None, search_cap=500) as fake:
        async with _source(fake, limits=RELAXED) as source:
            snap = await source.snapshot()
        statuses = [c.status for c in fake.calls_to(SEARCH)]
    assert len(snap.deals) == 1_300
    assert (snap.truncated, snap.warnings) == (False, ())
    assert 400 in statuses  # refused pages end a query early; the next one starts past the last id


async def test_a_400_on_the_first_page_is_not_mistaken_for_the_cap(hubspot: FakeHubSpot) -> None:
    hubspot.fail("status", path=SEARCH, status=400)
    async with _source(hubspot) as source:
        with pytest.raises(HubSpotResponseError, match="HTTP 400"):
            await source.snapshot()


async def test_a_search_page_that_is_a_json_array_is_a_response_error(hubspot: FakeHubSpot) -> None:
    hubspot.fail("body", path=SEARCH, body=[])
    async with _source(hubspot) as source:
        with pytest.raises(HubSpotResponseError, match="a JSON object was expected"):
            await source.snapshot()


async def test_fewer_deals_than_announced_is_flagged_never_silent(hubspot: FakeHubSpot) -> None:
    hubspot.fail("body", path=SEARCH, skip=1, body={"total": 485, "results": []})  # page 2 comes back empty
    async with _source(hubspot) as source:
        snap = await source.snapshot()
    assert len(snap.deals) == 285
    assert (snap.truncated, snap.deals_total) == (True, 485)
    assert any("Only 285 of the 485 deals" in w for w in snap.warnings)
