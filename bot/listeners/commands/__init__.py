"""Slash commands: ``/engine`` (:mod:`bot.listeners.commands.engine`), with its subcommands."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.answers import BotDeps
from bot.listeners.binder import bind
from bot.listeners.commands.engine import COMMAND, handle_engine_command, subcommands

__all__ = ["register"]


def register(app: AsyncApp, deps: BotDeps) -> None:
    for subcommand in subcommands(deps):
        deps.add_subcommand(subcommand)
    app.command(COMMAND)(bind(handle_engine_command, deps))
