"""The scheduler of one process: ``/engine schedule``, the runner, and what a firing posts.

A scheduled post is the same card people get from ``/engine`` (with its trend line), plus the week in
review, in one message when it fits Slack's limits and in two otherwise. With the CRM mirror, the
change card since the schedule's previous post follows, its waterfall in its thread and on it.
When a firing fails (unknown pipeline, HubSpot refusing the token, Slack refusing the post), the
outcome is stored on its claim row *and* a person hears about it: whoever scheduled it by DM, or the
channel for the environment's schedule, so a report never goes missing silently.
:mod:`bot.runtime.serve` starts and stops it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.models.blocks import Block
from slack_sdk.web.async_client import AsyncWebClient

from bot.answers import ChangeSource, Invocation, ReportService, Subcommand
from bot.answers.workspace import Workspaces
from bot.blocks import SlackMessage, card_message, changes_message, deliverable, limit_problems
from bot.blocks.kit import section
from bot.blocks.mrkdwn import escape
from bot.charts.upload import PictureNotices, attach_charts
from bot.errors import DeliveryError, ScheduleError, SettingsError, user_text
from bot.schedules.commands import ENV_SCHEDULE_ID, handle_schedule_command
from bot.schedules.cron import parse_timezone
from bot.schedules.defaults import ensure_default_schedule
from bot.schedules.delivery import ensure_rate_limit_retries, post_cards
from bot.schedules.runner import ScheduleRunner
from bot.schedules.summary import weekly_summary_blocks
from bot.settings import Settings
from bot.slack import slack_error_code
from bot.storage import FiringStatus, Schedule, ScheduleOrigin, Storage
from engines import AnalysisConfig, EngineError, utc_now

__all__ = ["SCHEDULE_EXAMPLES", "Scheduling", "scheduled_messages"]

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
    return [section(text[:3000])]


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
        workspaces: Workspaces | None = None,
        changes: ChangeSource | None = None,
        pictures: PictureNotices | None = None,
    ) -> None:
        self.settings = settings
        # The workspace's settings from Slack: a scheduled card uses its thresholds like any answer.
        self.workspaces = workspaces
        self._team_id: str | None = None
        self.changes = changes  # the mirror's change log: "since the previous post" (None: no mirror)
        self.pictures = pictures or PictureNotices()
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
            config = await self._workspace_config()
            bundle = await self.service.run(list(schedule.engines), schedule.pipeline, config=config)
        except Exception as error:
            why = user_text(error, doing=f"producing the report of schedule {schedule.id}", logger=log)
            await self._tell_failure(schedule, why, channel_too=True)
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
                await self._tell_failure(schedule, user_text(error, doing="posting a scheduled report"))
            raise
        await self._post_changes(schedule, fire_at, bundle.snapshot.pipeline_id)

    async def _post_changes(self, schedule: Schedule, fire_at: datetime, pipeline_id: str | None) -> None:
        """After the cards: the change card since this schedule's previous post, with its waterfall.
        Best effort (the report is already posted): a failure is logged, never fails the firing."""
        if self.changes is None:
            return
        firings = await self.storage.schedules.firings(schedule.id, limit=20)
        previous = [f.fire_at for f in firings if f.status is FiringStatus.POSTED and f.fire_at < fire_at]
        if not previous:
            return  # the first post: nothing to compare with yet
        try:
            portal = await self.changes.portal()
            report = await self.changes.changes(max(previous), pipeline_id)
            label = next((p.label for p in portal.pipelines if p.id == pipeline_id), None)
            card = changes_message(
                report,
                currency=portal.portal.currency,
                time_zone=portal.portal.time_zone,
                pipeline_label=label,
                deal_url=portal.deal_url,
                since_previous_post=True,
            )
            payload = deliverable(card)
            delivery = await post_cards(
                self.client, schedule.channel_id, payload["blocks"], payload["text"], scheduled_by=None
            )
            from bot.charts.waterfall import waterfall_chart  # matplotlib, loaded when first drawn

            chart = waterfall_chart(
                report,
                currency=portal.portal.currency,
                pipeline_label=label,
                time_zone=portal.portal.time_zone,
            )
            await attach_charts(
                self.client,
                [chart],
                channel=delivery.channel,
                ts=delivery.ts,
                blocks=payload["blocks"],
                text=payload["text"],
                notices=self.pictures,
            )
        except Exception as error:  # the firing's report is out; the change card is extra
            log.warning(
                "schedule %s: the change card since the previous post failed: %s",
                schedule.id,
                user_text(error, doing="posting the change card", logger=log),
            )

    async def _workspace_config(self) -> AnalysisConfig | None:
        """The thresholds of the workspace the bot token belongs to (``auth.test``, asked once):
        a schedule posts into that workspace. ``None`` (the environment's) when there are no workspace
        settings or Slack cannot say right now."""
        if self.workspaces is None:
            return None
        if self._team_id is None:
            try:
                self._team_id = (await self.client.auth_test()).get("team_id")
            except (SlackClientError, OSError, TimeoutError) as error:
                log.warning(
                    "auth.test failed (%s): this report uses the environment's settings",
                    slack_error_code(error),
                )
                return None
        return (await self.workspaces.settings_for(self._team_id)).analysis

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
