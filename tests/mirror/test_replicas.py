"""Replicas share one mirror on PostgreSQL: one syncs (the lease), the others load its rows, and
HubSpot sees the calls of one."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.storage import Database
from tests.fakes.hubspot import SEARCH, FakeHubSpot
from tests.fakes.hubspot_mutations import PortalMutator
from tests.hubspot.portal import make_portal
from tests.mirror.checks import assert_mirror_is_fresh_read
from tests.mirror.conftest import MirrorFactory

pytestmark = pytest.mark.postgres


async def test_two_mirrors_in_one_process_sync_once(
    pg_url: str, make_mirror: MirrorFactory, hubspot: FakeHubSpot, change: PortalMutator
) -> None:
    databases = [Database(pg_url), Database(pg_url)]
    databases[0].migrate()
    try:
        one, two = (make_mirror(db) for db in databases)
        await asyncio.gather(one.fresh(), two.fresh())
        full_reads = [c for c in hubspot.calls if c.path == SEARCH]
        assert [one.last_outcome is None, two.last_outcome is None].count(True) == 1
        assert one.memory is not None
        assert two.memory is not None
        assert one.memory.deals() == two.memory.deals()
        change.set_amount(change.ids()[0], "1")
        calls = len(hubspot.calls)
        one.fresh_seconds = two.fresh_seconds = 0  # both stale now
        await asyncio.gather(one.sync(), two.sync())
        deltas = [c for c in hubspot.calls[calls:] if c.path == SEARCH]
        assert len(deltas) == 2  # one delta + one count, whoever ran it
        for mirror in (one, two):
            await assert_mirror_is_fresh_read(mirror, hubspot)
        assert len(full_reads) >= 4
    finally:
        for db in databases:
            db.dispose()


def test_two_replica_processes_cost_hubspot_one_sync(pg_url: str, tmp_path: Path) -> None:
    portal = make_portal(open_deals=900, closed_recent=50, closed_old=30, owners=4)
    Database(pg_url).migrate()
    go = tmp_path / "go"
    env = {**os.environ, "VEB_REPLICA_GO": str(go)}
    with FakeHubSpot.running(portal, search_per_second=None, app_limit=None) as fake:
        replicas = [
            subprocess.Popen(  # noqa: S603 - our own interpreter and module
                [sys.executable, "-m", "tests.mirror.replica", pg_url, fake.base_url, fake.token],
                stdout=subprocess.PIPE,
                env=env,
                cwd=Path(__file__).resolve().parents[2],
            )
            for _ in range(2)
        ]
        go.touch()
        outputs = [json.loads(p.communicate(timeout=60)[0]) for p in replicas]
        searches = [c for c in fake.calls if c.path == SEARCH]
    assert all(p.returncode == 0 for p in replicas)
    assert sorted(o["synced"] for o in outputs) == [False, True]
    assert [o["deals"] for o in outputs] == [980, 980]
    # One full read: 980 deals in 5 pages of 200, and at most one probe and short page per stream.
    assert 5 <= len(searches) <= 5 + 1 + 8
