"""Drill-downs through signed ``block_actions``: the card's "Show at-risk deals" and per-signal "Show
deals" open a loading modal at once (``views.open`` with the click's trigger) that is then replaced
by the list (``views.update``); Previous / Next page through it in the modal, or in place in the
ephemeral message sent when the modal cannot be opened."""

from __future__ import annotations

from typing import Any

from bot.blocks.drilldown import PAGE_SIZE
from bot.blocks.rows import at_risk_rows
from engines import EngineName, PortalSnapshot, SampleSource, analyze
from tests.bot.conftest import NOW
from tests.bot.harness import BotHarness
from tests.fakes.slack import FakeSlack


def _accessories(payload: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        b["accessory"]["action_id"]: b["accessory"]
        for b in payload["blocks"]
        if isinstance(b.get("accessory"), dict)
    }


def _block_ids(view: dict[str, Any]) -> list[str]:
    return [str(b.get("block_id", "")) for b in view["blocks"]]


def _pager(view: dict[str, Any]) -> dict[str, str]:
    pager = next(b for b in view["blocks"] if b.get("block_id") == "drilldown_pager")
    return {e["action_id"]: e["value"] for e in pager["elements"]}


async def _card(bot: BotHarness, slack: FakeSlack, text: str) -> dict[str, Any]:
    _, key = await bot.command(text)
    await slack.wait_for(lambda s: len(s.responses(key)) >= 1)
    return slack.responses(key)[0].payload


async def test_show_at_risk_deals_opens_a_modal_and_pages_through_it(
    slack: FakeSlack, portal: PortalSnapshot
) -> None:
    rows = at_risk_rows(analyze(portal, EngineName.GROWTH, now=NOW))
    first_page = rows[:PAGE_SIZE]
    mentioned = next(r for r in first_page if r.owner_email)
    assert mentioned.owner_email is not None
    slack.add_user("U0MENTION", mentioned.owner_email)
    named = next(r for r in first_page if r.owner_email != mentioned.owner_email and r.owner_name)
    assert named.owner_name is not None

    async with BotHarness(slack, SampleSource(now=NOW)) as bot:
        card = await _card(bot, slack, "growth")
        button = _accessories(card)["drilldown_open"]
        assert button["text"]["text"] == "Show at-risk deals"

        sent = await bot.click("drilldown_open", button["value"], response_url=slack.new_response_url())
        assert sent.status == 200
        assert sent.seconds < 1.0
        await slack.wait_for(lambda s: len(s.calls_to("views.update")) >= 1)
        (opened,) = slack.calls_to("views.open")
        assert opened.payload["trigger_id"] == "123.456.abc"
        assert _block_ids(opened.payload["view"]) == ["drilldown_loading"]
        (update,) = slack.calls_to("views.update")
        assert update.error is None
        view_id = update.payload["view_id"]
        modal = slack.views[view_id]
        assert modal["title"]["text"] == "At-risk deals"
        assert _block_ids(modal)[:3] == ["drilldown_title", "drilldown_summary", "drilldown_row_0"]
        assert f"of {len(rows)}" in modal["blocks"][1]["elements"][0]["text"]
        text = str(modal["blocks"])
        assert "<@U0MENTION>" in text
        assert f"Owner: {named.owner_name}" in text  # no Slack match: the name, escaped
        assert set(_pager(modal)) == {"drilldown_next"}

        await bot.click_in_view("drilldown_next", view=modal, value=_pager(modal)["drilldown_next"])
        await slack.wait_for(lambda s: len(s.calls_to("views.update")) >= 2)
        second = slack.calls_to("views.update")[1]
        assert second.error is None
        assert second.payload["view_id"] == view_id
        assert second.payload["hash"] == modal["hash"]  # Slack's guard against a stale page
        page2 = slack.views[view_id]
        assert f"drilldown_row_{PAGE_SIZE}" in _block_ids(page2)
        assert set(_pager(page2)) == {"drilldown_prev", "drilldown_next"}

        await bot.click_in_view("drilldown_prev", view=page2, value=_pager(page2)["drilldown_prev"])
        await slack.wait_for(lambda s: len(s.calls_to("views.update")) >= 3)
        assert "drilldown_row_0" in _block_ids(slack.views[view_id])
    assert slack.calls_to("chat.postMessage") == []


