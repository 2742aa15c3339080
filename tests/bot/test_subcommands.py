"""The dispatch other features plug into: a registered first word reaches its handler from both
``/engine`` and mentions, with who asked, where, and a reply that goes to the right place."""

from __future__ import annotations

import json

from slack_sdk.web.async_client import AsyncWebClient

from bot.answers.answering import Invocation, Subcommand
from bot.blocks import notice_message
from bot.blocks.mrkdwn import escape
from engines import EngineError, SampleSource
from tests.bot.conftest import NOW
from tests.bot.harness import BotHarness
from tests.fakes.slack import FakeSlack


class _Echo:
    """A small real subcommand: repeats its arguments (escaped) and who asked, or fails on 'fail'."""

    def __init__(self) -> None:
        self.seen: list[Invocation] = []

    async def __call__(self, invocation: Invocation) -> None:
        self.seen.append(invocation)
        if invocation.args == "fail":
            raise EngineError("Echo cannot repeat that.")
        text = f"echo {escape(invocation.args)} for {invocation.user_id}"
        await invocation.reply.send(notice_message(text), private=invocation.private)


async def test_subcommand_from_slash_command_and_mention(slack: FakeSlack) -> None:
    echo = _Echo()
    async with BotHarness(slack, SampleSource(now=NOW)) as bot:
        bot.deps.add_subcommand(Subcommand("echo", echo, examples=(("/engine echo hello", "repeat hello"),)))
        ack, key = await bot.command("echo <!channel> & co private")
        assert ack.json()["text"] == "⏳ Working on it…"
        await slack.wait_for(lambda s: len(s.responses(key)) >= 1)
        reply = slack.responses(key)[0].payload
        assert reply["response_type"] == "ephemeral"
        assert reply["text"] == "echo @channel &amp; co for U0ASKER"  # args as typed, escaped once

        await bot.mention("echo thread", event_id="EvSub1", ts="1764000000.000500")
        await slack.wait_for(lambda s: len(s.calls_to("chat.postMessage")) >= 1)
        post = slack.calls_to("chat.postMessage")[0].payload
        assert post["thread_ts"] == "1764000000.000500"
        assert post["text"].startswith("echo thread")

        _, fail_key = await bot.command("echo fail")
        await slack.wait_for(lambda s: len(s.responses(fail_key)) >= 1)
        assert slack.responses(fail_key)[0].payload["text"] == "⚠️ Echo cannot repeat that."

        help_ack, _ = await bot.command("help")
        assert "/engine echo hello" in json.dumps(help_ack.json())

    first = echo.seen[0]
    assert first.args == "@channel & co"  # as typed: the <!channel> token reads "@channel"
    assert first.private is True
    assert (first.user_id, first.channel_id, first.team_id) == ("U0ASKER", "C0SALES", slack.team_id)
    assert isinstance(first.client, AsyncWebClient)
    assert echo.seen[1].channel_id == "C0SALES"
