"""Serving the Bolt app: HTTP (``/slack/events`` and ``/health``) or Socket Mode.

HTTP mode is what runs behind a load balancer; the same :func:`http_app` is what the tests start
on a loopback port, so they exercise exactly the server ``engine-bot serve`` runs. ``/health``
answers liveness only - no version, no settings, no counts.
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp

__all__ = [
    "EVENTS_PATH",
    "HEALTH_PATH",
    "connect_socket_mode",
    "http_app",
    "run_http",
    "run_socket_mode",
    "start_http",
]

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/health"


def http_app(bolt_app: AsyncApp) -> web.Application:
    """An aiohttp application serving Slack's requests and the liveness probe."""

    async def slack_events(request: web.Request) -> web.Response:
        bolt_request = await to_bolt_request(request)
        return await to_aiohttp_response(await bolt_app.async_dispatch(bolt_request))

    async def health(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def plain_server_header(_: web.Request, response: web.StreamResponse) -> None:
        response.headers["Server"] = "engine-bot"  # no framework or Python version to fingerprint

    web_app = web.Application(client_max_size=1024**2)
    web_app.on_response_prepare.append(plain_server_header)
    web_app.router.add_post(EVENTS_PATH, slack_events)
    web_app.router.add_get(HEALTH_PATH, health)
    return web_app


async def start_http(
    bolt_app: AsyncApp, *, host: str = "127.0.0.1", port: int = 0
) -> tuple[web.AppRunner, int]:
    """Start serving in the running loop; returns the runner (``await runner.cleanup()``) and the port."""
    runner = web.AppRunner(http_app(bolt_app), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    server = site._server  # aiohttp has no public accessor for the bound port
    sockets = getattr(server, "sockets", None) or []
    bound = sockets[0].getsockname()[1] if sockets else port
    return runner, int(bound)


def run_http(bolt_app: AsyncApp, *, host: str, port: int) -> None:
    """Serve until interrupted (``engine-bot serve`` without ``SLACK_APP_TOKEN``)."""
    log.info("serving Slack over HTTP on %s:%s%s", host, port, EVENTS_PATH)
    web.run_app(http_app(bolt_app), host=host, port=port, access_log=None, print=None)


async def connect_socket_mode(bolt_app: AsyncApp, app_token: str) -> AsyncSocketModeHandler:
    """Open the Socket Mode connection (``apps.connections.open`` through the app's Web API client,
    so ``SLACK_API_URL`` applies) and return the handler; ``await handler.close_async()`` to stop."""
    handler = AsyncSocketModeHandler(bolt_app, app_token)
    log.info("connecting to Slack over Socket Mode")
    await handler.connect_async()  # type: ignore[no-untyped-call]
    return handler


def run_socket_mode(bolt_app: AsyncApp, app_token: str) -> None:
    """Serve over Socket Mode until interrupted (``engine-bot serve`` with ``SLACK_APP_TOKEN``)."""

    async def main() -> None:
        handler = await connect_socket_mode(bolt_app, app_token)
        try:
            await asyncio.Event().wait()
        finally:
            await handler.close_async()  # type: ignore[no-untyped-call]

    asyncio.run(main())
