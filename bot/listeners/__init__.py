"""Bolt listeners, one folder per Slack surface (the Bolt starter-template layout).

- ``commands/``: the ``/engine`` slash command and the registry of its subcommands (``engine.py``).
- ``events/``: ``app_mention`` replies in threads, the App Home tab being opened.
- ``actions/``: the card's buttons (switch engine, refresh, drill-downs), deal picks, Home controls,
  the Settings buttons.
- ``views/``: modal submissions (the settings modal's Save).
- ``retries.py``: the middleware that drops Slack's repeated event deliveries.
- ``unhandled.py``: the error handler that answers 200 to what no listener takes (where Slack would
  count Bolt's 404 as a failed delivery).

Listeners are thin: acknowledge, then hand the work to :mod:`bot.answers`; no listener imports
another. Every one is wired with the same binder (:func:`bot.listeners.binder.bind`).
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.answers import BotDeps
from bot.listeners import actions, commands, events, views
from bot.listeners.binder import bind
from bot.listeners.retries import drop_repeated_events
from bot.listeners.unhandled import handle_errors

__all__ = ["register_listeners"]


def register_listeners(app: AsyncApp, deps: BotDeps) -> None:
    """Wire every listener to ``app``; ``deps`` is shared by all of them. (``app`` is built with
    ``raise_error_for_unhandled_request=True``, so what no listener takes reaches the error handler.)"""
    app.error(handle_errors)
    app.middleware(bind(drop_repeated_events, deps))  # first: it must see events before any listener
    commands.register(app, deps)
    events.register(app, deps)
    actions.register(app, deps)
    views.register(app, deps)
