"""Slack Web API and response_url clients, configured once with the retry behaviour we rely on.

python-slack-sdk retries only dropped connections by default; Slack answers bursts with 429 and a
``Retry-After``, so both clients also get the SDK's rate-limit handler, which waits exactly as long
as Slack asks. Server errors are not retried on ``chat.postMessage``: a 500 after Slack stored the
message would turn one card into two. A ``response_url`` is different: its answer is the only copy
of the card, so one server-error retry is worth the rare duplicate.

``response_url`` posts share one ``aiohttp`` session per event loop instead of slack_sdk's default of
a new session (and a new TCP + TLS connection) per post, which under a burst was the bot's top CPU
cost. The session belongs to the server running in that loop (:mod:`bot.runtime.http`), which opens it
with :func:`open_response_url_session` and closes it on shutdown; in a loop without such an owner
(a script, a test calling a reply directly) each post keeps slack_sdk's own one-off session, so
nothing is ever left unclosed.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from typing import Protocol
from urllib.parse import urlsplit

import aiohttp
from pydantic import SecretStr
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

__all__ = [
    "SlackApiSettings",
    "close_response_url_session",
    "open_response_url_session",
    "redacted_url",
    "retry_handlers",
    "web_client",
    "webhook_client",
]

WEBHOOK_TIMEOUT = 30

# slack_sdk's webhook client logs the full URL and body at DEBUG whenever its logger's own level is
# NOTSET. A response_url lets anyone post into the channel for 30 minutes, so this logger is pinned
# at INFO: LOG_LEVEL=DEBUG must not put response URLs into log files.
_webhook_log = logging.getLogger("bot.slack.web.response_url")
_webhook_log.setLevel(logging.INFO)

_owned: weakref.WeakSet[asyncio.AbstractEventLoop] = weakref.WeakSet()  # a server will close the session
_sessions: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aiohttp.ClientSession] = (
    weakref.WeakKeyDictionary()
)


def retry_handlers() -> list[AsyncRetryHandler]:
    """Fresh handlers (they keep per-call state in the request, so sharing is fine, but cheap)."""
    return [
        AsyncConnectionErrorRetryHandler(max_retry_count=2),
        AsyncRateLimitErrorRetryHandler(max_retry_count=3),
    ]


class SlackApiSettings(Protocol):
    """What a Web API client is built from (:class:`bot.settings.Settings` has both)."""

    @property
    def slack_bot_token(self) -> SecretStr | None: ...

    @property
    def slack_api_url(self) -> str: ...


def web_client(settings: SlackApiSettings) -> AsyncWebClient:
    """The bot's Web API client: bot token, ``SLACK_API_URL`` base, retries on 429 and lost connections."""
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    base_url = (
        settings.slack_api_url if settings.slack_api_url.endswith("/") else settings.slack_api_url + "/"
    )
    return AsyncWebClient(token=token, base_url=base_url, retry_handlers=retry_handlers(), timeout=30)


def open_response_url_session() -> None:
    """Let response_url posts in the running loop share a session; the caller must later call
    :func:`close_response_url_session` in the same loop. The session itself opens on first use."""
    _owned.add(asyncio.get_running_loop())


async def close_response_url_session() -> None:
    """Close the running loop's response_url session; later posts get one-off sessions again."""
    loop = asyncio.get_running_loop()
    _owned.discard(loop)
    session = _sessions.pop(loop, None)
    if session is not None and not session.closed:
        await session.close()


def _shared_session() -> aiohttp.ClientSession | None:
    """The running loop's response_url session, or ``None`` (slack_sdk then opens and closes a
    session per post) outside a loop or in a loop no server owns."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return None
    if loop not in _owned:
        return None
    session = _sessions.get(loop)
    if session is None or session.closed:
        session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=WEBHOOK_TIMEOUT))
        _sessions[loop] = session
    return session


def webhook_client(url: str) -> AsyncWebhookClient:
    """A client for one ``response_url``: the Web API client's retries plus one retry of a 500/503.

    Slack may have stored a message it answered 5xx for, so the retry can (rarely) show a card twice;
    without it a single hiccup loses the card with nobody told. The connection is the loop's shared
    session, kept alive between posts.
    """
    return AsyncWebhookClient(
        url=url,
        retry_handlers=[*retry_handlers(), AsyncServerErrorRetryHandler(max_retry_count=1)],
        timeout=WEBHOOK_TIMEOUT,
        session=_shared_session(),
        logger=_webhook_log,
    )


def redacted_url(url: str) -> str:
    """``https://hooks.slack.com/…``: enough to tell which service failed, nothing to post with."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/…" if parts.netloc else "(no URL)"
