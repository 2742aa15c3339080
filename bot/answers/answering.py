"""Answering a request, whatever surface it came from: help, a report card, or a subcommand.

Failures become messages through :func:`bot.errors.user_text` (the one place an exception becomes
text for a person: an engine error's ``user_message``, advice for a Slack error code, or a short
apology plus a log line, never a stack trace in Slack). Slow reads announce themselves once, after
``BotDeps.progress_after`` seconds, with how far the read has come.

Acknowledgements come first. Slack needs the ack of a command within 3 seconds, while its card may
follow through the ``response_url`` for 30 minutes; both run in the same event loop, so without a
bound every ack queued behind all pending answer work (rendering cards, posting them). Answers
therefore pass an :class:`AnswerGate`: at most ``ANSWER_WORKERS`` of them render and post at once,
the others wait for a turn holding only their small request state (the CRM read and the analysis,
shared by all, happen before the turn, so a slow read never holds one). Acks never touch the gate.
An absurdly long queue is refused with a short "busy" notice instead of growing without bound.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from slack_sdk.models.blocks import Block
from slack_sdk.web.async_client import AsyncWebClient

from bot.answers.parsing import HelpRequest, ReportRequest, Request, SubcommandRequest, parse_request
from bot.answers.replies import Reply, in_place_reply
from bot.answers.service import ReportService
from bot.answers.workspace import Workspaces
from bot.blocks import SlackMessage, card_message, failure_message, help_message, notice_message
from bot.blocks.ids import AlertItemAction
from bot.blocks.mrkdwn import escape
from bot.charts.upload import PictureNotices
from bot.errors import user_text
from bot.mirror import Mirror
from bot.settings import WorkspaceSettings
from bot.slack import MENTION_MEMORY, EventDeduper, MemoryEventDeduper, OwnerDirectory
from bot.slack.text import SlackText
from engines import ChangeReport, PortalSnapshot, Progress

__all__ = [
    "BUSY",
    "DEFAULT_ANSWER_WORKERS",
    "MAX_PENDING_ANSWERS",
    "AlertsHub",
    "AnswerGate",
    "BotDeps",
    "ChangeSource",
    "GatedReply",
    "Invocation",
    "Scheduler",
    "Subcommand",
    "answer",
    "answer_click",
    "progress_text",
    "working_text",
]

log = logging.getLogger(__name__)

BUSY = "I'm answering a lot of requests right now. Please try again in a minute."

DEFAULT_ANSWER_WORKERS = 4
# Answers admitted but not finished (reading, waiting for a turn or posting) beyond which a new one is
# refused with BUSY: at ~4.5 ms of work an answer, this many is a 20-30 s backlog, far past any burst.
MAX_PENDING_ANSWERS = 5000


class AnswerGate:
    """Admission for answer work: at most ``workers`` answers render and post at once.

    Why a gate and not just tasks: the event loop runs ready work first come, first served, so 500
    answers in progress meant an ack arriving behind them waited for all of their rendering and
    posting. With at most ``workers`` answers working, an ack competes with a handful of steps, not
    hundreds; the waiting answers cost nothing but a parked coroutine. ``pending`` counts every
    admitted answer (also those still reading); past ``max_pending`` :meth:`admit` says no, so an
    overload costs a short notice, not unbounded memory.

    The semaphore binds to the event loop that first has to wait on it; a gate (like the
    :class:`BotDeps` holding it) belongs to one running app.
    """

    def __init__(
        self, workers: int = DEFAULT_ANSWER_WORKERS, *, max_pending: int = MAX_PENDING_ANSWERS
    ) -> None:
        if workers < 1:
            raise ValueError("an answer gate needs at least one worker")
        if max_pending < 1:
            raise ValueError("max_pending must be at least 1")
        self.workers = workers
        self.max_pending = max_pending
        self.pending = 0  # admitted and not finished
        self.working = 0  # holding a turn right now
        self._turns = asyncio.Semaphore(workers)

    def admit(self) -> bool:
        """Count one more answer in, or ``False`` when ``max_pending`` are already in progress."""
        if self.pending >= self.max_pending:
            return False
        self.pending += 1
        return True

    def done(self) -> None:
        """An admitted answer has finished (whatever its outcome)."""
        self.pending -= 1

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """Hold one of the ``workers`` turns while rendering and posting; first come, first served."""
        async with self._turns:
            self.working += 1
            try:
                yield
            finally:
                self.working -= 1


class GatedReply:
    """A :class:`~bot.answers.replies.Reply` whose every post takes a turn at the :class:`AnswerGate`.

    Subcommand handlers, help and error notices post through this, so the bound holds for every
    answer, not only report cards; a turn is held for one post at a time, never across a read.
    """

    def __init__(self, reply: Reply, gate: AnswerGate) -> None:
        self.inner = reply
        self.gate = gate

    async def send(self, message: SlackMessage, *, private: bool) -> None:
        async with self.gate.turn():
            await self.inner.send(message, private=private)

    async def progress(self, text: str) -> None:
        async with self.gate.turn():
            await self.inner.progress(text)

    async def error(self, message: SlackMessage) -> None:
        async with self.gate.turn():
            await self.inner.error(message)


@dataclass(frozen=True)
class Invocation:
    """One answer's context, built once per answer by :meth:`of`: the request's arguments, who asked
    where, and how to reply (every post takes a turn at the answer gate). Subcommand handlers get it."""

    args: str
    private: bool
    reply: GatedReply
    deps: BotDeps
    user_id: str | None = None
    channel_id: str | None = None
    team_id: str | None = None
    client: AsyncWebClient | None = None  # the Web API client Bolt authorised for this request
    thread_ts: str | None = None  # the thread a mention was answered in
    trigger_id: str | None = None  # a slash command's: opens a modal within 3 s

    @classmethod
    def of(
        cls,
        request: Request,
        reply: Reply,
        deps: BotDeps,
        *,
        user_id: str | None = None,
        channel_id: str | None = None,
        team_id: str | None = None,
        client: AsyncWebClient | None = None,
        thread_ts: str | None = None,
        trigger_id: str | None = None,
    ) -> Invocation:
        """The invocation answering ``request`` through ``reply`` (on behalf of ``user_id`` in
        ``channel_id``, when the surface says)."""
        return cls(
            args=request.args if isinstance(request, SubcommandRequest) else "",
            private=request.private,
            reply=GatedReply(reply, deps.answers),
            deps=deps,
            user_id=user_id,
            channel_id=channel_id,
            team_id=team_id,
            client=client,
            thread_ts=thread_ts,
            trigger_id=trigger_id,
        )


class Scheduler(Protocol):
    """What :class:`BotDeps` needs from the scheduler of ``engine-bot serve`` (:class:`bot.schedules.
    Scheduling`): its ``/engine schedule`` subcommand."""

    def subcommand(self) -> Subcommand: ...


class ChangeSource(Protocol):
    """Where change cards come from (the CRM mirror's change log, :mod:`bot.mirror`)."""

    async def portal(self) -> PortalSnapshot:
        """The portal's account details, pipelines and owners (no deals), fresh."""
        ...

    async def changes(self, since: datetime, pipeline_id: str | None) -> ChangeReport:
        """The change report from ``since`` to now for one pipeline (``None``: all)."""
        ...


class AlertsHub(Protocol):
    """What :class:`BotDeps` needs from the alerts of ``engine-bot serve`` (:class:`bot.alerts.Alerts`):
    ``/engine alerts``, the digest's menus and buttons, and the App Home's part."""

    def subcommand(self) -> Subcommand: ...

    async def on_item(
        self, choice: AlertItemAction, body: dict[str, Any], client: AsyncWebClient
    ) -> None: ...

    async def show_folded(self, digest_id: int, trigger_id: str | None, client: AsyncWebClient) -> None: ...

    async def home_blocks(self, user_id: str) -> list[Block]: ...

    async def set_optin(self, user_id: str, mode: str) -> None: ...


@dataclass(frozen=True)
class Subcommand:
    """A first word after ``/engine`` (``schedule``, ``deal``) with its handler and help examples."""

    name: str
    handler: Callable[[Invocation], Awaitable[None]]
    examples: tuple[tuple[str, str], ...] = ()
    # What the slash command's acknowledgement says (None: nothing, e.g. when a modal opens instead).
    ack_text: str | None = "⏳ Working on it…"


@dataclass
class BotDeps:
    """Everything listeners need, built once per process (see :func:`bot.app.build_app`)."""

    service: ReportService
    progress_after: float = 4.0
    seen_events: EventDeduper = field(default_factory=MemoryEventDeduper)
    # Mentions answered, by message (channel:ts): an edited message re-sends its mention.
    seen_mentions: EventDeduper = field(default_factory=lambda: MemoryEventDeduper(ttl=MENTION_MEMORY))
    subcommands: dict[str, Subcommand] = field(default_factory=dict)
    # HubSpot owners <-> Slack users (deal card, drill-downs, App Home); None: owners shown by name.
    owners: OwnerDirectory | None = None
    # At most ANSWER_WORKERS answers render and post at once; acks never wait on it.
    answers: AnswerGate = field(default_factory=AnswerGate)
    # engine-bot serve's scheduler (``/engine schedule``); None: no storage, no schedules.
    scheduler: Scheduler | None = None
    # The environment's workspace settings: every answer's, unless the workspace changed them.
    defaults: WorkspaceSettings = field(default_factory=WorkspaceSettings)
    # Settings changed from Slack (``/engine settings``); None: no storage, environment only.
    workspaces: Workspaces | None = None
    # engine-bot serve's alerts (``/engine alerts``, digests); None: no mirror, no alerts.
    alerts: AlertsHub | None = None

    async def settings_for(self, team_id: str | None) -> WorkspaceSettings:
        """The settings an answer in ``team_id`` uses: its workspace's, or the environment's."""
        if self.workspaces is None:
            return self.defaults
        return await self.workspaces.settings_for(team_id)

    # The CRM mirror answers come from (engine-bot serve with HubSpot); None: read live or sample.
    mirror: Mirror | None = None
    # The CRM mirror's change log (``/engine changes``); None: no mirror, nothing to compare with.
    changes: ChangeSource | None = None
    # Which channels were already told how to get pictures (charts refused: said once).
    pictures: PictureNotices = field(default_factory=PictureNotices)

    def add_subcommand(self, subcommand: Subcommand) -> None:
        """Teach ``/engine`` and mentions a new first word (the built-in ones are registered beside the
        command, in :mod:`bot.listeners.commands.engine`)."""
        self.subcommands[subcommand.name.casefold()] = subcommand

    def parse(self, text: SlackText | str | None) -> Request:
        """What ``text`` (Slack's, see :func:`bot.slack.text.parse`) asks for."""
        return parse_request(text, self.subcommands.keys())

    def help(self, unknown: str | None = None) -> SlackMessage:
        """The help card, listing the registered subcommands' examples too."""
        extra = tuple(example for sub in self.subcommands.values() for example in sub.examples)
        return help_message(unknown, extra=extra)


def working_text(request: ReportRequest) -> str:
    """The ephemeral line that acknowledges a report request at once."""
    what = "all engines" if request.engine == "all" else f"the {request.engine} engine"
    where = f" for pipeline *{escape(request.pipeline, 80)}*" if request.pipeline else ""
    return f"⏳ Working on {what}{where}…"


def progress_text(progress: Progress | None) -> str:
    if progress is None or progress.deals_total is None:
        read = f" ({progress.deals_read:,} deals read so far)" if progress and progress.deals_read else ""
        return f"⏳ Still reading your CRM{read}. The card follows as soon as it is ready."
    pct = f" ({progress.fraction * 100:.0f} %)" if progress.fraction is not None else ""
    return (
        f"⏳ Still reading your CRM: {progress.deals_read:,} of {progress.deals_total:,} deals{pct}. "
        "The card follows as soon as it is ready."
    )


async def answer(request: Request, invocation: Invocation) -> None:
    """Answer ``request`` in ``invocation`` (see :meth:`Invocation.of`). Never raises: failures
    become messages and log lines.

    Every post goes through ``deps.answers`` (see :class:`AnswerGate`); when too many answers are
    already in progress the asker gets :data:`BUSY` at once instead of a place in the queue.
    """
    gate = invocation.deps.answers
    if not gate.admit():
        log.warning("answer queue full (%d in progress): asked to try again later", gate.pending)
        await _safe(invocation.reply.inner.error(notice_message(BUSY)))
        return
    try:
        await _answer(request, invocation)
    finally:
        gate.done()


async def answer_click(
    request: Request, body: dict[str, Any], client: AsyncWebClient, deps: BotDeps, *, what: str
) -> None:
    """Answer a button click with ``request`` in place of the clicked message (its response URL, or
    ``chat.update``); ``what`` names the button in the log line when the click names no message."""
    reply = in_place_reply(body, client)
    if reply is None:
        log.warning("%s arrived with nowhere to answer", what)
        return
    invocation = Invocation.of(
        request,
        reply,
        deps,
        user_id=(body.get("user") or {}).get("id"),
        channel_id=(body.get("container") or {}).get("channel_id"),
        team_id=(body.get("team") or {}).get("id"),
        client=client,
    )
    await answer(request, invocation)


async def _answer(request: Request, invocation: Invocation) -> None:
    """:func:`answer` once admitted: ``invocation.reply`` takes a turn per post; its ``inner`` reply
    is for posting inside a turn already held."""
    deps, reply, raw = invocation.deps, invocation.reply, invocation.reply.inner
    try:
        if isinstance(request, HelpRequest):
            await reply.send(deps.help(request.unknown), private=request.private)
        elif isinstance(request, SubcommandRequest):
            await deps.subcommands[request.name].handler(invocation)
        else:
            settings = await deps.settings_for(invocation.team_id)
            if request.pipeline is None and request.use_default_pipeline and settings.default_pipeline:
                request = dataclasses.replace(request, pipeline=settings.default_pipeline)
            config = settings.analysis
            snapshot = await _read_with_progress(request, reply, deps)
            await deps.service.analysed(snapshot, request.engines, config=config)  # shared: no turn held
            async with deps.answers.turn():  # this answer's own work - record, render, post
                bundle = await deps.service.report(snapshot, request.engines, config=config)  # memo hit
                await raw.send(card_message(bundle.reports, bundle.trends), private=request.private)
    except Exception as exc:
        text = user_text(exc, doing=f"answering {type(request).__name__}", logger=log)
        await _safe(reply.error(failure_message(text)))


async def _read_with_progress(request: ReportRequest, reply: Reply, deps: BotDeps) -> PortalSnapshot:
    """Read; the "still reading" line goes out only while the CRM read itself is slow.

    Waiting for the whole answer instead would also fire when the read was done long ago and the
    answer was merely queued for analysis or for a turn behind a burst, doubling the posts when the
    bot is busiest.
    """
    latest: list[Progress] = []

    def on_progress(progress: Progress) -> None:
        latest[:] = [progress]

    reading = asyncio.ensure_future(
        deps.service.read(request.pipeline, progress=on_progress, refresh=request.refresh)
    )
    done, _ = await asyncio.wait({reading}, timeout=deps.progress_after)
    if not done:
        await _safe(reply.progress(progress_text(latest[0] if latest else None)))
    return await reading


async def _safe(call: Awaitable[None]) -> None:
    """Deliver a failure notice; if even that fails (Slack down), log and carry on."""
    try:
        await call
    except Exception:
        log.exception("could not deliver a notice to Slack")
