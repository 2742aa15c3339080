"""``/engine [growth|fulfillment|innovation|all|help] [pipeline] [private]``, and its subcommands.

Slack gives a slash command 3 seconds. The acknowledgement therefore carries only what can be said
at once - the help card for empty or unknown input, or a short ephemeral "working on it" line - and
the card follows through the command's ``response_url`` (visible to the channel unless the text
says ``private``). Mentions (:mod:`bot.listeners.events`) understand the same words.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.answers import (
    BotDeps,
    CommandReply,
    HelpRequest,
    Invocation,
    ReportRequest,
    Subcommand,
    answer,
    working_text,
)
from bot.answers.changes import CHANGES_SUBCOMMAND
from bot.answers.deal import DEAL_SUBCOMMAND
from bot.answers.settings_command import SETTINGS_SUBCOMMAND
from bot.blocks import deliverable
from bot.slack.text import parse

__all__ = ["COMMAND", "handle_engine_command", "subcommands"]

COMMAND = "/engine"


def subcommands(deps: BotDeps) -> list[Subcommand]:
    """The registry: every first word ``/engine`` (and a mention) takes besides an engine name.

    ``deal`` and ``changes`` always (without the CRM mirror ``changes`` says how to get it);
    ``schedule`` when the process keeps schedules (``engine-bot serve``); ``settings`` when it keeps
    workspace settings (a database: ``engine-bot serve`` again); ``alerts`` when it evaluates alerts
    (``engine-bot serve`` with the CRM mirror).
    """
    found = [DEAL_SUBCOMMAND, CHANGES_SUBCOMMAND]
    if deps.scheduler is not None:
        found.append(deps.scheduler.subcommand())
    if deps.workspaces is not None:
        found.append(SETTINGS_SUBCOMMAND)
    if deps.alerts is not None:
        found.append(deps.alerts.subcommand())
    return found


async def handle_engine_command(
    ack: AsyncAck, command: dict[str, Any], client: AsyncWebClient, deps: BotDeps
) -> None:
    request = deps.parse(parse(command.get("text")))
    if isinstance(request, HelpRequest):
        await ack(response_type="ephemeral", **deliverable(deps.help(request.unknown)))
        return
    if isinstance(request, ReportRequest):
        await ack(response_type="ephemeral", text=working_text(request))
    elif (said := deps.subcommands[request.name].ack_text) is not None:
        await ack(response_type="ephemeral", text=said)
    else:
        await ack()
    reply = CommandReply(str(command.get("response_url", "")))
    invocation = Invocation.of(
        request,
        reply,
        deps,
        user_id=command.get("user_id"),
        channel_id=command.get("channel_id"),
        team_id=command.get("team_id"),
        client=client,
        trigger_id=command.get("trigger_id"),
    )
    await answer(request, invocation)
