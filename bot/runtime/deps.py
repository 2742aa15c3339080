"""The wiring of one process: the listeners' shared parts from the settings.

:func:`build_deps` is what ``engine-bot serve`` and the tests call to get the :class:`BotDeps` a Bolt
app is built with (:func:`bot.app.build_app`): the report service over the configured source
(:mod:`bot.runtime.sources`), the owner directory, the answer gate.
"""

from __future__ import annotations

from slack_sdk.http_retry.builtin_async_handlers import AsyncConnectionErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.answers import AnswerGate, BotDeps, ReportService
from bot.answers.status import status_subcommand
from bot.mirror import Mirror
from bot.mirror.changes import MirrorChanges
from bot.runtime.sources import build_source
from bot.settings import Settings
from bot.slack import EventDeduper, OwnerDirectory
from bot.storage import ReportHistory

__all__ = ["build_deps", "build_owner_directory"]


def build_owner_directory(settings: Settings) -> OwnerDirectory | None:
    """HubSpot owners <-> Slack users, over a client of its own; ``None`` without a bot token.

    Not the shared client: that one waits out a 429's ``Retry-After`` inside the call, and an owner
    mention is never worth holding a card for. This client retries a dropped connection once and
    gives up after 5 s; the directory then shows the owner's name and remembers the failure briefly.
    """
    if settings.slack_bot_token is None or not settings.slack_bot_token.get_secret_value().strip():
        return None
    base_url = settings.slack_api_url.rstrip("/") + "/"
    client = AsyncWebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=base_url,
        retry_handlers=[AsyncConnectionErrorRetryHandler(max_retry_count=1)],
        timeout=5,
    )
    return OwnerDirectory(client)


def build_deps(
    settings: Settings,
    *,
    history: ReportHistory | None = None,
    seen_events: EventDeduper | None = None,
    seen_mentions: EventDeduper | None = None,
    mirror: Mirror | None = None,
) -> BotDeps:
    """The listeners' shared parts: the report service over the configured source, the owner
    directory (when there is a bot token), and friends.

    ``history`` (report storage) adds trend lines; ``seen_events`` and ``seen_mentions`` replace the
    in-memory event dedup and answered-mentions memory with shared stores (several replicas);
    ``mirror`` answers from the CRM mirror (``/engine status`` reports on it) and its change log
    answers ``/engine changes``.
    """
    settings.require_for_source()
    source = build_source(settings, mirror=mirror)
    service = ReportService(source, history=history, config=settings.analysis)
    deps = BotDeps(
        service=service,
        progress_after=settings.progress_after_seconds,
        owners=build_owner_directory(settings),
        answers=AnswerGate(settings.answer_workers),
        defaults=settings.workspace(),
    )
    if seen_events is not None:
        deps.seen_events = seen_events
    if seen_mentions is not None:
        deps.seen_mentions = seen_mentions
    if mirror is not None and settings.source == "hubspot":
        deps.mirror = mirror
        deps.changes = MirrorChanges(mirror)  # /engine changes, What changed, scheduled change cards
        deps.add_subcommand(status_subcommand(mirror))
    return deps
