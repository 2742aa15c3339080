"""Hostile or odd input, typed by people or stored in the CRM, through the real bot to the loopback Slack.

Two corpora. What people type after ``/engine`` or ``@bot`` (empty, unknown words, 4,000 characters,
control characters, emoji, ``<!channel>``, ``<@U…>``, forged links, shell and SQL metacharacters),
and what a CRM nobody cleaned holds (names with Slack control sequences, amounts of 1e18 and below
zero, dates in 1970 and 2100), served by the loopback HubSpot to the real HubSpot source.

For every input the checks are the same, over everything Slack received (acks, response URLs, Web
API messages): each answer parses with slack_sdk's models and keeps Block Kit's limits, and the only
``<...>`` sequences are the deal links the bot built to the portal's HubSpot domain.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from engines import PortalSnapshot, SampleSource
from engines.hubspot import HubSpotSource
from tests.bot.harness import BotHarness, message_ts
from tests.fakes.hubspot import FakeHubSpot
from tests.fakes.slack import FakeSlack
from tests.reliability.conftest import NOW
from tests.reliability.support import injections, scan, slack_payloads, source_for

TYPED = {
    "empty": "",
    "spaces": "   \t  ",
    "unknown": "grwoth please",
    "4000 chars": "growth " + "x" * 3993,
    "4000 chars of markup": "<!channel>" * 400,
    "control chars": "growth \x00\x07\x1b[2J\x7f\u202e",
    "emoji": "growth 🚀💸 🧨",
    "channel ping": "<!channel> growth",
    "here ping in pipeline": "growth <!here> & <!everyone>",
    "user mention": "all for <@U0ADMIN>",
    "subteam": "growth <!subteam^S0SALES|@sales>",
    "link": "growth <https://evil.example/login|click here>",
    "bare link": "all for https://evil.example/?a=1&b=<2>",
    "channel link": "growth <#C0GENERAL|general>",
    "shell": "growth $(rm -rf /); `reboot` && echo | cat > /etc/passwd",
    "sql": "growth '; DROP TABLE deals; -- \" OR 1=1",
    "format string": "growth %s%s%n {0} {__class__}",
    "private only": "private",
    "engine then junk": "fulfillment for <!channel> private",
    "newlines": "growth\n\n<!channel>\r\nall",
}


def _answers(slack: FakeSlack, acks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Everything shown to someone: the acks plus what Slack received."""
    return [a for a in acks if a] + slack_payloads(slack)


@pytest.mark.parametrize("text", list(TYPED.values()), ids=list(TYPED))
async def test_typed_command_gets_a_well_formed_answer_and_injects_nothing(
    slack: FakeSlack, text: str
) -> None:
    async with BotHarness(slack, SampleSource(now=NOW)) as bot:
        ack, key = await bot.command(text)
        assert ack.status == 200
        assert ack.seconds < 3.0
        body = ack.json()
        assert isinstance(body, dict)
        assert body["response_type"] == "ephemeral"
        if "blocks" not in body:  # a "working on it" ack: the answer follows on the response URL
            await slack.wait_for(lambda s: len(s.responses(key)) >= 1, timeout=10)
        await asyncio.sleep(0.1)
        assert len([c for c in slack.responses(key) if not str(c.payload.get("text")).startswith("⏳")]) <= 1
    assert scan(_answers(slack, [body])) == []
    assert slack.problems == []


@pytest.mark.parametrize("text", list(TYPED.values()), ids=list(TYPED))
async def test_typed_mention_gets_a_well_formed_thread_reply_and_injects_nothing(
    slack: FakeSlack, text: str
) -> None:
    async with BotHarness(slack, SampleSource(now=NOW)) as bot:
        sent = await bot.mention(text, event_id="EvBad" + str(abs(hash(text))))
        assert sent.status == 200
        await slack.wait_for(lambda s: len(s.messages_sent()) >= 1, timeout=10)
        await asyncio.sleep(0.1)
    (reply,) = slack.messages_sent()
    assert reply.payload["thread_ts"] == message_ts("EvBad" + str(abs(hash(text))))
    assert scan(slack_payloads(slack)) == []
    assert slack.problems == []


# ------------------------------------------------------------------ CRM records nobody cleaned

HOSTILE_DEAL_NAMES = (
    "<!channel> renewal",
    "<!here|here> & <!everyone>",
    "Acme <@U0CEO> expansion",
    "<https://evil.example/phish|Your invoice> & co",
    "<#C0GENERAL> <!subteam^S123|@sales>",
    "a|b>c<d",
    "🚀 Émoji deal 💸 & <friends>",
    "&amp; already &lt;escaped&gt;",
    "line\nbreak\ttab\x1b[31mred\x07",
    "x" * 600 + "<!channel>",
    "",
)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
FAR = datetime(2100, 12, 31, 23, 59, tzinfo=UTC)


