"""The App Home tab through signed ``app_home_opened`` events and Home-tab ``block_actions``: a loading
view at once, then the engines and the viewer's own deals at risk; a sensible tab for people HubSpot
does not know; the pipeline picker and Refresh; drill-downs from the tab; retries publish once."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.blocks.home import my_at_risk
from bot.storage import Database, ReportStore
from engines import EngineName, Owner, PortalSnapshot, SampleSource, analyze, analyze_all
from tests.bot.conftest import NOW
from tests.bot.harness import BotHarness
from tests.fakes.slack import FakeSlack


def _ids(view: dict[str, Any]) -> list[str]:
    return [str(b.get("block_id", "")) for b in view["blocks"]]


def _views_for(slack: FakeSlack, user: str) -> list[dict[str, Any]]:
    return [c.payload["view"] for c in slack.calls_to("views.publish") if c.payload["user_id"] == user]


def _owner_with_risk(portal: PortalSnapshot) -> Owner:
    reports = analyze_all(portal, now=NOW)
    return next(o for o in portal.owners if o.email and my_at_risk(reports, o))


async def test_opening_home_publishes_loading_then_my_deals_at_risk(
    slack: FakeSlack, portal: PortalSnapshot
) -> None:
    owner = _owner_with_risk(portal)
    assert owner.email is not None
    slack.add_user("U0REP", owner.email.upper())  # Slack and HubSpot may disagree on case
    async with BotHarness(slack, SampleSource(now=NOW)) as bot:
        sent = await bot.home_opened(user="U0REP", event_id="EvHome1")
        assert sent.status == 200
        assert sent.seconds < 1.0
        await slack.wait_for(lambda s: len(s.calls_to("views.publish")) >= 2)
        loading, home = _views_for(slack, "U0REP")
        assert _ids(loading) == ["home_loading"]
        assert home["type"] == "home"
        ids = _ids(home)
        assert {"home_title", "home_controls", "home_engine_growth", "home_mine_title", "home_mine_0"} <= set(
            ids
        )
        assert "home_mine_note" not in ids
        assert json.loads(home["private_metadata"]) == {"p": None}
        assert [c.payload["user"] for c in slack.calls_to("users.info")] == ["U0REP"]
        assert slack.home_views["U0REP"]["blocks"] == home["blocks"]


async def test_people_hubspot_does_not_know_get_a_tab_that_says_why(slack: FakeSlack) -> None:
    slack.add_user("U0STRANGER", "stranger@elsewhere.example")
    slack.add_user("U0NOMAIL", None)  # no e-mail on the profile (or no users:read.email)
    async with BotHarness(slack, SampleSource(now=NOW)) as bot:
        await bot.home_opened(user="U0STRANGER", event_id="EvHome2")
        await bot.home_opened(user="U0NOMAIL", event_id="EvHome3")
        await bot.home_opened(user="U0GHOST", event_id="EvHome4")  # users.info: user_not_found
        await slack.wait_for(lambda s: len(s.calls_to("views.publish")) >= 6)
    stranger = _views_for(slack, "U0STRANGER")[-1]
    note = next(b for b in stranger["blocks"] if b.get("block_id") == "home_mine_note")["text"]["text"]
    assert "No HubSpot owner uses your e-mail address (stranger@elsewhere.example)" in note
    assert "home_engine_growth" in _ids(stranger)  # the team's engines are still shown
    for user in ("U0NOMAIL", "U0GHOST"):
        view = _views_for(slack, user)[-1]
        assert "can't read an e-mail address" in json.dumps(view)


async def test_event_retries_publish_once_and_other_tabs_publish_nothing(slack: FakeSlack) -> None:
    async with BotHarness(slack, SampleSource(now=NOW)) as bot:
        first = await bot.home_opened(user="U0REP", event_id="EvHome5")
        retries = [await bot.home_opened(user="U0REP", event_id="EvHome5", retry=n) for n in (1, 2)]
        assert first.status == 200
        assert all(r.headers.get("x-slack-no-retry") == "1" for r in retries)
        await bot.home_opened(user="U0REP", event_id="EvHome6", tab="messages")
        await slack.wait_for(lambda s: len(s.calls_to("views.publish")) >= 2)
        await asyncio.sleep(0.3)
    assert len(slack.calls_to("views.publish")) == 2  # one loading view, one tab


async def test_pipeline_picker_and_refresh_republish_for_that_pipeline(
    slack: FakeSlack, portal: PortalSnapshot
) -> None:
    renewals = next(p for p in portal.pipelines if p.label == "Renewals & Expansion")
    async with BotHarness(slack, SampleSource(now=NOW)) as bot:
        await bot.home_opened(user="U0REP", event_id="EvHome7")
        await slack.wait_for(lambda s: len(s.calls_to("views.publish")) >= 2)
        shown = slack.home_views["U0REP"]

        await bot.click_in_view("home_pipeline", view=shown, selected=renewals.id, user="U0REP")
        await slack.wait_for(lambda s: len(s.calls_to("views.publish")) >= 4)
        picked = slack.home_views["U0REP"]
        assert json.loads(picked["private_metadata"]) == {"p": renewals.id}
        assert picked["blocks"][0]["text"]["text"] == "Value engines · Renewals & Expansion"
        select = next(b for b in picked["blocks"] if b.get("block_id") == "home_controls")["elements"][0]
        assert select["initial_option"]["value"] == renewals.id

        # reopening the tab keeps the pipeline chosen (read back from the published view's metadata)
        await bot.home_opened(user="U0REP", event_id="EvHome8", view=picked)
        await slack.wait_for(lambda s: len(s.calls_to("views.publish")) >= 6)
        assert json.loads(slack.home_views["U0REP"]["private_metadata"]) == {"p": renewals.id}

        await bot.click_in_view("home_refresh", view=slack.home_views["U0REP"], value="*", user="U0REP")
        await slack.wait_for(lambda s: len(s.calls_to("views.publish")) >= 8)
        assert json.loads(slack.home_views["U0REP"]["private_metadata"]) == {"p": None}
        assert slack.home_views["U0REP"]["blocks"][0]["text"]["text"] == "Value engines · All pipelines"


async def test_a_pipeline_that_is_gone_shows_the_reason_and_a_way_back(slack: FakeSlack) -> None:
    async with BotHarness(slack, SampleSource(now=NOW)) as bot:
        stale = {
            "type": "home",
            "id": "VOLD",
            "hash": "h",
            "private_metadata": '{"p":"gone-pipeline"}',
            "blocks": [],
        }
        await bot.home_opened(user="U0REP", event_id="EvHome9", view=stale)
        await slack.wait_for(lambda s: len(s.calls_to("views.publish")) >= 2)
        view = slack.home_views["U0REP"]
        assert _ids(view) == ["home_error", "home_controls"]
        assert "No pipeline called 'gone-pipeline'" in view["blocks"][0]["text"]["text"]
        assert view["blocks"][1]["elements"][0]["action_id"] == "home_refresh"


async def test_show_at_risk_deals_from_the_home_tab_opens_the_modal(slack: FakeSlack) -> None:
    async with BotHarness(slack, SampleSource(now=NOW)) as bot:
        await bot.home_opened(user="U0REP", event_id="EvHome10")
        await slack.wait_for(lambda s: len(s.calls_to("views.publish")) >= 2)
        home = slack.home_views["U0REP"]
        growth = next(
            b for b in home["blocks"] if b.get("block_id") == f"home_engine_{EngineName.GROWTH.value}"
        )
        button = growth["accessory"]
        await bot.click_in_view(button["action_id"], view=home, value=button["value"], user="U0REP")
        await slack.wait_for(lambda s: len(s.calls_to("views.update")) >= 1)
        (opened,) = slack.calls_to("views.open")
        assert opened.payload["trigger_id"] == "123.456.view"
        modal = slack.views[slack.calls_to("views.update")[0].payload["view_id"]]
        assert modal["type"] == "modal"
        assert "drilldown_row_0" in _ids(modal)


async def test_trends_come_from_the_history_and_opening_the_tab_records_nothing(
    slack: FakeSlack, portal: PortalSnapshot, tmp_path: Path
) -> None:
    database = Database(data_dir=tmp_path)
    database.migrate()
    try:
        store = ReportStore(database, clock=lambda: datetime(2026, 11, 16, 14, 0, tzinfo=UTC))
        growth = analyze(portal, EngineName.GROWTH, now=NOW)
        assert growth.score is not None
        await store.record(growth.model_copy(update={"score": growth.score - 8}))
        async with BotHarness(slack, SampleSource(now=NOW)) as bot:
            bot.deps.service.history = store
            await bot.home_opened(user="U0REP", event_id="EvHome11")
            await slack.wait_for(lambda s: len(s.calls_to("views.publish")) >= 2)
            home = slack.home_views["U0REP"]
        line = next(b for b in home["blocks"] if b.get("block_id") == "home_engine_growth")["text"]["text"]
        assert "▲ 8 since Mon 16 Nov" in line
        assert len(await store.history(EngineName.GROWTH, None)) == 1
        assert await store.history(EngineName.FULFILLMENT, None) == []
    finally:
        database.dispose()
