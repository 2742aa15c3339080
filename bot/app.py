"""Build the Bolt app: settings and the shared deps in, a wired :class:`AsyncApp` out.

That is all this module does. The deps come from :func:`bot.runtime.build_deps`, the listeners from
:func:`bot.listeners.register_listeners`; serving (HTTP, Socket Mode, the scheduler) lives in
:mod:`bot.runtime`.
"""

from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.answers import BotDeps
from bot.listeners import register_listeners
from bot.settings import Settings
from bot.slack import web_client

__all__ = ["build_app"]


class _TokenFromClient(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN itself and then warns that the token is unused because we pass a
    client; the client carries that same token, so the warning would only mislead an operator."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


def build_app(settings: Settings, deps: BotDeps, *, client: AsyncWebClient | None = None) -> AsyncApp:
    """The Bolt app with every listener registered. Needs ``SLACK_BOT_TOKEN`` (and, over HTTP,
    ``SLACK_SIGNING_SECRET``; :mod:`bot.runtime.http` checks that before it listens)."""
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
        # Unmatched requests reach the error handler register_listeners sets (listeners/unhandled.py):
        # 200 where Slack would count Bolt's 404 as a failure.
        raise_error_for_unhandled_request=True,
    )
    register_listeners(app, deps)
    return app
