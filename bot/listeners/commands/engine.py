"""``/engine [growth|fulfillment|innovation|all|help] [pipeline] [private]``.

Slack gives a slash command 3 seconds. The acknowledgement therefore carries only what can be said
at once - the help card for empty or unknown input, or a short ephemeral "working on it" line - and
the card follows through the command's ``response_url`` (visible to the channel unless the text
says ``private``).
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.answering import BotDeps, Invocation, answer, working_text
from bot.parsing import HelpRequest, ReportRequest
from bot.replies import CommandReply, deliverable
from bot.slack.text import parse

__all__ = ["COMMAND", "handle_engine_command"]

COMMAND = "/engine"


async def handle_engine_command(
    ack: AsyncAck, command: dict[str, Any], deps: BotDeps, *, client: AsyncWebClient | None = None
) -> None:
    request = deps.parse(parse(command.get("text")))
    if isinstance(request, HelpRequest):
        await ack(response_type="ephemeral", **deliverable(deps.help(request.unknown)))
        return
    if isinstance(request, ReportRequest):
        await ack(response_type="ephemeral", text=working_text(request))
    else:
        await ack(response_type="ephemeral", text="⏳ Working on it…")
    reply = CommandReply(str(command.get("response_url", "")))
    invocation = Invocation(
        args="",
        private=False,
        reply=reply,
        deps=deps,
        user_id=command.get("user_id"),
        channel_id=command.get("channel_id"),
        team_id=command.get("team_id"),
        client=client,
    )
    await answer(request, reply, deps, invocation=invocation)
