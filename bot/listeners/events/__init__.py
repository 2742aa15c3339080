"""Events API: mentions answered in their thread, and the App Home tab being opened. (Slack's
repeated deliveries never get here: :mod:`bot.listeners.retries` drops them first.)"""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.answers import BotDeps
from bot.listeners.binder import bind
from bot.listeners.events.app_home import handle_app_home_opened
from bot.listeners.events.app_mention import handle_app_mention

__all__ = ["register"]


def register(app: AsyncApp, deps: BotDeps) -> None:
    app.event("app_mention")(bind(handle_app_mention, deps))
    app.event("app_home_opened")(bind(handle_app_home_opened, deps))
