"""Answering a request, whatever surface it came from: help, a report card, or a subcommand.

This is the single place where an :class:`~engines.EngineError` becomes the clear message its
``user_message`` promises, and where anything unexpected becomes a short apology plus a log line
(never a stack trace in Slack). Slow reads announce themselves once, after
``BotDeps.progress_after`` seconds, with how far the read has come.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.dedupe import EventDeduper, MemoryEventDeduper
from bot.parsing import HelpRequest, ReportRequest, Request, SubcommandRequest, parse_request
from bot.render import SlackMessage, card_message, error_message, help_message, notice_message
from bot.render.text import escape
from bot.replies import Reply
from bot.service import ReportBundle, ReportService
from bot.slack_web import slack_error_code
from engines import EngineError, Progress

if TYPE_CHECKING:
    from bot.owners import OwnerDirectory

__all__ = [
    "APOLOGY",
    "BotDeps",
    "Invocation",
    "Subcommand",
    "answer",
    "progress_text",
    "working_text",
]

log = logging.getLogger(__name__)

APOLOGY = "Sorry, something went wrong on my side while answering that. It has been logged; please try again."


@dataclass(frozen=True)
class Invocation:
    """What a subcommand handler gets: its arguments, who asked where, and how to reply."""

    args: str
    private: bool
    reply: Reply
    deps: BotDeps
    user_id: str | None = None
    channel_id: str | None = None
    team_id: str | None = None
    client: AsyncWebClient | None = None  # the Web API client Bolt authorised for this request


@dataclass(frozen=True)
class Subcommand:
    """A first word after ``/engine`` (``schedule``, ``deal``) with its handler and help examples."""

    name: str
    handler: Callable[[Invocation], Awaitable[None]]
    examples: tuple[tuple[str, str], ...] = ()


@dataclass
class BotDeps:
    """Everything listeners need, built once per process (see :func:`bot.app.build_app`)."""

    service: ReportService
    progress_after: float = 4.0
    seen_events: EventDeduper = field(default_factory=MemoryEventDeduper)
    subcommands: dict[str, Subcommand] = field(default_factory=dict)
    # HubSpot owners <-> Slack users (deal card, drill-downs, App Home); None: owners shown by name.
    owners: OwnerDirectory | None = None

    def add_subcommand(self, subcommand: Subcommand) -> None:
        """Teach ``/engine`` and mentions a new first word, e.g. ``schedule``."""
        self.subcommands[subcommand.name.casefold()] = subcommand

    def parse(self, text: str | None) -> Request:
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


async def answer(
    request: Request, reply: Reply, deps: BotDeps, *, invocation: Invocation | None = None
) -> None:
    """Answer ``request`` through ``reply``. Never raises: failures become messages and log lines."""
    try:
        if isinstance(request, HelpRequest):
            await reply.send(deps.help(request.unknown), private=request.private)
        elif isinstance(request, SubcommandRequest):
            sub = deps.subcommands[request.name]
            base = invocation or Invocation(args="", private=False, reply=reply, deps=deps)
            await sub.handler(
                Invocation(
                    args=request.args,
                    private=request.private,
                    reply=reply,
                    deps=deps,
                    user_id=base.user_id,
                    channel_id=base.channel_id,
                    team_id=base.team_id,
                    client=base.client,
                )
            )
        else:
            bundle = await _with_progress(request, reply, deps)
            await reply.send(card_message(bundle.reports, bundle.trends), private=request.private)
    except EngineError as exc:
        log.info("answered with a user error: %s", type(exc).__name__)
        await _safe(reply.error(error_message(exc.user_message)))
    except SlackApiError as exc:
        # Slack refused or failed the delivery (a 5xx, a channel we cannot post in): an outside
        # fault with a known shape, so a warning with Slack's code, not a traceback.
        log.warning("Slack did not take the answer to %s: %s", type(request).__name__, slack_error_code(exc))
        await _safe(reply.error(notice_message(APOLOGY)))
    except Exception:
        log.exception("unexpected failure while answering %s", type(request).__name__)
        await _safe(reply.error(notice_message(APOLOGY)))


async def _with_progress(request: ReportRequest, reply: Reply, deps: BotDeps) -> ReportBundle:
    """Read, then analyse; the "still reading" line goes out only while the CRM read itself is slow.

    Waiting for the whole answer instead would also fire when the read was done long ago and the
    answer was merely queued for analysis behind a burst, doubling the posts when the bot is busiest.
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
    return await deps.service.report(await reading, request.engines)


async def _safe(call: Awaitable[None]) -> None:
    """Deliver a failure notice; if even that fails (Slack down), log and carry on."""
    try:
        await call
    except Exception:
        log.exception("could not deliver a notice to Slack")
