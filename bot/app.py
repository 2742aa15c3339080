"""Build the Bolt app: settings in, a wired :class:`AsyncApp` out. Serving lives in :mod:`bot.server`."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from slack_bolt.async_app import AsyncApp
from slack_sdk.http_retry.builtin_async_handlers import AsyncConnectionErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.answering import AnswerGate, BotDeps, Subcommand
from bot.dedupe import EventDeduper
from bot.listeners import register_listeners
from bot.listeners.unhandled import handle_errors
from bot.owners import OwnerDirectory
from bot.service import ReportService
from bot.settings import Settings
from bot.slack_web import web_client
from bot.sources import build_source
from bot.trends import ReportHistory

__all__ = ["build_app", "build_deps", "build_owner_directory"]


class _TokenFromClient(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN itself and then warns that the token is unused because we pass a
    client; the client carries that same token, so the warning would only mislead an operator."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


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
    subcommands: Sequence[Subcommand] = (),
) -> BotDeps:
    """The listeners' shared parts: the report service over the configured source, the owner
    directory (when there is a bot token), and friends.

    ``history`` (report storage) adds trend lines; ``seen_events`` and ``seen_mentions`` replace the
    in-memory event dedup and answered-mentions memory with shared stores (several replicas);
    ``subcommands`` teach ``/engine`` new first words.
    """
    settings.require_for_source()
    service = ReportService(build_source(settings), history=history, config=settings.analysis)
    deps = BotDeps(
        service=service,
        progress_after=settings.progress_after_seconds,
        owners=build_owner_directory(settings),
        answers=AnswerGate(settings.answer_workers),
    )
    if seen_events is not None:
        deps.seen_events = seen_events
    if seen_mentions is not None:
        deps.seen_mentions = seen_mentions
    for subcommand in subcommands:
        deps.add_subcommand(subcommand)
    return deps


def build_app(settings: Settings, deps: BotDeps, *, client: AsyncWebClient | None = None) -> AsyncApp:
    """The Bolt app with every listener registered. Needs ``SLACK_BOT_TOKEN`` (and, over HTTP,
    ``SLACK_SIGNING_SECRET``; :func:`bot.server` checks that before it listens)."""
    settings.require("slack_bot_token")
    bolt_logger = logging.getLogger("bot.bolt")
    if not any(isinstance(f, _TokenFromClient) for f in bolt_logger.filters):
        bolt_logger.addFilter(_TokenFromClient())
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
    app = AsyncApp(
        client=client or web_client(settings),
        signing_secret=secret,
        logger=bolt_logger,
        name="value-engine-bot",
        # Unmatched requests reach handle_errors: 200 where Slack would count Bolt's 404 as a failure.
        raise_error_for_unhandled_request=True,
    )
    app.error(handle_errors)
    register_listeners(app, deps)
    return app
