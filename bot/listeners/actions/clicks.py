"""What every button listener does first: acknowledge the click, then read the value it carries.

:func:`on_click` wraps a handler that takes the decoded value (a :class:`~bot.blocks.ids.CardTarget`,
a :class:`~bot.blocks.ids.DrilldownRef`, a deal id) so the handler starts with the work itself.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from slack_bolt.async_app import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.answers import BotDeps

__all__ = ["on_click"]

log = logging.getLogger(__name__)

T = TypeVar("T")
ClickHandler = Callable[[T, dict[str, Any], dict[str, Any], AsyncWebClient, BotDeps], Awaitable[None]]


def on_click(
    read: Callable[[str], T | None], what: str, handler: ClickHandler[T]
) -> Callable[..., Awaitable[None]]:
    """A button listener (bind it with deps) that acknowledges at once (Slack allows 3 seconds),
    decodes the button's value with ``read`` (codecs in :mod:`bot.blocks.ids`) and calls
    ``handler(value, body, action, client, deps)``; a value the bot did not write is logged and dropped."""

    async def listener(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient, deps: BotDeps
    ) -> None:
        await ack()
        value = read(str(action.get("value") or ""))
        if value is None:
            log.warning("ignored %s with a value we did not write", what)
            return
        await handler(value, body, action, client, deps)

    return listener
