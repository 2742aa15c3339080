"""Drive the real Bolt app over HTTP on loopback with requests signed exactly as Slack signs them.

``BotHarness`` builds the app the way ``engine-bot serve`` does (settings -> deps -> ``build_app`` ->
``bot.runtime.http.http_app``), serves it on an ephemeral 127.0.0.1 port and sends slash commands,
``app_mention`` and ``app_home_opened`` events and ``block_actions`` (from messages, modals and the
Home tab) the way Slack does: form-encoded bodies for commands and interactions, JSON for events,
``X-Slack-Request-Timestamp`` and ``X-Slack-Signature`` = ``v0=`` + hex HMAC-SHA256 of
``v0:{timestamp}:{raw body}`` with the signing secret.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web

from bot.answers.answering import BotDeps, ChangeSource
from bot.answers.service import ReportService
from bot.app import build_app
from bot.runtime import build_owner_directory
from bot.runtime.http import EVENTS_PATH, start_http
from bot.settings import Settings
from engines import SnapshotSource
from tests.support.payloads import check_message, check_view
from tests.support.slack import FakeSlack

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_TOKEN = "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx"


def make_settings(slack: FakeSlack, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "slack_bot_token": BOT_TOKEN,
        "slack_signing_secret": SIGNING_SECRET,
        "slack_api_url": slack.base_url,
        "engine_source": "sample",
        "progress_after_seconds": 4.0,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


def message_ts(event_id: str) -> str:
    """A message ``ts`` (``1764000000.xxxxxx``) that is the same for the same event id."""
    digits = int(hashlib.sha256(event_id.encode()).hexdigest(), 16) % 1_000_000
    return f"1764000000.{digits:06d}"


def sign(body: str, timestamp: int, secret: str = SIGNING_SECRET) -> str:
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


@dataclass
class Sent:
    """What the bot answered on the HTTP request itself (the ack), and how long it took."""

    status: int
    body: str
    headers: dict[str, str]
    seconds: float

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


class BotHarness:
    """The real app on loopback. Use ``async with BotHarness(slack, source) as bot``."""

    def __init__(
        self,
        slack: FakeSlack,
        source: SnapshotSource,
        *,
        progress_after: float = 4.0,
        changes: ChangeSource | None = None,
        **settings: Any,
    ) -> None:
        self.slack = slack
        slack.bot_token = BOT_TOKEN
        self.settings = make_settings(slack, progress_after_seconds=progress_after, **settings)
        self.deps = BotDeps(
            service=ReportService(source),
            progress_after=progress_after,
            owners=build_owner_directory(self.settings),
            changes=changes,
        )
        self.app = build_app(self.settings, self.deps)
        self.url = ""
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> BotHarness:
        self._runner, port = await start_http(
            self.app, signing_secret=SIGNING_SECRET, host="127.0.0.1", port=0
        )
        self.url = f"http://127.0.0.1:{port}"
        self._session = aiohttp.ClientSession()
        return self

    async def __aexit__(self, exc_type: object, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()
        if exc_type is None:
            self.check_everything_sent()

    def check_everything_sent(self) -> None:
        """Every message and view the bot got through to Slack in this test passes every check, and
        Slack never had to refuse one for its blocks. Mentions may only name users Slack knows."""
        assert self.slack.problems == []
        known = frozenset(self.slack.users.values()) | frozenset(self.slack.user_records)
        for call in self.slack.messages_sent():
            check_message(call.payload, allowed_mentions=known)
        for method in ("views.open", "views.update", "views.publish"):
            for call in self.slack.calls_to(method):
                if call.error is None:
                    check_view(call.payload["view"], allowed_mentions=known)

    # ------------------------------------------------------------------ raw sending

    async def post(
        self,
        body: str,
        content_type: str,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        signed: bool = True,
        extra_headers: dict[str, str] | None = None,
        path: str = EVENTS_PATH,
    ) -> Sent:
        assert self._session is not None
        ts = int(time.time()) if timestamp is None else timestamp
        headers = {"Content-Type": content_type}
        if signed:
            headers["X-Slack-Request-Timestamp"] = str(ts)
            headers["X-Slack-Signature"] = signature or sign(body, ts)
        headers.update(extra_headers or {})
        started = time.monotonic()
        async with self._session.post(self.url + path, data=body.encode(), headers=headers) as response:
            text = await response.text()
            return Sent(response.status, text, dict(response.headers), time.monotonic() - started)

    async def get(self, path: str) -> Sent:
        assert self._session is not None
        started = time.monotonic()
        async with self._session.get(self.url + path) as response:
            return Sent(
                response.status, await response.text(), dict(response.headers), time.monotonic() - started
            )

    # ------------------------------------------------------------------ Slack-shaped requests

    def command_body(
        self, text: str, response_url: str, *, user: str = "U0ASKER", channel: str = "C0SALES"
    ) -> str:
        return urlencode(
            {
                "token": "legacy-verification-token",
                "team_id": self.slack.team_id,
                "team_domain": "fake",
                "channel_id": channel,
                "channel_name": "sales",
                "user_id": user,
                "user_name": "ana",
                "command": "/engine",
                "text": text,
                "api_app_id": "A0ENGINE",
                "is_enterprise_install": "false",
                "response_url": response_url,
                "trigger_id": f"{uuid.uuid4().int % 10**12}.1.abc",
            }
        )

    async def command(self, text: str, *, response_url: str | None = None, **kw: Any) -> tuple[Sent, str]:
        """Send ``/engine text``; returns the ack and the response URL key the card will go to."""
        url = response_url or self.slack.new_response_url()
        sent = await self.post(self.command_body(text, url), "application/x-www-form-urlencoded", **kw)
        return sent, url.rsplit("/", 1)[-1]

    def mention_body(
        self,
        text: str,
        *,
        event_id: str,
        channel: str = "C0SALES",
        ts: str | None = None,
        **event: Any,
    ) -> str:
        """An ``app_mention`` envelope. Without ``ts``, each event id is its own message (Slack's
        retries of one event share it; another event with the same ``ts`` would be an edit of it)."""
        ts = ts or message_ts(event_id)
        return json.dumps(
            {
                "token": "legacy-verification-token",
                "team_id": self.slack.team_id,
                "api_app_id": "A0ENGINE",
                "event": {
                    "type": "app_mention",
                    "user": "U0ASKER",
                    "text": f"<@{self.slack.bot_user_id}> {text}",
                    "ts": ts,
                    "channel": channel,
                    "event_ts": ts,
                    **event,
                },
                "type": "event_callback",
                "event_id": event_id,
                "event_time": int(time.time()),
                "authorizations": [
                    {"team_id": self.slack.team_id, "user_id": self.slack.bot_user_id, "is_bot": True}
                ],
            }
        )

    async def mention(self, text: str, *, event_id: str, retry: int | None = None, **event: Any) -> Sent:
        headers = {}
        if retry is not None:
            headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        body = self.mention_body(text, event_id=event_id, **event)
        return await self.post(body, "application/json", extra_headers=headers)

    def action_body(
        self, action_id: str, value: str, *, response_url: str | None, channel: str = "C0SALES", ts: str = "1"
    ) -> str:
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": {"id": "U0ASKER", "username": "ana", "team_id": self.slack.team_id},
            "api_app_id": "A0ENGINE",
            "token": "legacy-verification-token",
            "container": {"type": "message", "message_ts": ts, "channel_id": channel, "is_ephemeral": False},
            "trigger_id": "123.456.abc",
            "team": {"id": self.slack.team_id, "domain": "fake"},
            "channel": {"id": channel, "name": "sales"},
            "message": {"type": "message", "ts": ts, "text": "card"},
            "actions": [
                {
                    "action_id": action_id,
                    "block_id": "engine_card_actions",
                    "value": value,
                    "type": "button",
                    "action_ts": str(time.time()),
                    "text": {"type": "plain_text", "text": "x"},
                }
            ],
        }
        if response_url is not None:
            payload["response_url"] = response_url
        return urlencode({"payload": json.dumps(payload)})

    async def click(self, action_id: str, value: str, *, response_url: str | None, **kw: Any) -> Sent:
        body = self.action_body(action_id, value, response_url=response_url, **kw)
        return await self.post(body, "application/x-www-form-urlencoded")

    def view_action_body(
        self,
        action_id: str,
        *,
        view: dict[str, Any],
        value: str | None = None,
        selected: str | None = None,
        user: str = "U0ASKER",
        trigger_id: str = "123.456.view",
    ) -> str:
        """A ``block_actions`` payload from inside a modal or the Home tab (``view`` as Slack stored
        it, with ``id`` and ``hash``): no channel, no response URL, the view instead."""
        action: dict[str, Any] = {
            "action_id": action_id,
            "block_id": "b",
            "action_ts": str(time.time()),
        }
        if selected is not None:
            action.update(
                type="static_select",
                selected_option={"text": {"type": "plain_text", "text": "x"}, "value": selected},
            )
        else:
            action.update(type="button", value=value or "", text={"type": "plain_text", "text": "x"})
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": {"id": user, "username": "ana", "team_id": self.slack.team_id},
            "api_app_id": "A0ENGINE",
            "token": "legacy-verification-token",
            "container": {"type": "view", "view_id": view.get("id")},
            "trigger_id": trigger_id,
            "team": {"id": self.slack.team_id, "domain": "fake"},
            "view": view,
            "actions": [action],
        }
        return urlencode({"payload": json.dumps(payload)})

    async def click_in_view(self, action_id: str, *, view: dict[str, Any], **kw: Any) -> Sent:
        body = self.view_action_body(action_id, view=view, **kw)
        return await self.post(body, "application/x-www-form-urlencoded")

    def home_opened_body(
        self, *, user: str, event_id: str, tab: str = "home", view: dict[str, Any] | None = None
    ) -> str:
        event: dict[str, Any] = {
            "type": "app_home_opened",
            "user": user,
            "channel": "D0HOME",
            "tab": tab,
            "event_ts": f"{time.time():.6f}",
        }
        if view is not None:
            event["view"] = view
        return json.dumps(
            {
                "token": "legacy-verification-token",
                "team_id": self.slack.team_id,
                "api_app_id": "A0ENGINE",
                "event": event,
                "type": "event_callback",
                "event_id": event_id,
                "event_time": int(time.time()),
                "authorizations": [
                    {"team_id": self.slack.team_id, "user_id": self.slack.bot_user_id, "is_bot": True}
                ],
            }
        )

    async def home_opened(self, *, user: str, event_id: str, retry: int | None = None, **kw: Any) -> Sent:
        headers = {}
        if retry is not None:
            headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        body = self.home_opened_body(user=user, event_id=event_id, **kw)
        return await self.post(body, "application/json", extra_headers=headers)
