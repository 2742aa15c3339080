"""The card's buttons: show another engine (or all), or refresh the same one - in place.

The click is acknowledged at once; the new card replaces the clicked one through the action's
``response_url`` (``replace_original``), or ``chat.update`` when Slack sent no response URL, so a
busy channel does not fill up with a new card per click.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.answers import BotDeps, ReportRequest, answer_click
from bot.blocks.ids import ENGINE_REFRESH, CardTarget

__all__ = ["handle_engine_button"]

log = logging.getLogger(__name__)


async def handle_engine_button(
    target: CardTarget, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient, deps: BotDeps
) -> None:
    refresh = action.get("action_id") == ENGINE_REFRESH
    # The card's own pipeline (None: it showed all of them), never the default pipeline.
    request = ReportRequest(target.engine, target.pipeline, refresh=refresh, use_default_pipeline=False)
    await answer_click(request, body, client, deps, what="a card button")
