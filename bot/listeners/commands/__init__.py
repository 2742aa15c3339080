"""Slash commands. ``/engine`` is handled in :mod:`bot.listeners.commands.engine`; its ``deal``
subcommand (also reachable by mention) in :mod:`bot.listeners.commands.deal`."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.answers.answering import BotDeps
from bot.listeners.commands.deal import DEAL_SUBCOMMAND
from bot.listeners.commands.engine import COMMAND, handle_engine_command

__all__ = ["register"]


def register(app: AsyncApp, deps: BotDeps) -> None:
    async def engine_command(ack: AsyncAck, command: dict[str, Any], client: AsyncWebClient) -> None:
        await handle_engine_command(ack, command, deps, client=client)

    deps.add_subcommand(DEAL_SUBCOMMAND)
    app.command(COMMAND)(engine_command)
