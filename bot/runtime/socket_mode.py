"""Serving the Bolt app over Socket Mode (``SLACK_APP_TOKEN`` set): no public URL, no signatures.

Socket Mode has no signatures and nothing to replay from outside; Slack's event retries are still
dropped by the event dedupe. At most 10 connections per app; each event goes to one of them.
"""

from __future__ import annotations

import logging

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp

from bot.slack import close_response_url_session, open_response_url_session

__all__ = ["connect_socket_mode"]

log = logging.getLogger(__name__)


class _SocketModeHandler(AsyncSocketModeHandler):
    """Bolt's Socket Mode handler, owning the loop's response_url session like the HTTP server does."""

    async def close_async(self) -> None:
        try:
            await super().close_async()  # type: ignore[no-untyped-call]
        finally:
            await close_response_url_session()


async def connect_socket_mode(bolt_app: AsyncApp, app_token: str) -> AsyncSocketModeHandler:
    """Open the Socket Mode connection (``apps.connections.open`` through the app's Web API client,
    so ``SLACK_API_URL`` applies) and return the handler; ``await handler.close_async()`` to stop
    (which also closes the response_url session)."""
    handler = _SocketModeHandler(bolt_app, app_token)
    log.info("connecting to Slack over Socket Mode")
    open_response_url_session()
    try:
        await handler.connect_async()  # type: ignore[no-untyped-call]
    except BaseException:
        await close_response_url_session()
        raise
    return handler
