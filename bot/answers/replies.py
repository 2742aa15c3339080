"""Where an answer goes: a slash command's response_url, a mention's thread, or the clicked card.

The answering logic (:mod:`bot.answers.answering`) is the same for every surface; only the delivery differs,
so each surface gets a small :class:`Reply`. Every delivery passes :func:`~bot.blocks.deliverable` first: a
message that would break a Block Kit limit is logged and replaced by its plain fallback text rather
than being rejected by Slack in front of the user.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.message import SlackMessage, deliverable
from bot.slack.errors import send_with_text_fallback
from bot.slack.web import redacted_url, webhook_client

__all__ = ["ActionReply", "ChatUpdateReply", "CommandReply", "MentionReply", "Reply", "in_place_reply"]

log = logging.getLogger(__name__)


def _refusal(sent: tuple[int, str] | None) -> str | None:
    """The error code a response_url answered with (its body), or ``None`` when it took the post."""
    if sent is None or sent[0] == 200:
        return None
    return sent[1].strip()


class Reply(Protocol):
    async def send(self, message: SlackMessage, *, private: bool) -> None:
        """Deliver the answer (a card, help); ``private``: only the asker sees it."""
        ...

    async def progress(self, text: str) -> None:
        """Tell the asker, privately, how far a slow answer has come (best effort)."""
        ...

    async def error(self, message: SlackMessage) -> None:
        """Tell the asker, privately, what went wrong."""
        ...


class CommandReply:
    """Answers through a slash command's ``response_url`` (5 uses in 30 minutes; we use at most 3)."""

    MAX_PROGRESS = 1

    def __init__(self, response_url: str) -> None:
        self.response_url = response_url
        self._progress_sent = 0

    async def _post(self, payload: dict[str, Any]) -> bool:
        """Deliver ``payload``; ``False`` (and a log line) when Slack would not take it.

        The webhook client already waited out a 429 and retried a lost connection or one 5xx, so
        what is left is logged - with the URL cut to its host, as a response_url is a credential -
        rather than raised: the asker can only be told through this same URL.
        """
        sent = await send_with_text_fallback(self._send, payload, refused=_refusal)
        if sent is None:
            return False
        status, body = sent
        if status == 200:
            return True
        log.warning(
            "could not deliver to the response_url %s: HTTP %s %s",
            redacted_url(self.response_url),
            status,
            body[:200],
        )
        return False

    async def _send(self, payload: dict[str, Any]) -> tuple[int, str] | None:
        try:
            response = await webhook_client(self.response_url).send_dict(payload)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            # aiohttp's message can quote the full URL, so only the type is logged.
            log.warning(
                "could not reach the response_url %s: %s", redacted_url(self.response_url), type(exc).__name__
            )
            return None
        return response.status_code, str(response.body)

    async def send(self, message: SlackMessage, *, private: bool) -> None:
        payload = deliverable(message)
        payload["response_type"] = "ephemeral" if private else "in_channel"
        await self._post(payload)

    async def progress(self, text: str) -> None:
        if self._progress_sent >= self.MAX_PROGRESS:
            return
        self._progress_sent += 1
        await self._post({"response_type": "ephemeral", "text": text})

    async def error(self, message: SlackMessage) -> None:
        payload = deliverable(message)
        payload["response_type"] = "ephemeral"
        await self._post(payload)


class ActionReply(CommandReply):
    """Answers a button click by replacing the clicked card in place (``replace_original``)."""

    MAX_PROGRESS = 0

    async def send(self, message: SlackMessage, *, private: bool) -> None:
        payload = deliverable(message)
        payload["replace_original"] = True
        await self._post(payload)

    async def error(self, message: SlackMessage) -> None:
        payload = deliverable(message)
        payload.update(response_type="ephemeral", replace_original=False)
        await self._post(payload)


class MentionReply:
    """Answers an ``@bot`` mention in its thread; private parts go to the asker only."""

    def __init__(self, client: AsyncWebClient, *, channel: str, thread_ts: str, user: str | None) -> None:
        self.client = client
        self.channel = channel
        self.thread_ts = thread_ts
        self.user = user

    async def _call(self, payload: dict[str, Any], *, private: bool) -> None:
        async def post(message: dict[str, Any]) -> None:
            args = {"channel": self.channel, "thread_ts": self.thread_ts, **message}
            if private and self.user:
                await self.client.chat_postEphemeral(user=self.user, **args)
            else:
                await self.client.chat_postMessage(**args)

        await send_with_text_fallback(post, payload)

    async def send(self, message: SlackMessage, *, private: bool) -> None:
        await self._call(deliverable(message), private=private)

    async def progress(self, text: str) -> None:
        await self._call({"text": text}, private=True)

    async def error(self, message: SlackMessage) -> None:
        await self._call(deliverable(message), private=True)


class ChatUpdateReply:
    """Replaces a card with ``chat.update`` (a click that came without a ``response_url``)."""

    def __init__(self, client: AsyncWebClient, *, channel: str, ts: str, user: str | None) -> None:
        self.client = client
        self.channel = channel
        self.ts = ts
        self.user = user

    async def send(self, message: SlackMessage, *, private: bool) -> None:
        await self.client.chat_update(channel=self.channel, ts=self.ts, **deliverable(message))

    async def progress(self, text: str) -> None:
        return None  # the clicked card stays visible; a second message would be noise

    async def error(self, message: SlackMessage) -> None:
        if self.user:
            await self.client.chat_postEphemeral(channel=self.channel, user=self.user, **deliverable(message))


def in_place_reply(body: dict[str, Any], client: AsyncWebClient) -> Reply | None:
    """A reply that replaces the clicked message, or ``None`` when the click names no message."""
    if body.get("response_url"):
        return ActionReply(str(body["response_url"]))
    container = body.get("container") or {}
    if container.get("channel_id") and container.get("message_ts"):
        user = (body.get("user") or {}).get("id")
        return ChatUpdateReply(client, channel=container["channel_id"], ts=container["message_ts"], user=user)
    return None