async def test_a_signals_show_deals_lists_that_signals_deals(slack: FakeSlack) -> None:
    async with BotHarness(slack, SampleSource(now=NOW)) as bot:
        card = await _card(bot, slack, "growth Sales Pipeline")
        buttons = _accessories(card)
        signal_buttons = sorted(a for a in buttons if a.startswith("drilldown_open_"))
        assert signal_buttons
        assert all(buttons[a]["text"]["text"] == "Show deals" for a in signal_buttons)
        await bot.click(signal_buttons[0], buttons[signal_buttons[0]]["value"], response_url=None)
        await slack.wait_for(lambda s: len(s.calls_to("views.update")) >= 1)
        modal = slack.views[slack.calls_to("views.update")[0].payload["view_id"]]
        assert modal["title"]["text"] == "Deals in this signal"
        assert "Sales Pipeline" in modal["blocks"][0]["text"]["text"]
        assert "drilldown_row_0" in _block_ids(modal)


async def test_when_the_modal_cannot_open_the_list_comes_as_a_message_that_pages_in_place(
    slack: FakeSlack,
) -> None:
    slack.fail("views.open", "expired_trigger_id")
    async with BotHarness(slack, SampleSource(now=NOW)) as bot:
        card = await _card(bot, slack, "growth")
        value = _accessories(card)["drilldown_open"]["value"]
        url = slack.new_response_url()
        key = url.rsplit("/", 1)[-1]
        await bot.click("drilldown_open", value, response_url=url)
        await slack.wait_for(lambda s: len(s.responses(key)) >= 1)
        message = slack.responses(key)[0].payload
        assert message["response_type"] == "ephemeral"
        assert message["replace_original"] is False  # the card stays; the list comes beside it
        assert "drilldown_row_0" in _block_ids(message)

        await bot.click("drilldown_next", _pager(message)["drilldown_next"], response_url=url)
        await slack.wait_for(lambda s: len(s.responses(key)) >= 2)
        page2 = slack.responses(key)[1].payload
        assert page2["replace_original"] is True
        assert f"drilldown_row_{PAGE_SIZE}" in _block_ids(page2)
    assert slack.calls_to("views.update") == []


async def test_all_engines_card_has_one_drilldown_per_engine_with_deals_at_risk(slack: FakeSlack) -> None:
    async with BotHarness(slack, SampleSource(now=NOW)) as bot:
        card = await _card(bot, slack, "all")
        buttons = _accessories(card)
        assert set(buttons) == {"drilldown_open_growth", "drilldown_open_fulfillment"}  # innovation: none
        await bot.click(
            "drilldown_open_fulfillment", buttons["drilldown_open_fulfillment"]["value"], response_url=None
        )
        await slack.wait_for(lambda s: len(s.calls_to("views.update")) >= 1)
        modal = slack.views[slack.calls_to("views.update")[0].payload["view_id"]]
        assert modal["blocks"][0]["text"]["text"].startswith("Fulfillment engine · at-risk deals")


async def test_a_forged_value_opens_nothing_and_a_gone_pipeline_says_so_in_the_modal(
    slack: FakeSlack,
) -> None:
    async with BotHarness(slack, SampleSource(now=NOW)) as bot:
        await bot.click("drilldown_open", '{"engine":"payroll"}', response_url=None)
        await bot.click("drilldown_open", '{"engine":"growth","pipeline":"gone-pipeline"}', response_url=None)
        await slack.wait_for(lambda s: len(s.calls_to("views.update")) >= 1)
        assert len(slack.calls_to("views.open")) == 1
        modal = slack.views[slack.calls_to("views.update")[0].payload["view_id"]]
        assert [b["block_id"] for b in modal["blocks"]] == ["drilldown_error"]
        assert "gone-pipeline" in modal["blocks"][0]["text"]["text"]
