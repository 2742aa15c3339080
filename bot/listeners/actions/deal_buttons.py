"""The deal pick list's "Show" buttons and the deal card's "Open in HubSpot" link button.

A pick answers with that deal's card in place of the pick list (``replace_original`` through the
click's response URL, or ``chat.update``), so a thread keeps one answer per question.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.answers import BotDeps, SubcommandRequest, answer_click
from bot.answers.deal import DEAL

__all__ = ["handle_deal_pick", "handle_open_in_hubspot", "read_deal_id"]

log = logging.getLogger(__name__)


def read_deal_id(value: str) -> str | None:
    """A pick button's value: the deal id (``None`` when empty)."""
    return value.strip() or None


async def handle_deal_pick(
    deal_id: str, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient, deps: BotDeps
) -> None:
    # The deal id goes through the same subcommand as typed text: one answer path, one error path.
    await answer_click(SubcommandRequest(DEAL, deal_id), body, client, deps, what="a deal pick")


async def handle_open_in_hubspot(ack: AsyncAck) -> None:
    """A link button opens its URL in the browser; Slack still reports the click, which only needs
    acknowledging (otherwise the person sees a warning triangle on the button)."""
    await ack()
