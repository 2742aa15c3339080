"""Fixtures for the HubSpot source tests: a loopback fake HubSpot and short, explicit retry waits."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from engines.hubspot import RateLimits, RetryPolicy
from engines.models import PortalSnapshot
from tests.support.hubspot import FakeHubSpot
from tests.unit.engines.hubspot.portal import make_portal

# Waits shrunk through the public knobs (never by patching sleeps): same logic, milliseconds not seconds.
FAST_RETRY = RetryPolicy(
    max_attempts=4,
    backoff_base=0.01,
    backoff_max=0.04,
    retry_budget=5.0,
    secondly_wait=0.05,
    ten_secondly_wait=0.1,
)
# The fake enforces HubSpot's limits; most tests read a handful of pages, so HubSpot's own numbers
# work, while the 10k-deal test relaxes both sides.
RELAXED = RateLimits(search_per_second=1000, app_per_window=1000, app_window=1.0, margin=0.0)


@pytest.fixture
def portal() -> PortalSnapshot:
    return make_portal(open_deals=450, closed_recent=30, closed_old=20, renewals=5)


@pytest.fixture
async def hubspot(portal: PortalSnapshot) -> AsyncIterator[FakeHubSpot]:
    async with FakeHubSpot(portal) as fake:
        yield fake
