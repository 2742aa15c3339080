"""The mirror in operation: ``engine-bot sync`` and ``report`` in a terminal, ``/engine status``, the
App Home line, cards answered from memory, and ``engine-bot serve``'s background sync."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.answers.status import status_subcommand
from bot.cli import main
from bot.mirror import MirrorSource
from bot.runtime.serve import sync_forever
from bot.storage import Database
from engines import PortalSnapshot
from tests.support.harness import BotHarness
from tests.support.hubspot import ACCOUNT, OWNERS, PIPELINES, SEARCH, FakeHubSpot
from tests.support.hubspot_mutations import PortalMutator
from tests.support.slack import FakeSlack
from tests.unit.bot.mirror.conftest import MirrorFactory


def _deal_reads(hubspot: FakeHubSpot, since: int) -> list[str]:
    return [c.path for c in hubspot.calls[since:] if c.path in (ACCOUNT, SEARCH, PIPELINES, OWNERS)]


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in ("DATABASE_URL", "ENGINE_SOURCE", "HUBSPOT_API_VERSION", "SLACK_BOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    return tmp_path


def test_sync_then_report_reads_the_mirror_not_hubspot(
    terminal: Path,
    portal: PortalSnapshot,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with FakeHubSpot.running(portal=portal, search_per_second=None, app_limit=None) as hubspot:
        monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", hubspot.token)
        monkeypatch.setenv("HUBSPOT_API_BASE", hubspot.base_url)
        assert main(["report", "growth", "--format", "json"]) == 0  # no mirror yet: a live read
        assert not (terminal / "data").exists()  # ... which creates no database
        assert main(["sync"]) == 0
        out = capsys.readouterr().out
        assert "Synced portal 4242" in out
        assert "deals: full read 650" in out
        assert "CRM mirror: deals: last sync" in out
        calls = len(hubspot.calls)
        assert main(["report", "growth", "--format", "json"]) == 0
        # Synced a moment ago: the deals and the other object types come from the mirror (line
        # items, not mirrored, are read alongside).
        assert _deal_reads(hubspot, calls) == []
        report = json.loads(capsys.readouterr().out)
        assert report["source"] == "hubspot"
        assert report["deals_analyzed"] > 0
        PortalMutator(hubspot).set_amount("5000", "1")
        assert main(["sync"]) == 0
        assert "deals: delta read 1, 1 changed" in capsys.readouterr().out
        assert main(["sync", "--full"]) == 0
        # One full read and nothing else (no delta first): account, 2 owner pages, pipelines and
        # the 4 pages of 650 deals; the change the delta read is no drift. The other types (none in
        # this portal): contacts' stage options and search, tickets' pipelines and search, one
        # search of survey responses, one list call each for products and goals: 7 more. The line
        # items of the won deals (this portal has none): their edit search and one association read
        # of the 60 deals won in the window, 2 more.
        out = capsys.readouterr().out
        assert "with 17 HubSpot calls (deals: full read 650, 0 changed, 0 deleted, drift 0, contacts:" in out
        assert "line_items: sweep read 0, 0 changed, 0 deleted, drift 0)" in out


async def test_status_command_home_line_and_cards_from_memory(
    sqlite_db: Database, make_mirror: MirrorFactory, hubspot: FakeHubSpot
) -> None:
    mirror = make_mirror(sqlite_db)
    await mirror.sync()
    async with FakeSlack() as slack, BotHarness(slack, MirrorSource(mirror)) as bot:
        bot.deps.mirror = mirror
        bot.deps.add_subcommand(status_subcommand(mirror))
        calls = len(hubspot.calls)
        ack, key = await bot.command("status")
        assert ack.status == 200
        await slack.wait_for(lambda s: len(s.responses(key)) >= 1)
        (reply,) = slack.responses(key)
        assert reply.payload["response_type"] == "ephemeral"
        assert "CRM mirror: deals: last sync" in reply.payload["text"]
        assert "(full: 650 read" in reply.payload["text"]
        ack, key = await bot.command("growth")
        await slack.wait_for(lambda s: len(s.responses(key)) >= 1)
        assert "Growth engine" in json.dumps(slack.responses(key)[0].payload)
        assert _deal_reads(hubspot, calls) == []  # fresh: the deals came from memory
        await bot.home_opened(user="U0HOME", event_id="Ev0HOME")
        await slack.wait_for(lambda s: len(s.calls_to("views.publish")) >= 2)
        view = slack.calls_to("views.publish")[-1].payload["view"]
        assert any(b.get("block_id") == "home_mirror" for b in view["blocks"])


async def test_serve_syncs_in_the_background_every_interval(
    sqlite_db: Database, make_mirror: MirrorFactory, hubspot: FakeHubSpot, change: PortalMutator
) -> None:
    mirror = make_mirror(sqlite_db)
    task = asyncio.create_task(sync_forever(mirror, 0.2))
    deal_id = change.ids()[0]

    async def until(done: Callable[[], bool]) -> None:
        for _ in range(1000):
            if done():
                return
            await asyncio.sleep(0.02)
        raise AssertionError("the background sync did not get there in 20 s")

    try:
        await until(lambda: mirror.memory is not None)
        change.set_amount(deal_id, "77")
        await until(lambda: mirror.memory is not None and mirror.memory.deals()[deal_id].amount == 77.0)
    finally:
        task.cancel()
    assert len(hubspot.calls_to(ACCOUNT)) >= 2  # the first sync and at least one more
    assert [c.status for c in hubspot.calls if c.path == SEARCH] == [200] * len(hubspot.calls_to(SEARCH))
