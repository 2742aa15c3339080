"""``app_home_opened``: publish the Home tab for the pipeline it showed last (see :mod:`bot.answers.home`)."""

from __future__ import annotations

from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.answers import BotDeps
from bot.answers.home import publish_home
from bot.blocks.ids import home_pipeline_from_metadata

__all__ = ["handle_app_home_opened"]


async def handle_app_home_opened(
    event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient, deps: BotDeps
) -> None:
    if event.get("tab") != "home" or not event.get("user"):
        return  # the Messages tab (disabled in the manifest) or a malformed event
    pipeline = home_pipeline_from_metadata((event.get("view") or {}).get("private_metadata"))
    await publish_home(client, str(event["user"]), pipeline, deps, team_id=body.get("team_id"))