def _dirty(portal: PortalSnapshot) -> PortalSnapshot:
    """The portal with names, amounts and dates no validation would have let through."""
    deals = []
    for i, deal in enumerate(portal.deals):
        update: dict[str, Any] = {"name": HOSTILE_DEAL_NAMES[i % len(HOSTILE_DEAL_NAMES)]}
        kind = i % 6
        if kind == 0:
            update["amount"] = 1e18
        elif kind == 1:
            update["amount"] = -250_000.0
        elif kind == 2:
            update.update(created_at=EPOCH, close_date=EPOCH, last_activity_at=EPOCH)
            update["stage_entered_at"] = {k: EPOCH for k in deal.stage_entered_at}
        elif kind == 3:
            update.update(close_date=FAR, last_activity_at=FAR, last_modified_at=FAR)
            update["stage_entered_at"] = {k: FAR for k in deal.stage_entered_at}
        elif kind == 4:
            update["amount"] = 0.01
        deals.append(deal.model_copy(update=update))
    owners = tuple(
        o.model_copy(update={"first_name": "<!channel>", "last_name": "&<@U0BOSS> <https://x.example|y>"})
        for o in portal.owners
    )
    pipelines = tuple(
        p.model_copy(
            update={
                "label": "<!everyone> " + p.label + " & <@U0X>",
                "stages": tuple(s.model_copy(update={"label": f"<!here> {s.label} <#C1>"}) for s in p.stages),
            }
        )
        for p in portal.pipelines
    )
    return portal.model_copy(update={"deals": tuple(deals), "owners": owners, "pipelines": pipelines})


@pytest.fixture
async def dirty_hubspot(portal: PortalSnapshot) -> AsyncIterator[FakeHubSpot]:
    async with FakeHubSpot(_dirty(portal)) as fake:
        yield fake


@pytest.fixture
async def dirty_source(dirty_hubspot: FakeHubSpot) -> AsyncIterator[HubSpotSource]:
    source = source_for(dirty_hubspot)
    yield source
    await source.aclose()


def _ui_domain(portal: PortalSnapshot) -> str:
    return portal.portal.ui_domain or "app.hubspot.com"


async def test_dirty_crm_records_give_well_formed_cards_with_only_our_links(
    slack: FakeSlack, portal: PortalSnapshot, dirty_hubspot: FakeHubSpot, dirty_source: HubSpotSource
) -> None:
    async with BotHarness(slack, dirty_source) as bot:
        keys = []
        for text in ("growth", "fulfillment", "innovation", "all", "growth private"):
            ack, key = await bot.command(text)
            assert ack.status == 200
            keys.append(key)
        await bot.mention("all", event_id="EvDirty1")
        await slack.wait_for(
            lambda s: all(s.responses(k) for k in keys) and len(s.calls_to("chat.postMessage")) >= 1,
            timeout=15,
        )
        # a pipeline given by its (hostile) label, and a button click redrawing in place
        label = next(p.label for p in _dirty(portal).pipelines)
        ack, key = await bot.command(f"growth {label}")
        await slack.wait_for(lambda s: len(s.responses(key)) >= 1, timeout=10)
        url = slack.new_response_url()
        await bot.click("engine.refresh", '{"e":"growth","p":null}', response_url=url)
        await slack.wait_for(lambda s: len(s.responses(url.rsplit("/", 1)[-1])) >= 1, timeout=10)
    payloads = slack_payloads(slack)
    cards = [p for p in payloads if any(b.get("type") == "header" for b in p.get("blocks", []))]
    assert len(cards) >= 7  # every answer above was a card, not an apology
    assert not any(str(p.get("text", "")).startswith("Sorry") for p in payloads)
    dumped = json.dumps(cards)
    assert f"https://{_ui_domain(portal)}/contacts/" in dumped  # our own deal links are there...
    assert scan(payloads, ui_domain=_ui_domain(portal)) == []  # ...and nothing else is
    assert slack.problems == []


async def test_dirty_crm_amounts_and_dates_do_not_break_the_numbers(
    slack: FakeSlack, dirty_hubspot: FakeHubSpot, dirty_source: HubSpotSource
) -> None:
    async with BotHarness(slack, dirty_source) as bot:
        _, key = await bot.command("growth")
        await slack.wait_for(lambda s: len(s.responses(key)) >= 1, timeout=10)
    (card,) = slack.responses(key)
    text = json.dumps(card.payload)
    assert "1000000000000000000" not in text  # 1e18 is reported as implausible, not summed
    assert "e+18" not in text
    # no NaN or infinity out of 1970/2100 date arithmetic or 1e18 sums
    assert re.findall(r"\b(?:nan|NaN|inf|Infinity)\b", text) == []


def test_the_injection_scan_itself_catches_what_it_must() -> None:
    """The checks above are only as good as ``injections``: it must flag each kind, pass ours."""
    ours = "<https://app.hubspot.com/contacts/1/record/0-3/42|Acme &amp; co>"
    assert injections({"text": f"at risk: {ours} owned by <@U0OWNER>"}, resolved_users=["U0OWNER"]) == []
    ticket = "<https://app.hubspot.com/contacts/1/record/0-5/43|Onboarding: Acme>"
    assert injections({"text": f"overdue: {ticket}"}) == []
    for hostile in (
        "<!channel>",
        "<@U0STRANGER>",
        "<https://evil.example|click>",
        "<https://app.hubspot.com.evil.example/contacts/1/record/0-3/42|x>",
        "<https://app.hubspot.com/contacts/1/record/0-7/42|another object type>",
        "<#C0GENERAL>",
        "Tom & Jerry",
    ):
        section = {"type": "section", "text": {"type": "mrkdwn", "text": f"{ours} {hostile}"}}
        assert injections({"text": "x", "blocks": [section]}, resolved_users=["U0OWNER"]) != [], hostile
    plain = {"type": "header", "text": {"type": "plain_text", "text": "<!channel> is literal here"}}
    assert injections({"text": "x", "blocks": [plain]}) == []
