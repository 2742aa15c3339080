"""The default schedule from the environment: REPORT_CHANNEL + REPORT_SCHEDULE (+ zone, engines).

Upserted at every start under the fixed id ``env-default``, so restarts and replicas never duplicate
it and editing the environment edits the schedule. Unsetting REPORT_SCHEDULE removes it.
"""

from __future__ import annotations

from bot.schedules.commands import ENV_SCHEDULE_ID, parse_engines
from bot.schedules.cron import ScheduleError, parse_schedule, parse_timezone
from bot.storage import Schedule, ScheduleOrigin, ScheduleStore

__all__ = ["ensure_default_schedule"]


async def ensure_default_schedule(
    store: ScheduleStore,
    *,
    channel: str | None,
    schedule: str | None,
    timezone: str | None = None,
    engines: str | None = None,
    pipeline: str | None = None,
) -> Schedule | None:
    """Create, update or remove ``env-default`` to match the environment; return it (or ``None``).

    Raises :class:`ScheduleError` naming the variable when a value cannot be used, so a bad
    deployment fails at start instead of silently never posting.
    """
    if not schedule or not schedule.strip():
        existing = await store.get(ENV_SCHEDULE_ID)
        if existing is not None and existing.origin is ScheduleOrigin.ENVIRONMENT:
            await store.remove(ENV_SCHEDULE_ID)
        return None
    target = (channel or "").strip().lstrip("#")
    if not target:
        raise ScheduleError(
            "REPORT_SCHEDULE is set but REPORT_CHANNEL is not: set it to the channel ID the reports go to "
            "(for example C0123456789)."
        )
    try:
        spec = parse_schedule(schedule)
    except ScheduleError as error:
        raise ScheduleError(f"REPORT_SCHEDULE: {error.user_message}") from None
    try:
        zone = parse_timezone(timezone or "UTC")
    except ScheduleError as error:
        raise ScheduleError(f"REPORT_TIMEZONE: {error.user_message}") from None
    try:
        names = parse_engines(engines or "all")
    except ScheduleError as error:
        raise ScheduleError(f"REPORT_ENGINES: {error.user_message}") from None
    return await store.upsert(
        ENV_SCHEDULE_ID,
        channel_id=target,
        cron=spec.cron,
        spec=spec.spec,
        timezone=zone.key,
        engines=names,
        pipeline=pipeline,
        origin=ScheduleOrigin.ENVIRONMENT,
    )
