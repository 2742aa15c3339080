"""Modal submissions: the settings modal (:mod:`bot.listeners.views.settings`)."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.answers import BotDeps
from bot.blocks.ids import SETTINGS_MODAL
from bot.listeners.binder import bind
from bot.listeners.views.settings import handle_settings_submission

__all__ = ["register"]


def register(app: AsyncApp, deps: BotDeps) -> None:
    app.view(SETTINGS_MODAL)(bind(handle_settings_submission, deps))
