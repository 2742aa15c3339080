"""``engine-bot serve`` with its storage and scheduler: the wiring of history, schedules and the app.

The building blocks know nothing of each other: :mod:`bot.storage` keeps schedules, firings and
report history; :mod:`bot.schedules` parses schedules, claims firings and posts; the Bolt app answers
Slack. This module is where they meet, so that the CLI stays a parser and each block stays testable
alone. One process, in order:

1. open the database (SQLite in ``DATA_DIR`` or ``DATABASE_URL``) and apply migrations;
2. upsert the default schedule from ``REPORT_*`` (a value that cannot be used stops the start,
   naming its variable);
3. build the app with report history (trend lines on every card), ``/engine schedule`` and
   ``/engine settings`` (each workspace's settings over the environment's); with
   ``DATABASE_URL`` (replicas) Slack's event retries and replayed requests are remembered in the
   database too, since a repeat may reach another replica (SQLite alone is one process: memory);
4. with HubSpot, answers come from the CRM mirror (:mod:`bot.mirror`) in the same database, synced
   in the background every ``SYNC_INTERVAL`` seconds (default 300) so commands and scheduled posts
   find it warm; replicas sharing ``DATABASE_URL`` sync one at a time (the mirror's lease);
5. start the :class:`~bot.schedules.ScheduleRunner` and, with the mirror, the alerts
   (:class:`bot.alerts.Alerts`: evaluated after each sync, digests, ``/engine alerts``), then serve
   HTTP or Socket Mode;
6. on SIGTERM/SIGINT stop serving, stop the alerts, let an in-flight scheduled post finish
   (bounded), close the database.

What a firing posts, and who hears about a failure, is :class:`bot.schedules.Scheduling`'s job.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp

from bot.alerts import Alerts
from bot.answers import BotDeps
from bot.answers.workspace import Workspaces
from bot.app import build_app
from bot.mirror import Mirror, MirrorSource
from bot.runtime.deps import build_deps
from bot.runtime.http import start_http
from bot.runtime.socket_mode import connect_socket_mode
from bot.runtime.sources import build_mirror
from bot.schedules import Scheduling
from bot.settings import Settings
from bot.slack import web_client
from bot.storage import DatabaseEventDeduper, DatabaseMentionDeduper, DatabaseReplayStore, Storage
from engines import utc_now

__all__ = ["RunningBot", "running_bot", "serve", "sync_forever"]

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


@dataclass
class RunningBot:
    """A started bot: the app, its scheduler and storage, and the HTTP port (0 in Socket Mode)."""

    app: AsyncApp
    deps: BotDeps
    scheduling: Scheduling
    storage: Storage
    port: int = 0


@contextlib.asynccontextmanager
async def running_bot(
    settings: Settings,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    clock: Clock = utc_now,
    poll_interval: timedelta = timedelta(seconds=30),
) -> AsyncIterator[RunningBot]:
    """Start everything ``engine-bot serve`` runs (see the module docstring) and stop it on exit.

    ``clock`` and ``poll_interval`` exist for tests that drive the scheduler without waiting.
    """
    storage = await asyncio.to_thread(Storage.open, settings, clock=clock)
    http: web.AppRunner | None = None
    socket: AsyncSocketModeHandler | None = None
    scheduling: Scheduling | None = None
    alerts: Alerts | None = None
    syncing: asyncio.Task[None] | None = None
    try:
        shared = settings.database_url is not None
        mirror = build_mirror(settings, storage.database) if settings.source == "hubspot" else None
        deps = build_deps(
            settings,
            history=storage.reports,
            seen_events=DatabaseEventDeduper(storage.database) if shared else None,
            seen_mentions=DatabaseMentionDeduper(storage.database) if shared else None,
            mirror=mirror,
        )
        if mirror is not None and settings.sync_interval > 0:
            source = deps.service.source
            warm = source.warm if isinstance(source, MirrorSource) else None
            syncing = asyncio.create_task(sync_forever(mirror, settings.sync_interval, warm))
        client = web_client(settings)
        deps.workspaces = Workspaces.from_settings(settings, storage.workspaces)  # /engine settings
        scheduling = Scheduling(
            settings,
            storage,
            deps.service,
            client,
            clock=clock,
            poll_interval=poll_interval,
            changes=deps.changes,
            pictures=deps.pictures,
            workspaces=deps.workspaces,
        )
        deps.scheduler = scheduling  # /engine schedule (registered beside /engine)
        if mirror is not None:  # alerts are evaluated after each sync of the mirror
            alerts = Alerts(
                storage.alerts,
                deps.service,
                client,
                mirror=mirror,
                owners=deps.owners,
                workspaces=deps.workspaces,
                digest_minutes=settings.alert_digest_minutes,
                daily_budget=settings.alert_daily_budget,
                clock=clock,
                poll_interval=poll_interval,
            )
            deps.alerts = alerts  # /engine alerts, the digests' menus, the App Home part
        app = build_app(settings, deps, client=client)
        await scheduling.start()
        if alerts is not None:
            await alerts.start()
        running = RunningBot(app=app, deps=deps, scheduling=scheduling, storage=storage)
        if settings.slack_app_token is not None:
            socket = await connect_socket_mode(app, settings.slack_app_token.get_secret_value())
        else:
            settings.require("slack_signing_secret")
            secret = settings.slack_signing_secret
            assert secret is not None  # require() raised otherwise
            http, running.port = await start_http(
                app,
                signing_secret=secret.get_secret_value(),
                host=host,
                port=port,
                replay_store=DatabaseReplayStore(storage.database) if shared else None,
            )
            log.info("serving Slack over HTTP on %s:%s/slack/events", host, running.port)
        yield running
    finally:
        if syncing is not None:
            syncing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await syncing
        if http is not None:
            await http.cleanup()
        if socket is not None:
            await socket.close_async()  # type: ignore[no-untyped-call]
        if alerts is not None:
            await alerts.stop()
        if scheduling is not None:
            await scheduling.stop()
            await scheduling.service.source.aclose()
        storage.close()


async def sync_forever(
    mirror: Mirror, interval: float, warm: Callable[[], Awaitable[None]] | None = None
) -> None:
    """Sync the mirror now and every ``interval`` seconds, unless another replica just did (then its
    rows are loaded); a failed sync is logged and retried at the next tick (answers meanwhile sync on
    demand, and say what went wrong)."""
    while True:
        try:
            await mirror.sync_if_older(interval * 0.9)
            if warm is not None:
                await warm()  # the object types besides deals, so answers find them read
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            # The error's type only: a driver's message may quote DATABASE_URL.
            log.warning(
                "background mirror sync failed (%s); next try in %.0f s", type(exc).__name__, interval
            )
        await asyncio.sleep(interval)


async def serve(settings: Settings, *, host: str, port: int) -> None:
    """``engine-bot serve``: run until SIGTERM or SIGINT, then shut down cleanly."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with running_bot(settings, host=host, port=port):
        await stop.wait()
    log.info("stopped")
