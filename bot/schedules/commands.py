"""``/engine schedule add|list|remove|help``: the command logic, independent of Bolt.

The listener passes the text after ``schedule`` plus who asked and where; it gets back a
:class:`ScheduleReply` (``text`` fallback and Block Kit ``blocks``) to send as the response. The
schedule posts to the channel the command was typed in. Everything a person typed is escaped before it
enters mrkdwn.

Grammar::

    add <when> [engines] [pipeline] [tz=Area/City]
        <when>     weekly mon 09:00 | daily 08:30 | weekdays 09:00 | monthly 1 09:00 | hourly
                   | a 5-field cron expression such as 0 9 * * 1 (quotes optional)
        [engines]  growth, fulfillment, innovation, all (default), or a comma list
        [pipeline] a pipeline label or id (the rest of the line; or pipeline="New business")
    list
    remove <id>
"""

from __future__ import annotations

import itertools
import shlex
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import Block, ContextBlock, HeaderBlock, SectionBlock

from bot.blocks.kit import context, section
from bot.blocks.mrkdwn import escape, format_date
from bot.errors import user_text
from bot.schedules.cron import (
    EXAMPLE_SCHEDULE,
    CronSpec,
    ScheduleError,
    fire_times,
    parse_schedule,
    parse_timezone,
    split_schedule,
)
from bot.storage import Firing, FiringStatus, Schedule, ScheduleOrigin, ScheduleStore
from engines import EngineName, utc_now

__all__ = ["ENV_SCHEDULE_ID", "MIN_INTERVAL", "ScheduleReply", "handle_schedule_command", "parse_engines"]

ENV_SCHEDULE_ID = "env-default"
# A channel is for people: a report more often than hourly is noise (and a rate-limit risk).
MIN_INTERVAL = timedelta(hours=1)
_MAX_LISTED = 40  # one block per schedule; Slack allows 50 blocks in a message
_QUOTES = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'"})


