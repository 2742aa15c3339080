"""The card's buttons: signed ``block_actions`` update the card in place, never post a new one."""

from __future__ import annotations

import json

from engines import SampleSource
from tests.support.clock import NOW
from tests.support.harness import BotHarness
from tests.support.payloads import check_message
from tests.support.slack import FakeSlack


def _buttons(payload: dict[str, object]) -> dict[str, str]:
    blocks = payload["blocks"]
    assert isinstance(blocks, list)
    actions = next(b for b in blocks if b["type"] == "actions")
    return {e["action_id"]: e["value"] for e in actions["elements"]}


async def test_switching_engine_replaces_the_card_in_place(slack: FakeSlack) -> None:
    async with BotHarness(slack, SampleSource(now=NOW)) as bot:
        _, key = await bot.command("growth Sales Pipeline")
        await slack.wait_for(lambda s: len(s.responses(key)) >= 1)
        card = slack.responses(key)[0].payload
        buttons = _buttons(card)
        assert set(buttons) == {
            "engine.show.fulfillment",
            "engine.show.innovation",
            "engine.show.all",
            "engine.changes",
            "engine.refresh",
        }

        click_url = slack.new_response_url()
        sent = await bot.click("engine.show.all", buttons["engine.show.all"], response_url=click_url)
        assert sent.status == 200
        assert sent.seconds < 1.0
        click_key = click_url.rsplit("/", 1)[-1]
        await slack.wait_for(lambda s: len(s.responses(click_key)) >= 1)
        (update,) = slack.responses(click_key)
        assert update.payload["replace_original"] is True
        assert len([b for b in update.payload["blocks"] if b["type"] == "header"]) == 3
        assert "Sales Pipeline" in json.dumps(update.payload)  # the pipeline travels with the button
        check_message(update.payload)
        assert slack.calls_to("chat.postMessage") == []


async def test_refresh_redraws_the_same_engine(slack: FakeSlack) -> None:
    async with BotHarness(slack, SampleSource(now=NOW)) as bot:
        url = slack.new_response_url()
        await bot.click("engine.refresh", '{"e":"innovation","p":null}', response_url=url)
        key = url.rsplit("/", 1)[-1]
        await slack.wait_for(lambda s: len(s.responses(key)) >= 1)
        payload = slack.responses(key)[0].payload
        assert payload["replace_original"] is True
        assert "Innovation engine" in payload["text"]


async def test_click_without_response_url_uses_chat_update(slack: FakeSlack) -> None:
    slack.messages[("C0SALES", "1764000000.000777")] = {"ts": "1764000000.000777", "text": "old card"}
    async with BotHarness(slack, SampleSource(now=NOW)) as bot:
        await bot.click(
            "engine.show.growth", '{"e":"growth","p":null}', response_url=None, ts="1764000000.000777"
        )
        await slack.wait_for(lambda s: len(s.calls_to("chat.update")) >= 1)
        (update,) = slack.calls_to("chat.update")
        assert update.error is None
        assert update.payload["ts"] == "1764000000.000777"
        assert "Growth engine" in slack.messages[("C0SALES", "1764000000.000777")]["text"]


async def test_a_button_value_we_did_not_write_is_ignored(slack: FakeSlack) -> None:
    async with BotHarness(slack, SampleSource(now=NOW)) as bot:
        url = slack.new_response_url()
        sent = await bot.click("engine.show.all", '{"e":"../../etc/passwd"}', response_url=url)
        assert sent.status == 200
        await bot.click("engine.refresh", '{"e":"growth","p":null}', response_url=url)
        key = url.rsplit("/", 1)[-1]
        await slack.wait_for(lambda s: len(s.responses(key)) >= 1)
        assert len(slack.responses(key)) == 1  # only the valid click answered


async def test_unknown_pipeline_on_a_button_is_a_private_error_not_a_replacement(slack: FakeSlack) -> None:
    async with BotHarness(slack, SampleSource(now=NOW)) as bot:
        url = slack.new_response_url()
        await bot.click("engine.show.growth", '{"e":"growth","p":"gone-pipeline"}', response_url=url)
        key = url.rsplit("/", 1)[-1]
        await slack.wait_for(lambda s: len(s.responses(key)) >= 1)
        payload = slack.responses(key)[0].payload
        assert payload["response_type"] == "ephemeral"
        assert payload["replace_original"] is False
        assert "No pipeline called 'gone-pipeline'" in payload["text"]
