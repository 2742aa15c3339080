"""Serving the Bolt app over HTTP: ``/slack/events`` and ``/health`` (Socket Mode: ``socket_mode.py``).

HTTP mode is what runs behind a load balancer; the same :func:`http_app` is what the tests start
on a loopback port, so they exercise exactly the server ``engine-bot serve`` runs. ``/health``
answers liveness only - no version, no settings, no counts.

Signatures and replays: :class:`SignatureGate` checks every request before Bolt sees it. A missing,
stale (over 5 minutes) or invalid signature is answered 401 at once, with a log line that names no
body (a slash command's body holds its response_url, a credential for 30 minutes). Bolt checks the
signature too, but lets the same signed request pass again and again inside its window, so a
captured ``/engine`` could be replayed into more cards: the gate claims each valid (timestamp,
signature) pair in a :class:`~bot.slack.dedupe.ReplayStore` and answers a pair seen before with 401, no
work done. Only valid signatures are recorded, so forged floods cannot fill the store. Event
deliveries (``event_callback`` with an ``event_id``) are left to the event_id dedupe, which already
answers every repeat of an event without work, and must see Slack's retries to answer them
``x-slack-no-retry``. Replicas need a shared store (see :mod:`bot.slack.dedupe`). Socket Mode has no
signatures and nothing to replay from outside.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Literal

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.signature import SignatureVerifier

from bot.slack.dedupe import MemoryReplayStore, ReplayStore
from bot.slack.web import close_response_url_session, open_response_url_session

__all__ = [
    "EVENTS_PATH",
    "HEALTH_PATH",
    "SignatureGate",
    "http_app",
    "start_http",
]

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/health"
_TIMESTAMP = "X-Slack-Request-Timestamp"
_SIGNATURE = "X-Slack-Signature"


class SignatureGate:
    """Answers whether a request may reach Bolt: ``"ok"``, ``"invalid"`` (missing, stale or wrong
    signature) or ``"replay"`` (a valid signature already used)."""

    def __init__(self, signing_secret: str, store: ReplayStore) -> None:
        if not signing_secret.strip():
            raise ValueError("HTTP mode needs SLACK_SIGNING_SECRET")
        self._verifier = SignatureVerifier(signing_secret)
        self.store = store

    async def check(self, body: str, headers: Mapping[str, str]) -> Literal["ok", "invalid", "replay"]:
        timestamp = headers.get(_TIMESTAMP)
        signature = headers.get(_SIGNATURE)
        if not timestamp or not signature:
            return "invalid"
        try:
            valid = self._verifier.is_valid(body, timestamp, signature)
        except ValueError:  # a timestamp that is not a number
            return "invalid"
        if not valid:
            return "invalid"
        if _is_event_delivery(body) or await self.store.first_use(timestamp, signature):
            return "ok"
        return "replay"


def _is_event_delivery(body: str) -> bool:
    """An Events API delivery with an ``event_id``: its repeats are the event dedupe's to answer."""
    if not body.lstrip().startswith("{"):
        return False  # slash commands and interactions are form-encoded
    try:
        parsed = json.loads(body)
    except ValueError:
        return False
    if not isinstance(parsed, dict) or parsed.get("type") != "event_callback":
        return False
    event_id = parsed.get("event_id")
    return isinstance(event_id, str) and bool(event_id)


def http_app(
    bolt_app: AsyncApp, *, signing_secret: str, replay_store: ReplayStore | None = None
) -> web.Application:
    """An aiohttp application serving Slack's requests and the liveness probe.

    ``signing_secret`` is the one Bolt was built with (passed explicitly: Bolt has no public accessor,
    and a gate that silently lost it would stop rejecting replays). ``replay_store`` remembers validly
    signed requests (default: in this process's memory; several replicas need a shared one). The app
    also owns the response_url session and closes it on cleanup.
    """
    store = replay_store if replay_store is not None else MemoryReplayStore()  # (an empty store is falsy)
    gate = SignatureGate(signing_secret, store)

    async def slack_events(request: web.Request) -> web.Response:
        verdict = await gate.check(await request.text(), request.headers)
        if verdict != "ok":
            log.warning(
                "rejected a Slack request: %s signature",
                "replayed" if verdict == "replay" else "missing, stale or invalid",
            )
            return web.json_response({"error": "invalid request"}, status=401)
        bolt_request = await to_bolt_request(request)
        return await to_aiohttp_response(await bolt_app.async_dispatch(bolt_request))

    async def health(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def plain_server_header(_: web.Request, response: web.StreamResponse) -> None:
        response.headers["Server"] = "engine-bot"  # no framework or Python version to fingerprint

    async def open_sessions(_: web.Application) -> None:
        open_response_url_session()

    async def close_sessions(_: web.Application) -> None:
        await close_response_url_session()

    web_app = web.Application(client_max_size=1024**2)
    web_app.on_response_prepare.append(plain_server_header)
    web_app.on_startup.append(open_sessions)
    web_app.on_cleanup.append(close_sessions)
    web_app.router.add_post(EVENTS_PATH, slack_events)
    web_app.router.add_get(HEALTH_PATH, health)
    return web_app


async def start_http(
    bolt_app: AsyncApp,
    *,
    signing_secret: str,
    host: str = "127.0.0.1",
    port: int = 0,
    replay_store: ReplayStore | None = None,
) -> tuple[web.AppRunner, int]:
    """Start serving in the running loop; returns the runner (``await runner.cleanup()``) and the port."""
    app = http_app(bolt_app, signing_secret=signing_secret, replay_store=replay_store)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    server = site._server  # aiohttp has no public accessor for the bound port
    sockets = getattr(server, "sockets", None) or []
    bound = sockets[0].getsockname()[1] if sockets else port
    return runner, int(bound)