@dataclass(frozen=True, slots=True)
class ScheduleReply:
    """What to answer: ``text`` is the notification/screen-reader fallback for ``blocks``."""

    text: str
    blocks: list[Block] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Keyword arguments for ``respond(...)`` / ``chat.postEphemeral``."""
        return {"text": self.text, "blocks": [block.to_dict() for block in self.blocks]}


def parse_engines(text: str) -> tuple[EngineName, ...]:
    """Engines from ``growth``, ``growth,fulfillment`` or ``all``; empty text means all three.

    Raises :class:`ScheduleError` for an unknown name.
    """
    names: list[EngineName] = []
    for part in text.replace(" ", ",").split(","):
        word = part.strip().lower()
        if not word:
            continue
        if word == "all":
            return tuple(EngineName)
        try:
            engine = EngineName(word)
        except ValueError:
            raise ScheduleError(
                f"'{part.strip()}' is not an engine. Use growth, fulfillment, innovation or all."
            ) from None
        if engine not in names:
            names.append(engine)
    return tuple(names) or tuple(EngineName)


def _is_engine_word(word: str) -> bool:
    """``growth`` or ``all`` is an engine word; so is a comma list naming any engine (``growht,innovation``
    is a typo to report, not a pipeline to look for)."""
    parts = [p for p in word.lower().split(",") if p]
    known = [p == "all" or p in EngineName._value2member_map_ for p in parts]
    return bool(parts) and (all(known) or ("," in word and any(known)))


def _words(text: str) -> list[str]:
    text = text.translate(_QUOTES)
    try:
        return shlex.split(text)
    except ValueError:  # an unmatched quote: fall back to plain words rather than refuse
        return text.replace('"', " ").replace("'", " ").split()


def _section(mrkdwn: str) -> SectionBlock:
    return section(mrkdwn[:3000])


def _context(mrkdwn: str) -> ContextBlock:
    return context(mrkdwn[:3000])


def _engines_text(engines: tuple[EngineName, ...]) -> str:
    return "all engines" if set(engines) == set(EngineName) else ", ".join(e.value for e in engines)


def _next_runs(cron: str, zone: ZoneInfo, now: datetime, count: int = 3) -> str:
    return ", ".join(format_date(t, zone, year=False, time=True) for t in fire_times(cron, zone, now, count))


def _help(default_timezone: str) -> ScheduleReply:
    body = (
        "*Scheduled engine reports* post to the channel you type the command in.\n"
        "• `/engine schedule add weekly mon 09:00` every Monday at 09:00\n"
        "• `/engine schedule add daily 08:30 growth` the growth engine every day\n"
        "• `/engine schedule add weekdays 09:00 all New business tz=Europe/Berlin` one pipeline, in Berlin "
        "time\n"
        "• `/engine schedule add 0 9 * * 1` any 5-field cron expression\n"
        "• `/engine schedule list` · `/engine schedule remove &lt;id&gt;`"
    )
    return ScheduleReply(
        text="Schedule reports with /engine schedule add &lt;when&gt; [engines] [pipeline] [tz=Area/City].",
        blocks=[
            _section(body),
            _context(f"Times are in {escape(default_timezone)} unless you add `tz=Area/City`."),
        ],
    )


def _invalid(message: str, zone: ZoneInfo, now: datetime) -> ScheduleReply:
    example = parse_schedule(EXAMPLE_SCHEDULE)
    runs = _next_runs(example.cron, zone, now)
    return ScheduleReply(
        text=f"I couldn't schedule that: {message} For example `{EXAMPLE_SCHEDULE}` would run {runs}.",
        blocks=[
            _section(f":warning: I couldn't schedule that. {escape(message)}"),
            _section(
                f"For example `/engine schedule add {EXAMPLE_SCHEDULE}` ({example.description}) would run "
                f"next on {runs} ({escape(zone.key)})."
            ),
            _context(
                "Forms: `daily 08:30` · `weekdays 09:00` · `weekly mon,thu 09:00` · `monthly 1 09:00` · "
                "`hourly` · cron `0 9 * * 1`"
            ),
        ],
    )


def _too_often(spec: CronSpec, zone: ZoneInfo, now: datetime) -> bool:
    times = fire_times(spec.cron, zone, now, 6)
    return any(later - earlier < MIN_INTERVAL for earlier, later in itertools.pairwise(times))


async def _add(
    words: list[str], *, channel_id: str, user_id: str, store: ScheduleStore, now: datetime, default_tz: str
) -> ScheduleReply:
    zone_name = default_tz
    pipeline: str | None = None
    rest: list[str] = []
    for word in words:
        key, sep, value = word.partition("=")
        if sep and key.lower() in ("tz", "timezone"):
            zone_name = value
        elif sep and key.lower() == "pipeline":
            pipeline = value.strip() or None
        else:
            rest.append(word)
    try:
        zone = parse_timezone(zone_name)
    except ScheduleError as error:
        return _invalid(user_text(error, doing="reading a schedule"), parse_timezone(default_tz), now)
    try:
        spec, after = split_schedule(rest)
        engine_words: list[str] = []
        while after and _is_engine_word(after[0]):
            engine_words.append(after.pop(0))
        engines = parse_engines(",".join(engine_words))
        if after:
            pipeline = " ".join(after)
        if _too_often(spec, zone, now):
            raise ScheduleError(
                f"`{spec.spec}` would post more than once an hour; reports can run at most hourly."
            )
    except ScheduleError as error:
        return _invalid(user_text(error, doing="reading a schedule"), zone, now)

    schedule = await store.add(
        channel_id=channel_id,
        cron=spec.cron,
        spec=spec.spec,
        timezone=zone.key,
        engines=engines,
        pipeline=pipeline,
        created_by=user_id,
    )
    runs = _next_runs(schedule.cron, zone, now)
    where = f" for pipeline *{escape(pipeline)}*" if pipeline else ""
    summary = (
        f":white_check_mark: Scheduled `{schedule.id}`: {_engines_text(engines)}{where} in this channel, "
        f"{escape(spec.description)} ({escape(zone.key)})."
    )
    return ScheduleReply(
        text=f"Scheduled {schedule.id}: {_engines_text(engines)}, {spec.description} ({zone.key}).",
        blocks=[
            _section(summary),
            _context(f"Next runs: {runs} · remove with `/engine schedule remove {schedule.id}`"),
        ],
    )


def _last_run(firing: Firing | None, zone: ZoneInfo) -> str:
    if firing is None:
        return "not run yet"
    at = format_date(firing.fire_at, zone, year=False, time=True)
    if firing.status is FiringStatus.POSTED:
        return f"last posted {at}"
    if firing.status is FiringStatus.FAILED:
        reason = escape(firing.detail or "unknown reason", 200)
        return f":warning: failed {at}: {reason}"
    return f"running since {at}"


async def _list(store: ScheduleStore, now: datetime, here: str) -> ScheduleReply:
    schedules = await store.schedules()
    if not schedules:
        return ScheduleReply(
            text="No scheduled reports yet.",
            blocks=[
                _section(
                    f"No scheduled reports yet. Add one here with `/engine schedule add {EXAMPLE_SCHEDULE}`."
                )
            ],
        )
    last = await store.last_firings()
    blocks: list[Block] = [HeaderBlock(text=f"Scheduled reports ({len(schedules)})")]
    for schedule in schedules[:_MAX_LISTED]:
        blocks.append(_section(_schedule_line(schedule, last.get(schedule.id), now, here)))
    footer = "Remove one with `/engine schedule remove &lt;id&gt;`."
    if len(schedules) > _MAX_LISTED:
        footer = f"Showing the first {_MAX_LISTED} of {len(schedules)}. " + footer
    blocks.append(_context(footer))
    lines = [f"{s.id}: {s.spec} in {_channel(s.channel_id, here)}" for s in schedules]
    return ScheduleReply(text="Scheduled reports: " + escape("; ".join(lines), 2900), blocks=blocks)


def _channel(channel_id: str, here: str) -> str:
    """``this channel``, or the channel's id: replies carry no ``<#C…>`` control sequences (one rule
    for every message the bot sends: the only ones allowed are its own deal links and owner mentions)."""
    return "this channel" if channel_id == here else channel_id


def _schedule_line(schedule: Schedule, last: Firing | None, now: datetime, here: str) -> str:
    zone = schedule.zone
    where = f" · pipeline *{escape(schedule.pipeline)}*" if schedule.pipeline else ""
    origin = " · from the environment" if schedule.origin is ScheduleOrigin.ENVIRONMENT else ""
    try:
        upcoming = format_date(fire_times(schedule.cron, zone, now, 1)[0], zone, year=False, time=True)
    except ScheduleError:
        upcoming = "never"
    return (
        f"`{escape(schedule.id)}` in {escape(_channel(schedule.channel_id, here))} · "
        f"`{escape(schedule.spec)}` "
        f"({escape(schedule.timezone)}) · {_engines_text(schedule.engines)}{where}{origin}\n"
        f"next {upcoming} · {_last_run(last, zone)}"
    )


async def _remove(words: list[str], store: ScheduleStore) -> ScheduleReply:
    if not words:
        return ScheduleReply(
            text="Which one? /engine schedule remove &lt;id&gt;",
            blocks=[
                _section("Which one? `/engine schedule remove &lt;id&gt;`, ids from `/engine schedule list`.")
            ],
        )
    schedule_id = words[0].strip("`").lower()
    shown = escape(schedule_id, 40)
    if schedule_id == ENV_SCHEDULE_ID:
        text = (
            f"`{ENV_SCHEDULE_ID}` comes from the bot's environment (REPORT_SCHEDULE); it would come back at "
            "the next start. Ask whoever runs the bot to unset REPORT_SCHEDULE."
        )
        return ScheduleReply(text=text, blocks=[_section(text)])
    if await store.remove(schedule_id):
        return ScheduleReply(
            text=f"Removed schedule {schedule_id}.",
            blocks=[_section(f":wastebasket: Removed schedule `{shown}`.")],
        )
    return ScheduleReply(
        text=f"No schedule {schedule_id}.",
        blocks=[_section(f"There is no schedule `{shown}`. `/engine schedule list` shows the ids.")],
    )


async def handle_schedule_command(
    args: str,
    *,
    channel_id: str,
    user_id: str,
    store: ScheduleStore,
    now: datetime | None = None,
    default_timezone: str = "UTC",
) -> ScheduleReply:
    """Run ``/engine schedule <args>`` for ``user_id`` in ``channel_id`` and say what happened.

    ``args`` is the text after ``schedule``. ``default_timezone`` is REPORT_TIMEZONE (UTC when unset);
    ``now`` is for tests. Never raises for bad input: a bad schedule gets a reply that explains it and
    shows the next runs of a valid example.
    """
    moment = now or utc_now()
    try:
        default_timezone = parse_timezone(default_timezone).key
    except ScheduleError:  # a bad REPORT_TIMEZONE must not break the command; UTC is explicit
        default_timezone = "UTC"
    words = _words(args)
    command = words[0].lower() if words else "help"
    if command == "add":
        return await _add(
            words[1:],
            channel_id=channel_id,
            user_id=user_id,
            store=store,
            now=moment,
            default_tz=default_timezone,
        )
    if command in ("list", "ls"):
        return await _list(store, moment, channel_id)
    if command in ("remove", "rm", "delete"):
        return await _remove(words[1:], store)
    return _help(default_timezone)
