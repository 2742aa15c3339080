"""Slack Web API and response_url clients, configured once with the retry behaviour we rely on.

python-slack-sdk retries only dropped connections by default; Slack answers bursts with 429 and a
``Retry-After``, so both clients also get the SDK's rate-limit handler, which waits exactly as long
as Slack asks. Server errors are not retried on ``chat.postMessage``: a 500 after Slack stored the
message would turn one card into two.
"""

from __future__ import annotations

from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.settings import Settings

__all__ = ["retry_handlers", "web_client", "webhook_client"]


def retry_handlers() -> list[AsyncRetryHandler]:
    """Fresh handlers (they keep per-call state in the request, so sharing is fine, but cheap)."""
    return [
        AsyncConnectionErrorRetryHandler(max_retry_count=2),
        AsyncRateLimitErrorRetryHandler(max_retry_count=3),
    ]


def web_client(settings: Settings) -> AsyncWebClient:
    """The bot's Web API client: bot token, ``SLACK_API_URL`` base, retries on 429 and lost connections."""
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    base_url = (
        settings.slack_api_url if settings.slack_api_url.endswith("/") else settings.slack_api_url + "/"
    )
    return AsyncWebClient(token=token, base_url=base_url, retry_handlers=retry_handlers(), timeout=30)


def webhook_client(url: str) -> AsyncWebhookClient:
    """A client for one ``response_url`` with the same retry behaviour as the Web API client."""
    return AsyncWebhookClient(url=url, retry_handlers=retry_handlers(), timeout=30)
