"""Events API: mentions, the App Home tab, and the deduplication of Slack's event retries."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.answering import BotDeps
from bot.listeners.events.app_home import handle_app_home_opened
from bot.listeners.events.app_mention import handle_app_mention
from bot.listeners.events.retries import drop_repeated_events

__all__ = ["register"]


def register(app: AsyncApp, deps: BotDeps) -> None:
    async def repeated_events(body: dict[str, Any], next: Any) -> Any:
        return await drop_repeated_events(body, next, deps)

    async def app_mention(event: dict[str, Any], client: AsyncWebClient, context: dict[str, Any]) -> None:
        await handle_app_mention(event, client, deps, bot_user_id=context.get("bot_user_id"))

    async def app_home_opened(event: dict[str, Any], client: AsyncWebClient) -> None:
        await handle_app_home_opened(event, client, deps)

    app.middleware(repeated_events)
    app.event("app_mention")(app_mention)
    app.event("app_home_opened")(app_home_opened)
