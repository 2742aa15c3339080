"""The change card from the mirror's change log, against mutation rounds on the loopback HubSpot: every
count and value checked against the mutations made (a deal pushed out of the quarter and pulled back,
one created and deleted in the period, an amount changed twice, wins, losses, deletions, restores,
reopenings, pipeline moves), and the open values at both ends against the fake portal's own truth."""

from __future__ import annotations

import asyncio
import gc
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.cli import main
from bot.mirror.changes import MirrorChanges, change_report
from bot.mirror.memory import MemoryPortal
from bot.mirror.mirror import FREEZE_AT, freeze_loaded
from bot.mirror.source import MirrorSource
from bot.storage import Database
from engines import PortalSnapshot, utc_now
from engines.changes import BUCKETS, cents
from tests.support.harness import BotHarness
from tests.support.hubspot import FakeHubSpot
from tests.support.hubspot_mutations import PortalMutator
from tests.support.slack import FakeSlack
from tests.unit.bot.mirror.checks import Props
from tests.unit.bot.mirror.conftest import MirrorFactory


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        yield fake


BERLIN = ZoneInfo("Europe/Berlin")  # the test portal's time zone: quarters are counted there
OPEN = {"appointmentscheduled", "contractsent"}
# The portal of tests/unit/bot/mirror/conftest.py: open deals 5000-5519 (Sales, Contract Sent), won 10 days
# ago 5520-5579, lost long ago 5580-5619, open renewals 5620-5649 (pipeline 14620931).


