"""Mirror fixtures: a migrated database (SQLite in a temporary DATA_DIR, and the real PostgreSQL in
a schema of its own), the loopback fake HubSpot with HubSpot's limits relaxed, and mirror factories."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.mirror import Mirror
from bot.storage import Database
from engines.hubspot import RateLimits, RetryPolicy
from engines.models import PortalSnapshot
from tests.fakes.hubspot import FakeHubSpot
from tests.fakes.hubspot_mutations import PortalMutator
from tests.hubspot.portal import make_portal

FAST_RETRY = RetryPolicy(max_attempts=3, backoff_base=0.01, backoff_max=0.02, retry_budget=2.0)
RELAXED = RateLimits(search_per_second=1000, app_per_window=1000, app_window=1.0, margin=0.0)

MirrorFactory = Callable[..., Mirror]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        database = Database(data_dir=tmp_path / "data")
    else:
        database = Database(request.getfixturevalue("pg_url"))
    database.migrate()
    yield database
    database.dispose()


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    database = Database(data_dir=tmp_path / "data")
    database.migrate()
    yield database
    database.dispose()


@pytest.fixture
def portal() -> PortalSnapshot:
    return make_portal(open_deals=520, closed_recent=60, closed_old=40, renewals=30, owners=6)


@pytest.fixture
async def hubspot(portal: PortalSnapshot) -> AsyncIterator[FakeHubSpot]:
    async with FakeHubSpot(portal, search_per_second=None, app_limit=None) as fake:
        yield fake


@pytest.fixture
def change(hubspot: FakeHubSpot) -> PortalMutator:
    return PortalMutator(hubspot)


@pytest.fixture
def make_mirror(hubspot: FakeHubSpot) -> MirrorFactory:
    def build(database: Database, **options: Any) -> Mirror:
        options.setdefault("limits", RELAXED)
        options.setdefault("retry", FAST_RETRY)
        options.setdefault("overlap", timedelta(seconds=5))
        return Mirror(database, hubspot.token, base_url=hubspot.base_url, **options)

    return build
