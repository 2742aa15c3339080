"""Scheduled reports: when (cron and friendly forms, time zones), the runner, the command, delivery,
and :class:`Scheduling`, which puts them together for one process (``/engine schedule``, the runner,
what a firing posts); :mod:`bot.runtime.serve` starts and stops it. The pieces below it know nothing
of the Slack app, the settings or the report service::

    schedules = ScheduleStore(db)
    await ensure_default_schedule(schedules, channel=..., schedule=..., timezone=..., engines=...)
    runner = ScheduleRunner(schedules, post_report)   # post_report(schedule, fire_at) posts the cards
    task = asyncio.create_task(runner.run()); ...; runner.stop(); await task

and ``/engine schedule ...`` calls :func:`handle_schedule_command`.
"""

from __future__ import annotations

from bot.errors import DeliveryError, ScheduleError
from bot.schedules.commands import ENV_SCHEDULE_ID, ScheduleReply, handle_schedule_command, parse_engines
from bot.schedules.cron import (
    CronSpec,
    fire_times,
    last_fire_between,
    next_fire,
    parse_schedule,
    parse_timezone,
)
from bot.schedules.defaults import ensure_default_schedule
from bot.schedules.delivery import Delivery, ensure_rate_limit_retries, post_cards
from bot.schedules.runner import FiringResult, PostReport, ScheduleRunner
from bot.schedules.scheduler import SCHEDULE_EXAMPLES, Scheduling, scheduled_messages
from bot.schedules.summary import summary_blocks, weekly_summary_blocks
from bot.storage import Schedule, ScheduleStore

__all__ = [
    "ENV_SCHEDULE_ID",
    "SCHEDULE_EXAMPLES",
    "CronSpec",
    "Delivery",
    "DeliveryError",
    "FiringResult",
    "PostReport",
    "Schedule",
    "ScheduleError",
    "ScheduleReply",
    "ScheduleRunner",
    "ScheduleStore",
    "Scheduling",
    "ensure_default_schedule",
    "ensure_rate_limit_retries",
    "fire_times",
    "handle_schedule_command",
    "last_fire_between",
    "next_fire",
    "parse_engines",
    "parse_schedule",
    "parse_timezone",
    "post_cards",
    "scheduled_messages",
    "summary_blocks",
    "weekly_summary_blocks",
]