def quarter_start(now: datetime, shift: int = 0) -> datetime:
    local = now.astimezone(BERLIN)
    index = local.year * 4 + (local.month - 1) // 3 + shift
    return datetime(index // 4, index % 4 * 3 + 1, 1, tzinfo=BERLIN).astimezone(UTC)


def amount(props: Props) -> Decimal:
    return cents(props.get("amount")) or Decimal(0)


def open_value(live: dict[str, Props]) -> Decimal:
    return sum(
        (amount(p) for p in live.values() if p.get("pipeline") == "default" and p.get("dealstage") in OPEN),
        Decimal(0),
    )


async def tick() -> None:
    await asyncio.sleep(0.003)  # HubSpot stamps milliseconds: keep the period's edges apart


async def test_change_card_counts_every_mutation(
    sqlite_db: Database, make_mirror: MirrorFactory, change: PortalMutator
) -> None:
    mirror = make_mirror(sqlite_db)
    await mirror.sync()
    first_sync = utc_now()
    this_q, next_q = (
        quarter_start(first_sync) + timedelta(days=2),
        quarter_start(first_sync, 1) + timedelta(days=9),
    )
    # Before the period: the state T0 must be rebuilt through these too.
    change.set_amount("5002", "100")
    change.set_close_date("5003", this_q)
    change.set_close_date("5010", this_q)
    change.set_close_date("5013", next_q)
    change.archive("5012")
    await mirror.sync()
    await tick()
    t0 = utc_now()
    at_t0 = change.live()
    await tick()

    created = change.create(amount="1000", hubspot_owner_id="101")
    short_lived = change.create(amount="500")
    change.set_amount("5002", "300")
    change.set_close_date("5003", next_q)  # pushed out of the quarter...
    change.move_stage("5004", "closedwon")
    change.move_stage("5005", "closedlost")
    change.archive("5006")
    change.move_stage("5007", "appointmentscheduled")
    change.move_stage("5009", "39105881", pipeline_id="14620931")
    change.move_stage("5620", "contractsent", pipeline_id="default")
    change.move_stage("5520", "contractsent")  # a won deal reopened
    await mirror.sync()
    change.archive(short_lived)  # created and deleted in the period
    change.set_amount("5002", "250")  # changed twice: 100 -> 300 -> 250
    change.set_close_date("5003", this_q)  # ...and pulled back
    change.set_close_date("5010", next_q)
    change.set_close_date("5013", this_q)
    change.set_amount("5011", "50")
    change.restore("5012")
    await mirror.sync()
    at_t1 = change.live()

    report = await change_report(mirror, since=t0, pipeline="default")

    def was(deal_id: str) -> Decimal:
        return amount(at_t0[deal_id])

    expected = {
        "created": (1, Decimal(1000)),
        "won": (1, -was("5004")),
        "lost": (1, -was("5005")),
        "deleted": (1, -was("5006")),
        "reopened": (1, was("5520")),
        "restored": (1, amount(at_t1["5012"])),
        "moved_in": (1, was("5620")),
        "moved_out": (1, -was("5009")),
        "amount_up": (1, Decimal(150)),
        "amount_down": (1, Decimal(50) - was("5011")),
    }
    assert {b: (report.buckets[b].count, report.buckets[b].value) for b in BUCKETS} == expected
    assert report.buckets["created"].deals[0].id == created
    assert report.buckets["created"].deals[0].owner == "Rep 1"
    assert report.open_value_start == open_value(at_t0)
    assert report.open_value_end == open_value(at_t1)
    assert report.open_value_start + sum(v for _, v in expected.values()) == report.open_value_end

    pushed, pulled = report.moves["pushed"], report.moves["pulled_in"]
    assert [d.id for d in pushed.deals] == ["5010"]  # 5003 went out and came back: no move
    assert (pushed.left_quarter, pushed.entered_quarter) == (1, 0)
    assert [d.id for d in pulled.deals] == ["5013"]
    assert (pulled.left_quarter, pulled.entered_quarter) == (0, 1)
    assert [d.id for d in report.moves["stage_backward"].deals] == ["5007"]
    assert report.moves["stage_backward"].value == amount(at_t1["5007"])
    assert report.moves["stage_forward"].count == 0
    assert report.covered_from is not None
    assert report.covered_from <= first_sync
    assert not report.partial


async def test_before_the_log_starts_it_says_from_when(
    sqlite_db: Database, make_mirror: MirrorFactory, change: PortalMutator
) -> None:
    mirror = make_mirror(sqlite_db)
    await mirror.sync()
    change.set_amount("5001", "1")
    await mirror.sync()
    report = await change_report(mirror, since=utc_now() - timedelta(days=30))
    assert report.partial
    assert report.covered_from is not None
    assert report.start == report.covered_from
    assert report.buckets["amount_down"].count == 1  # what the log holds is still counted


async def test_slash_changes_from_the_mirror(
    sqlite_db: Database, make_mirror: MirrorFactory, change: PortalMutator, slack: FakeSlack
) -> None:
    """``/engine changes`` end to end: signed slash command -> Bolt -> the mirror's change log over the
    loopback HubSpot -> the card through the response_url and the waterfall shared in the channel."""
    mirror = make_mirror(sqlite_db)
    await mirror.sync()
    await tick()
    since = utc_now()
    await tick()
    change.create(amount="4000", hubspot_owner_id="102")
    change.move_stage("5001", "closedwon")
    await mirror.sync()  # (an answer syncs itself when the mirror is older than its freshness window)
    async with BotHarness(slack, MirrorSource(mirror), changes=MirrorChanges(mirror)) as bot:
        _, key = await bot.command(f"changes since {since.isoformat().replace('+00:00', 'Z')} Sales Pipeline")
        await slack.wait_for(lambda s: len(s.calls_to("files.completeUploadExternal")) >= 1)
    (card,) = slack.responses(key)
    text = json.dumps(card.payload["blocks"], ensure_ascii=False)
    assert "*Created* +€4k · 1 deal" in text
    assert "*Won* −€1.8k · 1 deal" in text  # deal 5001: 1000 + 5001 % 7 * 250.5 = 1751.50 EUR
    assert "Rep 2" in text
    (shared,) = json.loads(slack.calls_to("files.completeUploadExternal")[0].payload["files"])
    assert slack.files[shared["id"]]["name"] == "waterfall.png"


def test_engine_bot_changes_in_a_terminal(
    portal: PortalSnapshot,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name in ("DATABASE_URL", "ENGINE_SOURCE", "HUBSPOT_API_VERSION", "SLACK_BOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    with FakeHubSpot.running(portal=portal, search_per_second=None, app_limit=None) as hubspot:
        monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", hubspot.token)
        monkeypatch.setenv("HUBSPOT_API_BASE", hubspot.base_url)
        assert main(["changes"]) == 2  # no mirror yet: says how to get one
        assert "engine-bot sync" in capsys.readouterr().err
        assert main(["sync"]) == 0
        mutate = PortalMutator(hubspot)
        mutate.set_amount("5000", "99999")  # an amount up
        mutate.archive("5001")  # a deletion
        assert main(["sync"]) == 0
        capsys.readouterr()
        assert main(["changes", "--since", "1h", "--pipeline", "Sales Pipeline", "--format", "json"]) == 0
        data = json.loads(capsys.readouterr().out)
        assert data["pipeline"] == "default"
        assert data["buckets"]["amount_up"]["count"] == 1
        assert data["buckets"]["amount_up"]["deals"][0]["id"] == "5000"
        assert data["buckets"]["deleted"]["count"] == 1
        assert data["covered_from"] is not None
        out = tmp_path / "charts"
        assert main(["changes", "--since", "1h", "--chart", str(out)]) == 0
        text = capsys.readouterr()
        assert "What changed · all pipelines" in text.out
        assert "Amount up" in text.out
        assert (out / "waterfall.png").read_bytes().startswith(b"\x89PNG")
        assert main(["changes", "--since", "someday"]) == 2
        assert "someday" in capsys.readouterr().err


def test_a_big_loaded_mirror_leaves_the_collectors_generations_and_a_small_one_stays() -> None:
    """The card builds many short-lived objects; the collections they trigger walk whatever is in
    the generations. A loaded mirror of FREEZE_AT deals or more is frozen out of them once (the
    collector stays on); a small one is not worth freezing the whole process for."""
    props = {"dealname": "A deal", "pipeline": "default", "dealstage": "contractsent", "amount": "10"}
    small = MemoryPortal("4242")
    small.apply("deals", {str(i): props for i in range(10)}, [])
    frozen = gc.get_freeze_count()
    assert not freeze_loaded(small)
    assert gc.get_freeze_count() == frozen
    big = MemoryPortal("4242")
    big.apply("deals", {str(i): dict(props) for i in range(FREEZE_AT)}, [])
    try:
        assert freeze_loaded(big)
        assert gc.get_freeze_count() >= frozen + FREEZE_AT
        assert gc.isenabled()
    finally:
        gc.unfreeze()  # the rest of the test process is not a mirror
