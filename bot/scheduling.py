"""``engine-bot serve`` with its storage and scheduler: the wiring of history, schedules and the app.

The building blocks know nothing of each other: :mod:`bot.storage` keeps schedules, firings and
report history; :mod:`bot.schedules` parses schedules, claims firings and posts; the Bolt app answers
Slack. This module is where they meet, so that the CLI stays a parser and each block stays testable
alone. One process, in order:

1. open the database (SQLite in ``DATA_DIR`` or ``DATABASE_URL``) and apply migrations;
2. upsert the default schedule from ``REPORT_*`` (a value that cannot be used stops the start,
   naming its variable);
3. build the app with report history (trend lines on every card) and ``/engine schedule``; with
   ``DATABASE_URL`` (replicas) Slack's event retries and replayed requests are remembered in the
   database too, since a repeat may reach another replica (SQLite alone is one process: memory);
4. start the :class:`~bot.schedules.ScheduleRunner`, then serve HTTP or Socket Mode;
5. on SIGTERM/SIGINT stop serving, let an in-flight scheduled post finish (bounded), close the
   database.

A scheduled post is the same card people get from ``/engine`` (with its trend line), plus the week in
review, in one message when it fits Slack's limits and in two otherwise. When a firing fails (unknown
pipeline, HubSpot refusing the token, Slack refusing the post), the outcome is stored on its claim row
*and* a person hears about it: whoever scheduled it by DM, or the channel for the environment's
schedule, so a report never goes missing silently.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.models.blocks import Block, MarkdownTextObject, SectionBlock
from slack_sdk.web.async_client import AsyncWebClient

from bot.answering import APOLOGY, BotDeps, Invocation, Subcommand
from bot.app import build_app, build_deps
from bot.render import SlackMessage, card_message, limit_problems
from bot.render.text import escape
from bot.schedules import (
    ENV_SCHEDULE_ID,
    DeliveryError,
    ScheduleError,
    ScheduleRunner,
    ensure_default_schedule,
    ensure_rate_limit_retries,
    handle_schedule_command,
    parse_timezone,
    post_cards,
    weekly_summary_blocks,
)
from bot.server import connect_socket_mode, start_http
from bot.service import ReportService
from bot.settings import Settings, SettingsError
from bot.slack_web import web_client
from bot.storage import (
    Database,
    DatabaseEventDeduper,
    DatabaseMentionDeduper,
    DatabaseReplayStore,
    ReportStore,
    Schedule,
    ScheduleOrigin,
    ScheduleStore,
)
from engines import EngineError
from engines.dates import utc_now

__all__ = [
    "SCHEDULE_EXAMPLES",
    "RunningBot",
    "Scheduling",
    "Storage",
    "running_bot",
    "scheduled_messages",
    "serve",
]

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]

SCHEDULE_EXAMPLES: tuple[tuple[str, str], ...] = (
    ("/engine schedule add weekly mon 09:00 growth", "post the growth card here every Monday at 09:00"),
    ("/engine schedule list", "the scheduled reports, their next run and how the last one went"),
)
# How long start-up waits for the portal's time zone (REPORT_SCHEDULE without REPORT_TIMEZONE).
PORTAL_ZONE_TIMEOUT = 60.0
# How long shutdown lets an in-flight scheduled post finish before interrupting it.
STOP_TIMEOUT = 20.0


@dataclass(frozen=True)
class Storage:
    """The database and the two stores on it, opened and migrated once per process."""

    database: Database
    reports: ReportStore
    schedules: ScheduleStore

    @classmethod
    def open(cls, settings: Settings, *, clock: Clock = utc_now) -> Storage:
        """Connect (``DATABASE_URL``, else SQLite in ``DATA_DIR``) and migrate to the newest schema.

        Blocking: call it in a worker thread from async code. Raises :class:`SettingsError` naming the
        variables but not the driver's message, which may quote the URL and its password.
        """
        url = settings.database_url.get_secret_value() if settings.database_url else None
        try:
            database = Database(url, data_dir=settings.data_dir)
            database.migrate()
        except Exception as exc:
            raise SettingsError(
                f"Could not open the report database (DATABASE_URL / DATA_DIR): {type(exc).__name__}."
            ) from None
        return cls(database, ReportStore(database, clock=clock), ScheduleStore(database, clock=clock))

    def close(self) -> None:
        self.database.dispose()


def scheduled_messages(card: SlackMessage, summary: list[Block]) -> list[SlackMessage]:
    """The card and the week in review as one message, or as two when together they would break a
    Block Kit limit (50 blocks, ~10k characters): the card is never trimmed for the summary."""
    if not summary:
        return [card]
    together = SlackMessage(text=card.text, blocks=[*card.blocks, *summary])
    if not limit_problems(together.to_dict()):
        return [together]
    return [card, SlackMessage(text="Week in review", blocks=summary)]


def _notice(text: str) -> list[Block]:
    return [SectionBlock(text=MarkdownTextObject(text=text[:3000]))]


class Scheduling:
    """The scheduler of one process: ``/engine schedule``, the runner, and what a firing posts."""

    def __init__(
        self,
        settings: Settings,
        storage: Storage,
        service: ReportService,
        client: AsyncWebClient,
        *,
        clock: Clock = utc_now,
        poll_interval: timedelta = timedelta(seconds=30),
        grace: timedelta = timedelta(hours=1),
    ) -> None:
        self.settings = settings
        self.storage = storage
        self.service = service
        self.client = ensure_rate_limit_retries(client)  # 429 + Retry-After honoured on every post
        # Where `/engine schedule add` times are, unless the person adds tz=Area/City.
        self.default_timezone = settings.report_timezone or "UTC"
        self.runner = ScheduleRunner(
            storage.schedules, self.post_report, clock=clock, poll_interval=poll_interval, grace=grace
        )
        self._task: asyncio.Task[None] | None = None

    # ------------------------------------------------------------------ start and stop

    async def ensure_default(self) -> Schedule | None:
        """Create, update or remove ``env-default`` from ``REPORT_*``; a bad value is a
        :class:`SettingsError` naming its variable, so a broken deployment fails at start."""
        settings = self.settings
        zone = settings.report_timezone
        if settings.report_schedule and zone is None:
            zone = await self._portal_timezone()
        try:
            return await ensure_default_schedule(
                self.storage.schedules,
                channel=settings.report_channel,
                schedule=settings.report_schedule,
                timezone=zone,
                engines=settings.report_engines,
            )
        except ScheduleError as error:
            raise SettingsError(f"Invalid setting {error.user_message}") from None

    async def _portal_timezone(self) -> str:
        """REPORT_TIMEZONE's default, the portal's zone; if the portal cannot be read now, the zone the
        environment's schedule already has, else UTC (logged, so the operator can set it)."""
        try:
            snapshot = await asyncio.wait_for(self.service.source.snapshot(None), PORTAL_ZONE_TIMEOUT)
            return parse_timezone(snapshot.portal.time_zone).key
        except (EngineError, ScheduleError, TimeoutError) as error:
            existing = await self.storage.schedules.get(ENV_SCHEDULE_ID)
            zone = existing.timezone if existing is not None else "UTC"
            log.warning(
                "could not read the portal's time zone (%s); REPORT_SCHEDULE runs in %s. "
                "Set REPORT_TIMEZONE to choose.",
                type(error).__name__,
                zone,
            )
            return zone

    async def start(self) -> None:
        """Upsert the environment's schedule, then run the scheduler in the background."""
        await self.ensure_default()
        self._task = asyncio.create_task(self.runner.run(), name="schedule-runner")

    async def stop(self, timeout: float = STOP_TIMEOUT) -> None:  # noqa: ASYNC109 - a bounded shutdown
        """Stop the runner; a post in flight gets ``timeout`` seconds, then is interrupted (its firing
        is recorded as failed, "interrupted", never posted twice)."""
        self.runner.stop()
        if self._task is None:
            return
        try:
            await asyncio.wait_for(self._task, timeout)
        except TimeoutError:
            log.warning("a scheduled post was still running at shutdown; it was interrupted")
        self._task = None

    # ------------------------------------------------------------------ /engine schedule

    def subcommand(self) -> Subcommand:
        return Subcommand("schedule", self.command, examples=SCHEDULE_EXAMPLES)

    async def command(self, invocation: Invocation) -> None:
        """``/engine schedule add|list|remove|help``; always answered privately (a schedule is admin
        chatter, not something to show the channel)."""
        args = invocation.args
        if not invocation.channel_id and args.strip().lower().startswith("add"):
            text = "Type `/engine schedule add …` in the channel the reports should go to."
            await invocation.reply.send(SlackMessage(text=text, blocks=_notice(text)), private=True)
            return
        reply = await handle_schedule_command(
            args,
            channel_id=invocation.channel_id or "",
            user_id=invocation.user_id or "",
            store=self.storage.schedules,
            default_timezone=self.default_timezone,
        )
        self.runner.wake()  # an added or removed schedule changes when the runner should wake
        await invocation.reply.send(SlackMessage(text=reply.text, blocks=reply.blocks), private=True)

    # ------------------------------------------------------------------ a firing

    async def post_report(self, schedule: Schedule, fire_at: datetime) -> None:
        """Produce ``schedule``'s reports (recorded, so the cards carry trends) and post them with the
        week in review. Raises on failure, for the firing log, after telling someone about it."""
        try:
            bundle = await self.service.run(list(schedule.engines), schedule.pipeline)
        except EngineError as error:
            await self._tell_failure(schedule, error.user_message, channel_too=True)
            raise
        except Exception:
            log.exception("schedule %s: the report could not be produced", schedule.id)
            await self._tell_failure(schedule, APOLOGY, channel_too=True)
            raise
        card = card_message(bundle.reports, bundle.trends)
        summary = await weekly_summary_blocks(
            self.storage.reports, schedule, fire_at, pipeline_id=bundle.snapshot.pipeline_id
        )
        try:
            for message in scheduled_messages(card, summary):
                await post_cards(
                    self.client,
                    schedule.channel_id,
                    list(message.blocks),
                    message.text,
                    scheduled_by=schedule.created_by,
                )
        except DeliveryError as error:
            if error.notified is None:  # post_cards already DMed the scheduler about an invitation
                await self._tell_failure(schedule, f"Slack refused the post ({error.reason}).")
            raise

    async def _tell_failure(self, schedule: Schedule, why: str, *, channel_too: bool = False) -> None:
        """Tell the person who scheduled ``schedule`` why it failed (DM); a schedule from the
        environment has nobody to DM, so the channel gets the notice instead (when it can take one).
        Best effort: the firing log keeps the reason whatever happens here."""
        what = f"`{escape(schedule.id, 40)}` (`{escape(schedule.spec, 80)}`)"
        text = (
            f":warning: The scheduled engine report {what} for <#{escape(schedule.channel_id, 80)}> "
            f"could not be posted: {escape(why, 1500)}"
        )
        try:
            if schedule.created_by:
                await self.client.chat_postMessage(
                    channel=schedule.created_by, text=text, blocks=_dicts(_notice(text))
                )
            elif channel_too and schedule.origin is ScheduleOrigin.ENVIRONMENT:
                await post_cards(self.client, schedule.channel_id, _notice(text), text, scheduled_by=None)
        except (SlackApiError, SlackClientError, DeliveryError) as error:
            log.warning("schedule %s: nobody could be told it failed (%s)", schedule.id, type(error).__name__)


def _dicts(blocks: list[Block]) -> list[dict[str, Any]]:
    return [block.to_dict() for block in blocks]


# ---------------------------------------------------------------------- the serving process


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
    try:
        shared = settings.database_url is not None
        deps = build_deps(
            settings,
            history=storage.reports,
            seen_events=DatabaseEventDeduper(storage.database) if shared else None,
            seen_mentions=DatabaseMentionDeduper(storage.database) if shared else None,
        )
        client = web_client(settings)
        scheduling = Scheduling(
            settings, storage, deps.service, client, clock=clock, poll_interval=poll_interval
        )
        deps.add_subcommand(scheduling.subcommand())
        app = build_app(settings, deps, client=client)
        await scheduling.start()
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
        if http is not None:
            await http.cleanup()
        if socket is not None:
            await socket.close_async()  # type: ignore[no-untyped-call]
        if scheduling is not None:
            await scheduling.stop()
            close = getattr(scheduling.service.source, "aclose", None)
            if callable(close):
                await close()
        storage.close()


async def serve(settings: Settings, *, host: str, port: int) -> None:
    """``engine-bot serve``: run until SIGTERM or SIGINT, then shut down cleanly."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with running_bot(settings, host=host, port=port):
        await stop.wait()
    log.info("stopped")
