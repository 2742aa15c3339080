"""Bolt listeners, one folder per Slack surface (the Bolt starter-template layout).

- ``commands/``: the ``/engine`` slash command (``commands/engine.py``) and its ``deal`` subcommand.
- ``events/``: ``app_mention`` replies in threads, event-retry deduplication, App Home.
- ``actions/``: the card's buttons (switch engine, refresh, drill-downs), deal picks, Home controls.
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.answers.answering import BotDeps
from bot.listeners import actions, commands, events

__all__ = ["register_listeners"]


def register_listeners(app: AsyncApp, deps: BotDeps) -> None:
    """Wire every listener to ``app``; ``deps`` is shared by all of them."""
    events.register(app, deps)  # first: its retry-dedup middleware must see events before listeners
    commands.register(app, deps)
    actions.register(app, deps)
