"""``deal <name or id>`` through signed requests: /engine and @mention (in the thread), one match, a
pick list whose buttons answer in place, no match; the owner is mentioned only when Slack knows them."""

from __future__ import annotations

import json
from typing import Any

from bot.storage.history import Trend
from engines import EngineReport, PortalSnapshot, SampleSource
from tests.bot.conftest import NOW
from tests.bot.harness import BotHarness, message_ts
from tests.fakes.slack import FakeSlack


def _block(payload: dict[str, Any], block_id: str) -> dict[str, Any]:
    return next(b for b in payload["blocks"] if b.get("block_id") == block_id)


def _facts(payload: dict[str, Any]) -> str:
    return json.dumps(_block(payload, "deal_facts")["fields"], ensure_ascii=False)


async def test_deal_by_exact_name_gets_the_card_with_the_owner_mentioned(
    slack: FakeSlack, portal: PortalSnapshot
) -> None:
    deal = next(d for d in portal.deals if d.name == "Northwind 1 - Platform")
    owner = portal.owner(deal.owner_id)
    assert owner is not None
    assert owner.email is not None
    slack.add_user("U0OWNER", owner.email)
    async with BotHarness(slack, SampleSource(now=NOW)) as bot:
        ack, key = await bot.command("deal northwind 1 - platform")
        assert ack.status == 200
        assert ack.seconds < 1.0
        await slack.wait_for(lambda s: len(s.responses(key)) >= 1)
        (reply,) = slack.responses(key)
        card = reply.payload
        assert card["response_type"] == "in_channel"
        assert _block(card, "deal_header")["text"]["text"] == "Northwind 1 - Platform"
        assert "<@U0OWNER>" in _facts(card)
        assert "Days in stage" in _facts(card)
        assert _block(card, "deal_next_steps")["text"]["text"].startswith("*Suggested next steps*")
        (button,) = _block(card, "deal_actions")["elements"]
        assert button["url"].endswith(f"/record/0-3/{deal.id}")
        # the link button reports a click too; it only needs acknowledging
        clicked = await bot.click("deal_open_hubspot", "", response_url=slack.new_response_url())
        assert clicked.status == 200
    assert [c.payload["email"] for c in slack.calls_to("users.lookupByEmail")] == [owner.email.casefold()]


async def test_owner_unknown_to_slack_is_shown_by_escaped_name(
    slack: FakeSlack, portal: PortalSnapshot
) -> None:
    deal = next(d for d in portal.deals if (d.name or "").startswith("Acme <!channel>"))
    async with BotHarness(slack, SampleSource(now=NOW)) as bot:
        _, key = await bot.command(f"deal {deal.id} private")
        await slack.wait_for(lambda s: len(s.responses(key)) >= 1)
        card = slack.responses(key)[0].payload
    assert card["response_type"] == "ephemeral"
    owner = portal.owner(deal.owner_id)
    assert owner is not None
    assert owner.name in _facts(card)
    assert "<@" not in _facts(card)
    text = json.dumps(card, ensure_ascii=False)
    assert "<!channel>" not in card["text"]
    assert "Acme &lt;!channel&gt; &amp; Partners" in text  # mrkdwn parts escaped (checked for all on exit)


async def test_mention_with_several_matches_gets_a_pick_list_in_the_thread_and_a_pick_answers_in_place(
    slack: FakeSlack, portal: PortalSnapshot
) -> None:
    async with BotHarness(slack, SampleSource(now=NOW)) as bot:
        await bot.mention("deal initech", event_id="EvDeal1", ts="1764000000.000300")
        await bot.mention("deal initech", event_id="EvDeal1", retry=1, ts="1764000000.000300")
        await slack.wait_for(lambda s: len(s.calls_to("chat.postMessage")) >= 1)
        (post,) = slack.calls_to("chat.postMessage")
        assert post.payload["thread_ts"] == "1764000000.000300"
        matches = [b for b in post.payload["blocks"] if str(b.get("block_id", "")).startswith("deal_match_")]
        assert len(matches) == 9
        pick = matches[2]["accessory"]
        assert pick["action_id"] == "deal_pick_2"
        picked = next(d for d in portal.deals if d.id == pick["value"])

        url = slack.new_response_url()
        key = url.rsplit("/", 1)[-1]
        sent = await bot.click(
            pick["action_id"], pick["value"], response_url=url, ts=post.payload.get("ts", "1")
        )
        assert sent.status == 200
        assert sent.seconds < 1.0
        await slack.wait_for(lambda s: len(s.responses(key)) >= 1)
        (card,) = slack.responses(key)
        assert card.payload["replace_original"] is True
        assert _block(card.payload, "deal_header")["text"]["text"] == picked.name
        assert len(slack.calls_to("chat.postMessage")) == 1  # the retry and the pick posted nothing new


async def test_no_match_and_no_query_say_what_to_try(slack: FakeSlack) -> None:
    async with BotHarness(slack, SampleSource(now=NOW)) as bot:
        _, key = await bot.command("deal <!here> zzz-no-such-deal")
        _, empty_key = await bot.command("deal")
        await bot.mention("deal nothing-like-this", event_id="EvDeal2")
        await slack.wait_for(
            lambda s: (
                len(s.responses(key)) >= 1
                and len(s.responses(empty_key)) >= 1
                and len(s.calls_to("chat.postMessage")) >= 1
            )
        )
        none = slack.responses(key)[0].payload
        assert _block(none, "deal_none")["text"]["text"].startswith("No open or closed deal matches")
        # Slack's <!here> reads as typed, "@here", and never goes back as a ping.
        assert "“@here zzz-no-such-deal”" in none["blocks"][0]["text"]["text"]
        assert "<!here>" not in json.dumps(none)
        empty = slack.responses(empty_key)[0].payload
        assert empty["response_type"] == "ephemeral"
        assert "Which deal?" in empty["text"]
        in_thread = slack.calls_to("chat.postMessage")[0].payload
        assert in_thread["thread_ts"] == message_ts("EvDeal2")
        assert "deal_none" in json.dumps(in_thread)
        help_ack, _ = await bot.command("help")
        assert "/engine deal Acme renewal" in json.dumps(help_ack.json())


class _Recorder:
    """A report history that only remembers what it was given (the ReportHistory protocol)."""

    def __init__(self) -> None:
        self.recorded: list[EngineReport] = []

    async def record(self, report: EngineReport) -> Trend | None:
        self.recorded.append(report)
        return None

    async def last_trend(self, report: EngineReport) -> Trend | None:
        return None


async def test_a_deal_lookup_records_no_report_and_a_pick_list_asks_slack_nothing(slack: FakeSlack) -> None:
    recorder = _Recorder()
    async with BotHarness(slack, SampleSource(now=NOW)) as bot:
        bot.deps.service.history = recorder
        _, key = await bot.command("deal initech")
        await slack.wait_for(lambda s: len(s.responses(key)) >= 1)
        assert "deal_match_0" in json.dumps(slack.responses(key)[0].payload)
        assert recorder.recorded == []  # looking at a deal must not move the cards' trend baseline
        _, card_key = await bot.command("growth")
        await slack.wait_for(lambda s: len(s.responses(card_key)) >= 1)
        assert [r.engine.value for r in recorder.recorded] == ["growth"]
    assert slack.calls_to("users.lookupByEmail") == []  # nobody is mentioned in a pick list
