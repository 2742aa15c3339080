"""Slack as it really sends (issue #11): signed requests to the real app, bodies in Slack's exact shapes.

- Typed text arrives entity-escaped (``&amp;``, ``&lt;``, ``&gt;``) with raw ``<@U…|name>``,
  ``<#C…|name>`` and ``<https://…|label>`` tokens; a pipeline, deal or schedule named with ``&``,
  ``<`` or ``>`` works from every surface, and every reply shows it escaped exactly once.
- An edited message re-sends ``app_mention`` (new ``event_id``, same ``ts``, ``edited``): one card.
- ``app_rate_limited`` (no inner event) and clicks or submits whose id no listener knows: 200 and a log
  line, never Bolt's 404.
- Mentions posted by bots (``bot_id``), ours included, are not answered.

Bodies come from tests.support.slack_payloads, which encodes Slack's documented shapes independently of
the bot's code.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.runtime import running_bot
from bot.storage import Storage
from engines import PortalSnapshot, SampleSource
from engines.hubspot import HubSpotSource
from engines.sample import generate_portal
from tests.support.clock import NOW, FakeClock
from tests.support.harness import BOT_TOKEN, BotHarness, Sent, make_settings
from tests.support.hubspot import FakeHubSpot
from tests.support.signed import SignedSlack, post_signed
from tests.support.slack import FakeSlack
from tests.support.slack_payloads import (
    app_mention,
    app_rate_limited,
    block_actions,
    channel,
    event_callback,
    form,
    interaction,
    link,
    slash_command,
    user,
    view_submission,
    wire,
)

RENEWALS = "Renewals & Expansion"
RENEWALS_ONCE = "Renewals &amp; Expansion"
ODD_PIPELINE = "Partners <EMEA> & Co"
ODD_PIPELINE_ONCE = "Partners &lt;EMEA&gt; &amp; Co"
ODD_DEAL = "Smith & Partners <EU> - Renewal"
ODD_DEAL_ONCE = "Smith &amp; Partners &lt;EU&gt; - Renewal"


# ---------------------------------------------------------------------------- sending as Slack does


async def _command(bot: BotHarness, *parts: str) -> tuple[Sent, str]:
    """``/engine`` with ``parts`` typed (plain strings are escaped as Slack escapes them)."""
    url = bot.slack.new_response_url()
    fields = slash_command(wire(*parts), team_id=bot.slack.team_id, response_url=url)
    sent = await bot.post(form(fields), "application/x-www-form-urlencoded")
    assert sent.status == 200
    return sent, url.rsplit("/", 1)[-1]


async def _event(bot: BotHarness, event: dict[str, Any], *, event_id: str | None = None) -> Sent:
    body = event_callback(
        event, team_id=bot.slack.team_id, bot_user_id=bot.slack.bot_user_id, event_id=event_id
    )
    return await bot.post(json.dumps(body), "application/json")


def _mention(bot: BotHarness, *typed: str, **fields: Any) -> dict[str, Any]:
    """An ``app_mention`` of our bot (``<@U0BOT|valuebot>``) followed by ``typed``."""
    text = wire(user(bot.slack.bot_user_id, "valuebot"), " ", *typed)
    return app_mention(text, team_id=bot.slack.team_id, **fields)


def _fresh_ts(offset: float = 0.0) -> str:
    return f"{time.time() + offset:.6f}"


def _answers(slack: FakeSlack, key: str) -> list[dict[str, Any]]:
    """What went to a response URL, without the "⏳ working" and "still reading" lines."""
    return [c.payload for c in slack.responses(key) if not str(c.payload.get("text", "")).startswith("⏳")]


async def _answer(slack: FakeSlack, key: str) -> dict[str, Any]:
    await slack.wait_for(lambda s: len(_answers(s, key)) >= 1)
    return _answers(slack, key)[0]


def _thread_posts(slack: FakeSlack, ts: str) -> list[dict[str, Any]]:
    """Everything posted in the thread of ``ts``, for all to see or only for the asker."""
    return [
        c.payload
        for method in ("chat.postMessage", "chat.postEphemeral")
        for c in slack.calls_to(method)
        if c.payload.get("thread_ts") == ts
    ]


def _assert_once_escaped(payload: dict[str, Any], shown: str) -> None:
    """``shown`` (escaped once) is in the fallback text, and nothing anywhere is escaped twice."""
    assert shown in payload["text"]
    _assert_never_twice(payload)


def _assert_never_twice(payload: dict[str, Any]) -> None:
    dumped = json.dumps(payload, ensure_ascii=False)
    for twice in ("&amp;amp;", "&amp;lt;", "&amp;gt;"):
        assert twice not in dumped


# ---------------------------------------------------------------------------- portals


@pytest.fixture(scope="module")
def odd_portal() -> PortalSnapshot:
    """The sample portal with "Partner Deals" renamed ``Partners <EMEA> & Co`` and one deal named
    ``Smith & Partners <EU> - Renewal``, served by the loopback HubSpot."""
    portal = generate_portal(deals=240, now=NOW)
    pipelines = tuple(
        p.model_copy(update={"label": ODD_PIPELINE}) if p.label == "Partner Deals" else p
        for p in portal.pipelines
    )
    deals = tuple(
        d.model_copy(update={"name": ODD_DEAL}) if i == 3 else d for i, d in enumerate(portal.deals)
    )
    return portal.model_copy(update={"pipelines": pipelines, "deals": deals})


@pytest.fixture
async def odd_bot(slack: FakeSlack, odd_portal: PortalSnapshot) -> AsyncIterator[BotHarness]:
    async with (
        FakeHubSpot(odd_portal) as hubspot,
        HubSpotSource(hubspot.token, base_url=hubspot.base_url) as source,
        BotHarness(slack, source) as bot,
    ):
        yield bot


# ---------------------------------------------------------------------------- 1. escaped text


async def test_slash_command_pipeline_with_ampersand_gets_its_card(slack: FakeSlack) -> None:
    async with BotHarness(slack, SampleSource(now=NOW)) as bot:
        ack, key = await _command(bot, "growth ", RENEWALS)
        assert ack.json()["text"] == f"⏳ Working on the growth engine for pipeline *{RENEWALS_ONCE}*…"
        card = await _answer(slack, key)
    assert card["text"].startswith("Growth engine:")
    assert card["text"].endswith(f"· pipeline: {RENEWALS_ONCE}")
    _assert_once_escaped(card, RENEWALS_ONCE)


async def test_unknown_pipeline_quotes_what_was_typed_escaped_once(slack: FakeSlack) -> None:
    async with BotHarness(slack, SampleSource(now=NOW)) as bot:
        _, key = await _command(bot, "growth for Renewals & <Expansion>")
        error = await _answer(slack, key)
    assert error["text"] == (
        "⚠️ No pipeline called 'Renewals &amp; &lt;Expansion&gt;'. Pipelines in this portal: "
        f"Sales Pipeline, {RENEWALS_ONCE}, Partner Deals."
    )
    _assert_once_escaped(error, RENEWALS_ONCE)


async def test_pipeline_with_angle_brackets_from_hubspot_via_command_and_mention(odd_bot: BotHarness) -> None:
    slack = odd_bot.slack
    _, key = await _command(odd_bot, "innovation ", ODD_PIPELINE)
    card = await _answer(slack, key)
    assert card["text"].endswith(f"· pipeline: {ODD_PIPELINE_ONCE}")
    _assert_once_escaped(card, ODD_PIPELINE_ONCE)

    ts = _fresh_ts()
    await _event(odd_bot, _mention(odd_bot, "all for ", ODD_PIPELINE, ts=ts))
    await slack.wait_for(lambda s: len(_thread_posts(s, ts)) >= 1)
    (reply,) = _thread_posts(slack, ts)
    _assert_once_escaped(reply, ODD_PIPELINE_ONCE)


async def test_mention_with_tokens_and_escaped_pipeline_is_answered_in_its_thread(slack: FakeSlack) -> None:
    async with BotHarness(slack, SampleSource(now=NOW)) as bot:
        ts = _fresh_ts()
        sent = await _event(bot, _mention(bot, "fulfillment for ", RENEWALS, ts=ts))
        assert sent.status == 200
        await slack.wait_for(lambda s: len(_thread_posts(s, ts)) >= 1)
        (reply,) = _thread_posts(slack, ts)
    assert reply["text"].startswith("Fulfillment engine:")
    _assert_once_escaped(reply, RENEWALS_ONCE)


async def test_a_token_in_the_question_reads_as_typed(slack: FakeSlack) -> None:
    """``@bot <#C…|general> growth``: the channel reference is not the engine word; help names it as
    the person sees it (``#general``), never as the raw ``<#C…|general>`` markup."""
    async with BotHarness(slack, SampleSource(now=NOW)) as bot:
        ts = _fresh_ts()
        text = wire(user(bot.slack.bot_user_id), " ", channel("C0GENERAL", "general"), " growth & co")
        await _event(bot, app_mention(text, team_id=bot.slack.team_id, ts=ts))
        await slack.wait_for(lambda s: len(_thread_posts(s, ts)) >= 1)
        (reply,) = _thread_posts(slack, ts)
    dumped = json.dumps(reply)
    assert "I didn't understand `#general`" in dumped
    assert "C0GENERAL" not in dumped


async def test_a_link_typed_after_deal_is_looked_up_by_its_label(odd_bot: BotHarness) -> None:
    _, key = await _command(odd_bot, "deal ", link("https://crm.example.com/d?id=1&x=2", ODD_DEAL))
    card = await _answer(odd_bot.slack, key)
    _assert_once_escaped(card, ODD_DEAL_ONCE)


async def test_deal_named_with_ampersand_and_brackets_from_command_and_mention(odd_bot: BotHarness) -> None:
    slack = odd_bot.slack
    _, key = await _command(odd_bot, "deal ", ODD_DEAL)
    card = await _answer(slack, key)
    _assert_once_escaped(card, ODD_DEAL_ONCE)
    assert "No deal" not in card["text"]

    ts = _fresh_ts()
    await _event(odd_bot, _mention(odd_bot, "deal ", ODD_DEAL.casefold(), ts=ts))
    await slack.wait_for(lambda s: len(_thread_posts(s, ts)) >= 1)
    (reply,) = _thread_posts(slack, ts)
    _assert_once_escaped(reply, ODD_DEAL_ONCE)


async def test_card_buttons_carry_the_pipeline_back_unchanged(slack: FakeSlack) -> None:
    """A button's value comes back exactly as the card set it: the next card is for the same
    pipeline, shown escaped once."""
    async with BotHarness(slack, SampleSource(now=NOW)) as bot:
        _, key = await _command(bot, "growth ", RENEWALS)
        card = await _answer(slack, key)
        (actions,) = [b for b in card["blocks"] if b["type"] == "actions"]
        button = next(e for e in actions["elements"] if "fulfillment" in e["action_id"])
        url = slack.new_response_url()
        click = block_actions(button["action_id"], button["value"], team_id=slack.team_id, response_url=url)
        sent = await bot.post(interaction(click), "application/x-www-form-urlencoded")
        assert sent.status == 200
        replaced = await _answer(slack, url.rsplit("/", 1)[-1])
    assert replaced["text"].startswith("Fulfillment engine:")
    assert replaced["text"].endswith(f"· pipeline: {RENEWALS_ONCE}")
    _assert_once_escaped(replaced, RENEWALS_ONCE)


async def test_schedule_add_stores_the_pipeline_as_typed_and_shows_it_once_escaped(
    scheduling_bot: tuple[BotHarness, Storage],
) -> None:
    bot, storage = scheduling_bot
    _, key = await _command(bot, "schedule add daily 08:30 growth ", RENEWALS)
    added = await _answer(bot.slack, key)
    [schedule] = await storage.schedules.schedules()
    assert schedule.pipeline == RENEWALS
    assert f"for pipeline *{RENEWALS_ONCE}*" in json.dumps(added["blocks"], ensure_ascii=False)
    _assert_never_twice(added)

    _, key = await _command(bot, "schedule list")
    listed = await _answer(bot.slack, key)
    assert RENEWALS_ONCE in json.dumps(listed["blocks"], ensure_ascii=False)
    _assert_never_twice(listed)


# ---------------------------------------------------------------------------- 2. edited mentions


async def test_an_edited_mention_never_gets_a_second_card(slack: FakeSlack) -> None:
    async with BotHarness(slack, SampleSource(now=NOW)) as bot:
        ts = _fresh_ts(-30)
        first = await _event(bot, _mention(bot, "growth", ts=ts))
        await slack.wait_for(lambda s: len(_thread_posts(s, ts)) >= 1)
        # The person fixes a typo: Slack sends the mention again, new event_id, same ts, `edited`.
        edited = _mention(bot, "fulfillment", ts=ts, edited_ts=_fresh_ts())
        again = await _event(bot, edited)
        await asyncio.sleep(0.5)  # room for a second card, had the bot started one
        assert (first.status, again.status) == (200, 200)
        assert len(_thread_posts(slack, ts)) == 1
        assert _thread_posts(slack, ts)[0]["text"].startswith("Growth engine:")
        # Another message (another ts) is another question.
        other = _fresh_ts()
        await _event(bot, _mention(bot, "innovation", ts=other))
        await slack.wait_for(lambda s: len(_thread_posts(s, other)) >= 1)


async def test_a_message_edited_to_mention_the_bot_is_answered_once(slack: FakeSlack) -> None:
    async with BotHarness(slack, SampleSource(now=NOW)) as bot:
        ts = _fresh_ts(-60)
        # The first app_mention Slack sends is already an edit: the mention was added by editing.
        await _event(bot, _mention(bot, "growth", ts=ts, edited_ts=_fresh_ts(-5)))
        await slack.wait_for(lambda s: len(_thread_posts(s, ts)) >= 1)
        await _event(bot, _mention(bot, "growth for ", RENEWALS, ts=ts, edited_ts=_fresh_ts()))
        await asyncio.sleep(0.5)
        assert len(_thread_posts(slack, ts)) == 1


async def test_an_edit_of_a_message_older_than_the_mention_memory_is_ignored(slack: FakeSlack) -> None:
    """Mentions are remembered for a day; an edit of an older message cannot be told apart from
    one already answered, so it is left alone rather than risk a second card."""
    async with BotHarness(slack, SampleSource(now=NOW)) as bot:
        old = _fresh_ts(-3 * 86400)
        sent = await _event(bot, _mention(bot, "growth", ts=old, edited_ts=_fresh_ts()))
        assert sent.status == 200
        await asyncio.sleep(0.5)
        assert _thread_posts(slack, old) == []


# ---------------------------------------------------------------------------- 3. notices and stale ids


async def test_app_rate_limited_is_acknowledged_and_logged_with_its_minute(
    slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    async with BotHarness(slack, SampleSource(now=NOW)) as bot:
        body = app_rate_limited(team_id=slack.team_id, minute_rate_limited=1518467820)
        with caplog.at_level(logging.WARNING):
            sent = await bot.post(json.dumps(body), "application/json")
    assert sent.status == 200
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("2018-02-12 20:37 UTC" in m and slack.team_id in m for m in warnings), warnings
    assert slack.messages_sent() == []


async def test_a_click_on_a_button_no_listener_knows_is_acknowledged_and_logged(
    slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    async with BotHarness(slack, SampleSource(now=NOW)) as bot:
        click = block_actions("engine_card_v0_refresh", "{}", team_id=slack.team_id, response_url=None)
        with caplog.at_level(logging.INFO):
            sent = await bot.post(interaction(click), "application/x-www-form-urlencoded")
    assert sent.status == 200
    assert any("engine_card_v0_refresh" in r.getMessage() for r in caplog.records)
    assert slack.messages_sent() == []


async def test_a_submit_of_a_modal_no_listener_knows_is_acknowledged_and_logged(
    slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    async with BotHarness(slack, SampleSource(now=NOW)) as bot:
        submit = view_submission("schedule_modal_v0", {"pipeline": {"name": RENEWALS}}, team_id=slack.team_id)
        with caplog.at_level(logging.INFO):
            sent = await bot.post(interaction(submit), "application/x-www-form-urlencoded")
    assert sent.status == 200
    assert sent.body == ""  # an empty 200 closes the modal
    assert any("schedule_modal_v0" in r.getMessage() for r in caplog.records)


# ---------------------------------------------------------------------------- 5. mentions by bots


async def test_mentions_posted_by_bots_are_not_answered(slack: FakeSlack) -> None:
    async with BotHarness(slack, SampleSource(now=NOW)) as bot:
        other_app = _fresh_ts(-2)
        sent = await _event(
            bot,
            _mention(bot, "growth", ts=other_app, user_id="U0OTHERBOT", bot_id="B0OTHER", app_id="A0OTHER"),
        )
        ours = _fresh_ts(-1)
        ours_sent = await _event(
            bot,
            _mention(bot, "growth", ts=ours, user_id=slack.bot_user_id, bot_id="B0ENGINE", app_id="A0ENGINE"),
        )
        person = _fresh_ts()
        await _event(bot, _mention(bot, "growth", ts=person))
        await slack.wait_for(lambda s: len(_thread_posts(s, person)) >= 1)
        await asyncio.sleep(0.3)
    assert (sent.status, ours_sent.status) == (200, 200)
    assert _thread_posts(slack, other_app) == []
    assert _thread_posts(slack, ours) == []


async def _deliver(port: int, body: dict[str, Any]) -> int:
    """Sign and POST an Events API body to a replica, as Slack does."""
    status, _ = await post_signed(port, json.dumps(body), content_type="application/json")
    return status


async def test_an_edit_reaching_another_replica_gets_no_second_card(tmp_path: Path) -> None:
    """Two ``engine-bot serve`` replicas on one database (DATABASE_URL): the mention reaches A,
    the edit B, and then both a new message and its edit arrive at once, one at each replica."""
    async with FakeSlack(bot_token=BOT_TOKEN) as slack:
        settings = make_settings(slack, database_url=f"sqlite:///{tmp_path / 'shared.db'}")
        async with running_bot(settings) as a, running_bot(settings) as b:

            def envelope(*typed: str, ts: str, edited_ts: str | None = None) -> dict[str, Any]:
                text = wire(user(slack.bot_user_id), " ", *typed)
                event = app_mention(text, team_id=slack.team_id, ts=ts, edited_ts=edited_ts)
                return event_callback(event, team_id=slack.team_id, bot_user_id=slack.bot_user_id)

            ts = _fresh_ts(-20)
            assert await _deliver(a.port, envelope("growth", ts=ts)) == 200
            await slack.wait_for(lambda s: len(_thread_posts(s, ts)) >= 1)
            assert await _deliver(b.port, envelope("fulfillment", ts=ts, edited_ts=_fresh_ts())) == 200

            raced = _fresh_ts(-10)
            statuses = await asyncio.gather(
                _deliver(a.port, envelope("innovation", ts=raced)),
                _deliver(b.port, envelope("innovation for ", RENEWALS, ts=raced, edited_ts=_fresh_ts())),
            )
            assert statuses == [200, 200]
            await slack.wait_for(lambda s: len(_thread_posts(s, raced)) >= 1)
            await asyncio.sleep(0.5)  # room for a second card, had either replica started one
    assert len(_thread_posts(slack, ts)) == 1
    assert len(_thread_posts(slack, raced)) == 1


async def test_a_schedule_for_a_pipeline_named_with_ampersand_posts_its_card(
    slack: FakeSlack, tmp_path: Path
) -> None:
    """``engine-bot serve`` end to end: the schedule added from Slack fires with the pipeline as
    typed, and the card it posts names it escaped once."""
    clock = FakeClock(datetime(2026, 11, 23, 8, 50, tzinfo=UTC))
    slack.bot_token = BOT_TOKEN
    settings = make_settings(slack, data_dir=tmp_path / "data")
    async with running_bot(settings, clock=clock, poll_interval=timedelta(milliseconds=50)) as bot:
        people = SignedSlack(slack, bot.port)
        added = await people.answer(wire("schedule add daily 09:00 growth ", RENEWALS), channel="C0REVOPS")
        assert f"for pipeline *{RENEWALS_ONCE}*" in json.dumps(added["blocks"], ensure_ascii=False)
        clock.set(datetime(2026, 11, 23, 9, 0, 2, tzinfo=UTC))
        await slack.wait_for(
            lambda s: any(c.payload.get("channel") == "C0REVOPS" for c in s.calls_to("chat.postMessage"))
        )
    [card] = [c.payload for c in slack.calls_to("chat.postMessage") if c.payload.get("channel") == "C0REVOPS"]
    assert card["text"].startswith("Growth engine:")
    assert card["text"].endswith(f"· pipeline: {RENEWALS_ONCE}")
    _assert_once_escaped(card, RENEWALS_ONCE)
