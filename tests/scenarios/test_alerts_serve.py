"""Alerts end to end on what ``engine-bot serve`` runs: the CRM mirror of the loopback HubSpot fake,
rules added with signed ``/engine alerts`` commands, mutation rounds on the fake's portal, syncs, and
digests posted to the loopback Slack fake when the (injected) clock passes the digest window.

Nothing of ours is patched: the mirror syncs over HTTP, the alerts loop runs on its own (50 ms
polls), the digest's menus are clicked with signed ``block_actions``.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.blocks.ids import ALERT_FOLDED, ALERT_OPTIN, alert_item_action
from bot.runtime import RunningBot, running_bot
from engines import utc_now
from engines.models import PortalSnapshot
from tests.support.clock import FakeClock
from tests.support.harness import BOT_TOKEN, make_settings
from tests.support.hubspot import FakeHubSpot
from tests.support.hubspot_mutations import PortalMutator
from tests.support.payloads import check_message
from tests.support.signed import SignedSlack, post_signed
from tests.support.slack import Call, FakeSlack
from tests.support.slack_payloads import block_actions, interaction
from tests.unit.engines.hubspot.portal import make_portal

DEALS = "C0DEALS"
POLL = timedelta(milliseconds=50)
WINDOW = timedelta(minutes=15)
REP1 = "U0REP1"  # rep1@example.com: HubSpot owner 101


def _quarter_dates(now: datetime) -> tuple[datetime, datetime]:
    """A close date inside the quarter of ``now`` and one in the next quarter (UTC, the portal's)."""
    month = (now.month - 1) // 3 * 3 + 3
    inside = now.replace(month=month, day=1, hour=12, minute=0, second=0, microsecond=0)
    return max(inside, now + timedelta(hours=1)), inside + timedelta(days=75)


@pytest.fixture
def portal() -> PortalSnapshot:
    made = make_portal(open_deals=40, closed_recent=6, closed_old=4, renewals=4, owners=3)
    info = made.portal.model_copy(update={"ui_domain": "app.hubspot.com"})
    return made.model_copy(update={"portal": info})


@pytest.fixture
async def hubspot(portal: PortalSnapshot) -> AsyncIterator[FakeHubSpot]:
    async with FakeHubSpot(portal, search_per_second=None, app_limit=None) as fake:
        yield fake


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        fake.bot_token = BOT_TOKEN
        fake.add_user(REP1, "rep1@example.com")
        yield fake


def _settings(slack: FakeSlack, hubspot: FakeHubSpot, data: Path, **overrides: Any) -> Any:
    return make_settings(
        slack,
        data_dir=data,
        engine_source="hubspot",
        hubspot_access_token=hubspot.token,
        hubspot_api_base=hubspot.base_url,
        sync_interval=0,  # the test syncs when it wants
        **overrides,
    )


def _digests(slack: FakeSlack, channel: str = DEALS) -> list[Call]:
    return [
        c
        for c in slack.calls_to("chat.postMessage")
        if c.payload.get("channel") == channel and c.error is None and "thread_ts" not in c.payload
    ]


async def _eventually(check: Callable[[], Awaitable[bool]], timeout: float = 10.0) -> None:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def _synced_and_evaluated(bot: RunningBot) -> None:
    """Sync the mirror, then wait until the alerts loop has evaluated that sync."""
    assert bot.deps.mirror is not None
    await bot.deps.mirror.sync()
    status = await bot.deps.mirror.status()
    assert status.last_sync_at is not None
    key, stamp = f"sync:{status.portal}", status.last_sync_at.isoformat()

    async def evaluated() -> bool:
        return (await bot.storage.alerts.state(key) or {}).get("at") == stamp

    await _eventually(evaluated)


async def _post(port: int, body: str) -> int:
    return (await post_signed(port, body))[0]


def _items(digest: Call) -> list[dict[str, Any]]:
    return [b for b in digest.payload["blocks"] if (b.get("accessory") or {}).get("type") == "overflow"]


async def _choose(slack: FakeSlack, bot: RunningBot, digest: Call, item: int, verb: str) -> None:
    block = _items(digest)[item]
    option = next(o for o in block["accessory"]["options"] if o["value"].startswith(verb + ":"))
    click = block_actions("x", "", team_id=slack.team_id, response_url=None, channel_id=DEALS)
    click["actions"] = [
        {
            "type": "overflow",
            "action_id": block["accessory"]["action_id"],
            "block_id": block.get("block_id", "b"),
            "selected_option": option,
            "action_ts": f"{time.time():.6f}",
        }
    ]
    click["container"]["message_ts"] = "1764000000.000001"
    assert await _post(bot.port, interaction(click)) == 200


# --------------------------------------------------------------------------- one digest, exactly


async def test_mutation_rounds_fire_the_expected_alerts_once_in_one_digest(
    slack: FakeSlack, hubspot: FakeHubSpot, tmp_path: Path
) -> None:
    change = PortalMutator(hubspot)
    inside, next_quarter = _quarter_dates(utc_now())
    big = change.create(
        dealname="Acme expansion", amount="90000", dealstage="contractsent", hubspot_owner_id="101"
    )
    mid = change.create(
        dealname="Globex renewal", amount="30000", dealstage="contractsent", hubspot_owner_id="102"
    )
    small = change.create(dealname="Tiny deal", amount="5000", dealstage="contractsent")
    pushed = change.create(dealname="Initech platform", amount="60000", dealstage="appointmentscheduled")
    change.set_close_date(pushed, inside)
    back = change.create(dealname="Umbrella pilot", amount="40000", dealstage="contractsent")
    clock = FakeClock(utc_now())
    async with running_bot(
        _settings(slack, hubspot, tmp_path / "data"), clock=clock, poll_interval=POLL
    ) as bot:
        await _synced_and_evaluated(bot)  # the first sync: a baseline, nothing to alert
        people = SignedSlack(slack, bot.port)
        for rule in ("deal-lost min=10k", "deal-pushed min=50k", "deal-back"):
            reply = await people.answer(f"alerts add {rule}", channel=DEALS)
            assert reply["response_type"] == "ephemeral"
            assert "added" in str(reply["text"])

        change.move_stage(big, "closedlost")
        change.move_stage(mid, "closedlost")
        change.move_stage(small, "closedlost")  # under the rule's minimum
        change.set_close_date(pushed, next_quarter)
        change.move_stage(back, "appointmentscheduled")
        await _synced_and_evaluated(bot)
        await _synced_and_evaluated(bot)  # the delta's overlap re-reads them: still once
        assert _digests(slack) == []  # the window is still open

        clock.advance(WINDOW + timedelta(seconds=1))
        await slack.wait_for(lambda s: len(_digests(s)) == 1)
        await asyncio.sleep(10 * POLL.total_seconds())  # more rounds: no second post
        clock.advance(WINDOW)
        await _synced_and_evaluated(bot)
        await asyncio.sleep(10 * POLL.total_seconds())

    [digest] = _digests(slack)
    check_message(digest.payload, allowed_mentions=frozenset({REP1}))
    assert digest.payload["blocks"][0]["text"]["text"] == "🔔 4 alerts"
    texts = [b["text"]["text"] for b in digest.payload["blocks"][1:] if b.get("type") == "section"]
    assert texts[0] == "*a deal is lost (≥ 10k)*"  # the group holding the largest amount first
    assert "Acme expansion" in texts[1]
    assert f"<@{REP1}>" in texts[1]  # the owner, as a mention
    assert "/record/0-3/" in texts[1]  # the link to the deal
    assert "Globex renewal" in texts[2]
    assert texts[3] == "*a deal is pushed out of the quarter (≥ 50k)*"
    assert "Initech platform" in texts[4]
    assert "pushed out of the quarter" in texts[4]
    assert texts[5] == "*a deal moves back a stage*"
    assert "Contract Sent → Appointment Scheduled" in texts[6]
    assert "Tiny deal" not in json.dumps(digest.payload)


# --------------------------------------------------------------------------- replicas


async def test_two_replicas_on_postgresql_post_each_digest_once(
    slack: FakeSlack, hubspot: FakeHubSpot, tmp_path: Path, pg_url: str
) -> None:
    change = PortalMutator(hubspot)
    deals = [
        change.create(dealname=f"Deal {n}", amount=str(20000 + n), dealstage="contractsent") for n in range(3)
    ]
    clock = FakeClock(utc_now())
    one = _settings(slack, hubspot, tmp_path / "one", database_url=pg_url)
    two = _settings(slack, hubspot, tmp_path / "two", database_url=pg_url)
    async with (
        running_bot(one, clock=clock, poll_interval=POLL) as first,
        running_bot(two, clock=clock, poll_interval=POLL) as second,
    ):
        await _synced_and_evaluated(first)
        await _synced_and_evaluated(second)
        await SignedSlack(slack, first.port).answer("alerts add deal-lost", channel=DEALS)
        for deal in deals:
            change.move_stage(deal, "closedlost")
        await _synced_and_evaluated(first)
        await _synced_and_evaluated(second)  # the other replica evaluates the same changes
        clock.advance(WINDOW + timedelta(seconds=1))
        await slack.wait_for(lambda s: len(_digests(s)) >= 1)
        await asyncio.sleep(20 * POLL.total_seconds())
    [digest] = _digests(slack)
    assert digest.payload["blocks"][0]["text"]["text"] == "🔔 3 alerts"


# --------------------------------------------------------------------------- act or silence


async def test_snooze_and_mute_hold_across_a_restart(
    slack: FakeSlack, hubspot: FakeHubSpot, tmp_path: Path
) -> None:
    change = PortalMutator(hubspot)
    snoozed = change.create(dealname="Snoozed deal", amount="80000", dealstage="contractsent")
    other = change.create(dealname="Other deal", amount="70000", dealstage="contractsent")
    clock = FakeClock(utc_now())
    data = tmp_path / "data"
    async with running_bot(_settings(slack, hubspot, data), clock=clock, poll_interval=POLL) as bot:
        await _synced_and_evaluated(bot)
        people = SignedSlack(slack, bot.port)
        await people.answer("alerts add deal-back", channel=DEALS)
        await people.answer("alerts add deal-lost", channel=DEALS)
        change.move_stage(snoozed, "appointmentscheduled")
        await _synced_and_evaluated(bot)
        clock.advance(WINDOW + timedelta(seconds=1))
        await slack.wait_for(lambda s: len(_digests(s)) == 1)
        [digest] = _digests(slack)
        await _choose(slack, bot, digest, 0, "snooze")
        await slack.wait_for(
            lambda s: any("snoozed" in str(c.payload.get("text")) for c in s.calls_to("chat.postMessage"))
        )

    async with running_bot(_settings(slack, hubspot, data), clock=clock, poll_interval=POLL) as bot:
        change.move_stage(snoozed, "contractsent")
        change.move_stage(snoozed, "appointmentscheduled")  # back again: snoozed for this rule
        change.move_stage(other, "closedlost")
        await _synced_and_evaluated(bot)
        clock.advance(WINDOW + timedelta(seconds=1))
        await slack.wait_for(lambda s: len(_digests(s)) == 2)
        second = _digests(slack)[1]
        assert "Snoozed deal" not in json.dumps([b for b in second.payload["blocks"] if b.get("accessory")])
        snoozes = next(b for b in second.payload["blocks"] if b.get("block_id") == "alert_digest_snoozed")
        assert "Snoozed deal" in json.dumps(snoozes)  # who snoozed what, until when
        assert "U0ASKER" in json.dumps(snoozes)
        await _choose(slack, bot, second, 0, "mute")  # mute the deal-lost rule
        await slack.wait_for(
            lambda s: any("muted" in str(c.payload.get("text")) for c in s.calls_to("chat.postMessage"))
        )

    async with running_bot(_settings(slack, hubspot, data), clock=clock, poll_interval=POLL) as bot:
        third = change.create(dealname="Third deal", amount="50000", dealstage="contractsent")
        await _synced_and_evaluated(bot)
        change.move_stage(third, "closedlost")  # its rule is muted
        await _synced_and_evaluated(bot)
        clock.advance(WINDOW + timedelta(seconds=1))
        await asyncio.sleep(20 * POLL.total_seconds())
        assert len(_digests(slack)) == 2
        listed = await SignedSlack(slack, bot.port).answer("alerts list", channel=DEALS)
        assert "muted by" in json.dumps(listed)


async def test_the_daily_budget_folds_the_rest_behind_show_all(
    slack: FakeSlack, hubspot: FakeHubSpot, tmp_path: Path
) -> None:
    change = PortalMutator(hubspot)
    deals = [
        change.create(dealname=f"Lost {n}", amount=str(1000 * (n + 1)), dealstage="contractsent")
        for n in range(5)
    ]
    clock = FakeClock(utc_now())
    settings = _settings(slack, hubspot, tmp_path / "data", alert_daily_budget=3)
    async with running_bot(settings, clock=clock, poll_interval=POLL) as bot:
        await _synced_and_evaluated(bot)
        await SignedSlack(slack, bot.port).answer("alerts add deal-lost", channel=DEALS)
        for deal in deals:
            change.move_stage(deal, "closedlost")
        await _synced_and_evaluated(bot)
        clock.advance(WINDOW + timedelta(seconds=1))
        await slack.wait_for(lambda s: len(_digests(s)) == 1)
        [digest] = _digests(slack)
        assert digest.payload["blocks"][0]["text"]["text"] == "🔔 5 alerts"
        shown = [json.dumps(b) for b in _items(digest)]
        assert [("Lost 4" in s, "Lost 3" in s, "Lost 2" in s) for s in shown] == [
            (True, False, False),
            (False, True, False),
            (False, False, True),
        ]  # the largest three
        more = next(b for b in digest.payload["blocks"] if b.get("block_id") == "alert_digest_more")
        assert more["text"]["text"].startswith("…and 2 more")
        click = block_actions(
            ALERT_FOLDED, more["accessory"]["value"], team_id=slack.team_id, response_url=None
        )
        assert await _post(bot.port, interaction(click)) == 200
        await slack.wait_for(lambda s: len(s.calls_to("views.open")) == 1)
        modal = json.dumps(slack.calls_to("views.open")[0].payload["view"])
        assert "Lost 1" in modal
        assert "Lost 0" in modal
        assert "Lost 4" not in modal


async def test_an_owner_who_opts_in_gets_their_deals_alerts_as_a_dm_instead(
    slack: FakeSlack, hubspot: FakeHubSpot, tmp_path: Path
) -> None:
    change = PortalMutator(hubspot)
    mine = change.create(
        dealname="Rep one's deal", amount="45000", dealstage="contractsent", hubspot_owner_id="101"
    )
    theirs = change.create(
        dealname="Someone else's", amount="35000", dealstage="contractsent", hubspot_owner_id="102"
    )
    clock = FakeClock(utc_now())
    async with running_bot(
        _settings(slack, hubspot, tmp_path / "data"), clock=clock, poll_interval=POLL
    ) as bot:
        await _synced_and_evaluated(bot)
        await SignedSlack(slack, bot.port).answer("alerts add deal-lost", channel=DEALS)
        choose = block_actions(ALERT_OPTIN, "", team_id=slack.team_id, response_url=None, user_id=REP1)
        choose["actions"] = [
            {
                "type": "static_select",
                "action_id": ALERT_OPTIN,
                "block_id": "home_alerts_optin",
                "selected_option": {"text": {"type": "plain_text", "text": "x"}, "value": "instead"},
                "action_ts": "1",
            }
        ]
        choose["container"] = {"type": "view", "view_id": "VHOME"}
        del choose["channel"], choose["message"]
        assert await _post(bot.port, interaction(choose)) == 200
        await slack.wait_for(lambda s: "home_alerts_optin" in json.dumps(s.home_views.get(REP1, {})))
        change.move_stage(mine, "closedlost")
        change.move_stage(theirs, "closedlost")
        await _synced_and_evaluated(bot)
        clock.advance(WINDOW + timedelta(seconds=1))
        await slack.wait_for(lambda s: len(_digests(s)) == 1 and len(_digests(s, REP1)) == 1)
    [channel] = _digests(slack)
    [dm] = _digests(slack, REP1)
    assert "Someone else's" in json.dumps(channel.payload)
    assert "Rep one" not in json.dumps(channel.payload)
    assert "Rep one" in json.dumps(dm.payload)
    assert alert_item_action(1) in json.dumps(dm.payload)
