"""Fixtures for the reliability tests: loopback Slack and HubSpot, a small portal, fast retry knobs.

The bot under test is always the real Bolt app over HTTP (``tests.support.harness.BotHarness``); only
the HubSpot source's public knobs (``RetryPolicy``, ``timeout``) are shrunk so a fault that takes
HubSpot seconds to clear costs the suite milliseconds. Nothing of ours is patched.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from engines import PortalSnapshot
from engines.sample import generate_portal
from tests.support.clock import NOW
from tests.support.fixtures import slack
from tests.support.hubspot import FakeHubSpot

__all__ = ["NOW", "hubspot", "portal", "slack"]


@pytest.fixture(scope="session")
def portal() -> PortalSnapshot:
    return generate_portal(deals=120, now=NOW)


@pytest.fixture
async def hubspot(portal: PortalSnapshot) -> AsyncIterator[FakeHubSpot]:
    async with FakeHubSpot(portal) as fake:
        yield fake
