"""Fixtures for the reliability tests: loopback Slack and HubSpot, a small portal, fast retry knobs.

The bot under test is always the real Bolt app over HTTP (``tests.bot.harness.BotHarness``); only
the HubSpot source's public knobs (``RetryPolicy``, ``timeout``) are shrunk so a fault that takes
HubSpot seconds to clear costs the suite milliseconds. Nothing of ours is patched.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from engines import PortalSnapshot
from engines.sample import generate_portal
from tests.fakes.hubspot import FakeHubSpot
from tests.fakes.slack import FakeSlack

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        yield fake


@pytest.fixture(scope="session")
def portal() -> PortalSnapshot:
    return generate_portal(deals=120, now=NOW)


@pytest.fixture
async def hubspot(portal: PortalSnapshot) -> AsyncIterator[FakeHubSpot]:
    async with FakeHubSpot(portal) as fake:
        yield fake
