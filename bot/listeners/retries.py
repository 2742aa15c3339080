"""Slack re-delivers an event it thinks we missed; the first delivery of each ``event_id`` wins.

Runs as Bolt middleware, after signature verification (so forged requests never reach the store)
and before any listener. A repeat is answered 200 with ``x-slack-no-retry: 1`` and goes no further.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.response import BoltResponse

from bot.answers import BotDeps

__all__ = ["drop_repeated_events"]

log = logging.getLogger(__name__)


async def drop_repeated_events(
    body: dict[str, Any], next: Callable[[], Awaitable[Any]], deps: BotDeps
) -> Any:
    event_id = body.get("event_id") if body.get("type") == "event_callback" else None
    if isinstance(event_id, str) and event_id and not await deps.seen_events.first_delivery(event_id):
        log.info("dropped a repeated delivery of event %s", event_id)
        return BoltResponse(status=200, body="", headers={"x-slack-no-retry": "1"})
    return await next()
