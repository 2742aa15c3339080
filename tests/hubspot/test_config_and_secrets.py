"""Configuration from the environment, and the token never showing up where people can read it."""

from __future__ import annotations

import asyncio
import logging

import pytest

from engines.errors import EngineError, HubSpotAuthError
from engines.hubspot import DEFAULT_BASE_URL, HubSpotClient, HubSpotSource
from tests.fakes.hubspot import PIPELINES, SEARCH, FakeHubSpot
from tests.hubspot.conftest import FAST_RETRY
from tests.hubspot.portal import make_portal


def test_from_env_reads_token_alias_and_base() -> None:
    source = HubSpotSource.from_env(
        {"HUBSPOT_ACCESS_TOKEN": " pat-na1-abc ", "HUBSPOT_API_BASE": "http://h:1/"}
    )
    assert source.base_url == "http://h:1"
    assert source.name == "hubspot"
    alias = HubSpotSource.from_env({"HUBSPOT_API_KEY": "pat-na1-def"}, lookback_days=30)
    assert (alias.base_url, alias.lookback_days) == (DEFAULT_BASE_URL, 30)


def test_a_base_that_is_not_a_url_is_refused_with_the_variable_name() -> None:
    with pytest.raises(EngineError, match="HUBSPOT_API_BASE must be a URL"):
        HubSpotSource.from_env({"HUBSPOT_ACCESS_TOKEN": "pat-na1-abc", "HUBSPOT_API_BASE": "api.hubapi.com"})


@pytest.mark.parametrize("environ", [{}, {"HUBSPOT_ACCESS_TOKEN": "  "}])
def test_from_env_without_a_token_says_which_variable_to_set(environ: dict[str, str]) -> None:
    with pytest.raises(HubSpotAuthError, match="HUBSPOT_ACCESS_TOKEN"):
        HubSpotSource.from_env(environ)


def test_token_is_not_in_reprs() -> None:
    token = "pat-na1-11111111-2222-3333-4444-555555555555"
    source = HubSpotSource(token)
    client = HubSpotClient(token)
    for text in (repr(source), str(source), repr(client), str(client), repr(vars(source))):
        assert token not in text
    assert "**********" in repr(source)


async def test_token_never_reaches_logs_or_error_messages(caplog: pytest.LogCaptureFixture) -> None:
    portal = make_portal(open_deals=250, closed_recent=0, closed_old=0)
    caplog.set_level(logging.DEBUG)  # httpx and httpcore log every request at DEBUG
    errors: list[EngineError] = []
    async with FakeHubSpot(portal) as fake:
        token = fake.token
        fake.fail("status", path=SEARCH, status=502)
        fake.fail("ratelimit", path=SEARCH, retry_after=0.01)
        async with HubSpotSource(token, base_url=fake.base_url, retry=FAST_RETRY) as source:
            await source.snapshot()
            fake.fail("status", path=PIPELINES, times=10, status=500)
            source.invalidate()
            with pytest.raises(EngineError) as unavailable:
                await source.snapshot()
            errors.append(unavailable.value)
        fake.missing_scopes["pipelines"] = ["crm.objects.deals.read"]
        async with HubSpotSource(token, base_url=fake.base_url, retry=FAST_RETRY) as source:
            with pytest.raises(EngineError) as scope:
                await source.snapshot()
            errors.append(scope.value)
        async with HubSpotSource(token + "x", base_url=fake.base_url, retry=FAST_RETRY) as source:
            with pytest.raises(EngineError) as auth:
                await source.snapshot()
            errors.append(auth.value)
    assert len(caplog.records) > 5
    assert token not in caplog.text
    for error in errors:
        assert token not in str(error)
        assert token not in repr(error)
        assert token not in error.user_message
        assert token not in repr(error.__cause__) + repr(error.__context__)


async def test_server_messages_echoing_the_token_are_redacted() -> None:
    portal = make_portal(open_deals=1, closed_recent=0, closed_old=0)
    async with FakeHubSpot(portal) as fake, HubSpotClient(fake.token, base_url=fake.base_url) as client:
        fake.fail("status", path=PIPELINES, status=422, message=f"Unusable value Bearer {fake.token}")
        with pytest.raises(EngineError) as caught:
            await client.get_json(PIPELINES)
    assert fake.token not in caught.value.user_message
    assert "HTTP 422): Unusable value Bearer **********" in caught.value.user_message


def test_one_source_serves_successive_event_loops() -> None:
    """A CLI may call asyncio.run more than once; the source makes a client in each loop."""
    portal = make_portal(open_deals=5, closed_recent=0, closed_old=0)
    with FakeHubSpot.running(portal=portal) as fake:
        source = HubSpotSource(fake.token, base_url=fake.base_url, retry=FAST_RETRY, cache_ttl=0)

        async def read() -> int:
            return len((await source.snapshot()).deals)

        async def read_and_close() -> int:
            async with source:
                return await read()

        assert asyncio.run(read()) == 5
        assert asyncio.run(read_and_close()) == 5
        assert len([c for c in fake.calls if c.path == SEARCH and c.status == 200]) == 2
