"""A loopback HTTP server that behaves like Slack's Web API and its ``response_url`` endpoints.

It serves the Web API methods the bot calls, answers in Slack's JSON envelope (``{"ok": false,
"error": "..."}``), checks the bearer token, checks Block Kit limits on every message and view it
receives the way Slack does (``invalid_blocks``, ``msg_blocks_too_long``), and records every call.
Two ways to run it, like ``FakeHubSpot``::

    async with FakeSlack() as slack:                # inside the test's event loop
        client = AsyncWebClient(token=slack.bot_token, base_url=slack.base_url)
    with FakeSlack.running() as slack:              # in a background thread with its own loop
        ...

Interface (everything a test needs):

- ``slack.base_url``: the Web API base (``http://127.0.0.1:PORT/api/``) for ``SLACK_API_URL``.
- ``slack.new_response_url()``: a fresh ``response_url``; deliveries to it are recorded as calls with
  ``method == "response_url"`` and ``key`` the URL's last segment. Each URL accepts 5 uses, like Slack.
- ``slack.calls`` / ``slack.calls_to("chat.postMessage")`` / ``slack.responses(key=None)``: recorded
  :class:`Call` objects (``method``, ``payload``, ``key``, ``status``, ``at``).
- ``slack.problems``: every Block Kit problem seen in a request (also answered as an error).
- Faults, each for the next ``times`` matching calls: ``slack.rate_limit(method, retry_after=0)`` (429
  with ``Retry-After``), ``slack.server_error(method, status=500)``, ``slack.fail(method, "error_code")``
  (``ok: false`` with that error), ``slack.slow(method, seconds)`` (answers normally, late).
  ``method`` may be ``"response_url"``.
- Channels: ``slack.not_member.add("C1")`` (``not_in_channel`` until ``conversations.join``),
  ``slack.private_channels`` (cannot be joined), ``slack.missing_channels`` (``channel_not_found``).
- Users for ``users.lookupByEmail`` and ``users.info``: ``slack.users["ana@example.com"] = "U123"``, or
  ``slack.add_user("U123", "ana@example.com", deleted=False)`` (``email=None``: a profile without one;
  ``admin=True`` / ``owner=True``: a workspace admin or owner, as ``users.info`` says).
- Views: ``views.open`` / ``views.push`` / ``views.update`` / ``views.publish`` check the view like
  Slack (block limits, 100 blocks, modal title 1-24 characters, ``private_metadata`` <= 3000) and answer
  ``invalid_arguments`` otherwise; ``slack.views`` holds every view by id, ``slack.home_views`` the
  Home tab last published for each user.
- Waiting: ``await slack.wait_for(lambda s: len(s.responses()) >= 2)`` or ``slack.wait_for_sync(...)``.
- Files: ``files.getUploadURLExternal`` hands out an ``upload_url`` on this server; the bytes POSTed
  (or PUT) there must be exactly the announced ``length`` (recorded as calls with ``method ==
  "upload"``); ``files.completeUploadExternal`` finishes it, shares it in ``channel_id`` (``thread_ts``)
  and answers ``files``. ``slack.files`` holds every completed file by id. ``slack.missing_scopes.add(
  "files:write")`` makes both methods answer ``missing_scope``; ``not_in_channel`` applies to sharing.
  Messages with an ``image`` block are checked like Slack: ``alt_text`` 1-2000, exactly one of
  ``image_url``/``slack_file``, and a ``slack_file`` id must be a completed file shared in the message's
  channel (else ``invalid_blocks``, "invalid slack file").
- Socket Mode: ``apps.connections.open`` (with ``slack.app_token``) hands out a WebSocket URL on the same
  server; ``await slack.socket_send(envelope)`` pushes an envelope to every connected client and
  ``slack.socket_acks`` records what clients sent back (``envelope_id`` plus optional ``payload``).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.support._runners import Loopback, serve_in_thread

__all__ = ["Call", "FakeSlack", "block_problems"]

MESSAGE_MAX_BLOCKS = 50
VIEW_MAX_BLOCKS = 100
MODAL_TITLE_MAX = 24
PRIVATE_METADATA_MAX = 3000
# Slack's msg_blocks_too_long threshold is undocumented (~11-13k characters); we answer it above this.
BLOCKS_TOO_LONG = 12_000
RESPONSE_URL_USES = 5
ALT_TXT_MAX = 1000  # files.getUploadURLExternal: alt_txt_too_large above this
IMAGE_ALT_MAX = 2000
_FILE_ID = re.compile(r"^F[A-Z0-9]{8,}$")
_BLOCK_TYPES = {
    "section",
    "header",
    "context",
    "divider",
    "actions",
    "image",
    "input",
    "rich_text",
    "markdown",
}


@dataclass
class Call:
    """One request the fake received."""

    method: str
    payload: dict[str, Any]
    key: str | None = None
    status: int = 200
    error: str | None = None
    at: float = field(default_factory=time.monotonic)


@dataclass
class _Fault:
    method: str
    kind: str
    times: int
    status: int = 200
    error: str = ""
    retry_after: int = 0
    delay: float = 0.0


def _text(obj: Any) -> str:
    if isinstance(obj, dict) and isinstance(obj.get("text"), str):
        return str(obj["text"])
    return ""


def _element_problems(element: dict[str, Any], where: str) -> list[str]:
    problems = []
    if element.get("type") == "button":
        if not 1 <= len(_text(element.get("text"))) <= 75:
            problems.append(f"{where}: button text must be 1-75 characters")
        if len(str(element.get("value", ""))) > 2000:
            problems.append(f"{where}: button value over 2000")
        if len(str(element.get("url", ""))) > 3000:
            problems.append(f"{where}: button url over 3000")
    if len(str(element.get("action_id", ""))) > 255:
        problems.append(f"{where}: action_id over 255")
    return problems


def _image_problems(block: dict[str, Any], where: str) -> list[str]:
    problems = []
    if not 1 <= len(str(block.get("alt_text", ""))) <= IMAGE_ALT_MAX:
        problems.append(f"{where}: image alt_text must be 1-{IMAGE_ALT_MAX} characters")
    sources = [key for key in ("image_url", "slack_file") if key in block]
    if len(sources) != 1:
        problems.append(f"{where}: image needs exactly one of image_url and slack_file")
    slack_file = block.get("slack_file")
    if slack_file is not None:
        keys = [key for key in ("id", "url") if key in slack_file] if isinstance(slack_file, dict) else []
        if len(keys) != 1:
            problems.append(f"{where}: slack_file needs exactly one of id and url")
        elif keys == ["id"] and not _FILE_ID.match(str(slack_file["id"])):
            problems.append(f"{where}: slack_file id must match ^F[A-Z0-9]{{8,}}$")
    return problems


def block_problems(blocks: Any, *, max_blocks: int = MESSAGE_MAX_BLOCKS) -> list[str]:
    """The Block Kit rules Slack enforces on ``blocks``, as a list of problems (empty: valid)."""
    if not isinstance(blocks, list):
        return ["blocks must be an array"]
    problems = []
    if len(blocks) > max_blocks:
        problems.append(f"{len(blocks)} blocks, at most {max_blocks}")
    action_ids: set[str] = set()
    for i, block in enumerate(blocks):
        where = f"blocks[{i}]"
        if not isinstance(block, dict) or block.get("type") not in _BLOCK_TYPES:
            problems.append(f"{where}: unknown block type")
            continue
        if len(str(block.get("block_id", ""))) > 255:
            problems.append(f"{where}: block_id over 255")
        kind = block["type"]
        if kind == "header":
            text = block.get("text") or {}
            if text.get("type") != "plain_text" or not 1 <= len(_text(text)) <= 150:
                problems.append(f"{where}: header must be plain_text of 1-150 characters")
        elif kind == "section":
            fields = block.get("fields")
            if "text" not in block and not fields:
                problems.append(f"{where}: section needs text or fields")
            if "text" in block and not 1 <= len(_text(block["text"])) <= 3000:
                problems.append(f"{where}: section text must be 1-3000 characters")
            if fields is not None:
                if not 1 <= len(fields) <= 10:
                    problems.append(f"{where}: section must have 1-10 fields")
                problems.extend(
                    f"{where}: field must be 1-2000 characters"
                    for f in fields
                    if not 1 <= len(_text(f)) <= 2000
                )
            if isinstance(block.get("accessory"), dict):
                problems.extend(_element_problems(block["accessory"], where))
        elif kind == "context":
            elements = block.get("elements") or []
            if not 1 <= len(elements) <= 10:
                problems.append(f"{where}: context must have 1-10 elements")
            problems.extend(
                f"{where}: context text must be 1-3000 characters"
                for e in elements
                if e.get("type") in ("mrkdwn", "plain_text") and not 1 <= len(_text(e)) <= 3000
            )
        elif kind == "image":
            problems.extend(_image_problems(block, where))
        elif kind == "actions":
            elements = block.get("elements") or []
            if not 1 <= len(elements) <= 25:
                problems.append(f"{where}: actions must have 1-25 elements")
            for element in elements:
                problems.extend(_element_problems(element, where))
                action_id = element.get("action_id")
                if action_id in action_ids:
                    problems.append(f"{where}: duplicate action_id {action_id}")
                if action_id:
                    action_ids.add(action_id)
    return problems


class FakeSlack(Loopback):
    """Slack's Web API and response URLs on ``127.0.0.1`` (ephemeral port)."""

    def __init__(
        self,
        *,
        bot_token: str = "xoxb-fake-bot-token",  # noqa: S107 - the fake's own made-up token
        team_id: str = "T0FAKE",
        bot_user_id: str = "U0BOT",
        app_token: str = "xapp-1-A0ENGINE-fake-app-token",  # noqa: S107 - the fake's own made-up token
    ) -> None:
        self.bot_token = bot_token
        self.app_token = app_token
        self.socket_acks: list[dict[str, Any]] = []
        self._sockets: list[web.WebSocketResponse] = []
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.calls: list[Call] = []
        self.problems: list[str] = []
        self.users: dict[str, str] = {}
        self.user_records: dict[str, dict[str, Any]] = {}
        self.home_views: dict[str, dict[str, Any]] = {}
        self.not_member: set[str] = set()
        self.private_channels: set[str] = set()
        self.missing_channels: set[str] = set()
        self.messages: dict[tuple[str, str], dict[str, Any]] = {}
        self.views: dict[str, dict[str, Any]] = {}
        self.files: dict[str, dict[str, Any]] = {}
        self.missing_scopes: set[str] = set()
        self._uploads: dict[str, dict[str, Any]] = {}  # upload_url key -> pending upload
        self.base_url = ""
        self.root_url = ""
        self._faults: list[_Fault] = []
        self._uses: dict[str, int] = {}
        self._lock = threading.Lock()
        self._ts = itertools.count(1)

    # ------------------------------------------------------------------ control and inspection

    def rate_limit(self, method: str, *, retry_after: int = 0, times: int = 1) -> None:
        self._faults.append(_Fault(method, "ratelimit", times, retry_after=retry_after))

    def server_error(self, method: str, *, status: int = 500, times: int = 1) -> None:
        self._faults.append(_Fault(method, "status", times, status=status))

    def fail(self, method: str, error: str, *, times: int = 1) -> None:
        self._faults.append(_Fault(method, "error", times, error=error))

    def slow(self, method: str, seconds: float, *, times: int = 1) -> None:
        self._faults.append(_Fault(method, "slow", times, delay=seconds))

    def add_user(
        self,
        user_id: str,
        email: str | None = None,
        *,
        deleted: bool = False,
        admin: bool = False,
        owner: bool = False,
    ) -> None:
        """A workspace member for ``users.info`` (and ``users.lookupByEmail`` when it has an e-mail)."""
        profile: dict[str, Any] = {"real_name": f"User {user_id}"}
        if email is not None:
            profile["email"] = email
            self.users[email.lower()] = user_id
        self.user_records[user_id] = {
            "id": user_id,
            "team_id": self.team_id,
            "deleted": deleted,
            "is_admin": admin or owner,  # Slack marks owners as admins too
            "is_owner": owner,
            "is_primary_owner": False,
            "profile": profile,
        }

    def new_response_url(self) -> str:
        return f"{self.root_url}/response/{uuid.uuid4().hex}"

    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def responses(self, key: str | None = None) -> list[Call]:
        """Successful deliveries to response URLs (to the one ending in ``key``, when given)."""
        with self._lock:
            return [
                c
                for c in self.calls
                if c.method == "response_url" and c.status == 200 and (key is None or c.key == key)
            ]

    def messages_sent(self) -> list[Call]:
        """Every accepted message: chat.postMessage, chat.postEphemeral, chat.update and response URLs."""
        kinds = {"chat.postMessage", "chat.postEphemeral", "chat.update", "response_url"}
        with self._lock:
            return [c for c in self.calls if c.method in kinds and c.status == 200 and c.error is None]

    async def wait_for(
        self,
        predicate: Callable[[FakeSlack], bool],
        timeout: float = 10.0,  # noqa: ASYNC109 - a polling helper for tests; the timeout is the point
    ) -> None:
        deadline = time.monotonic() + timeout
        while not predicate(self):
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting; calls so far: {self.summary()}")
            await asyncio.sleep(0.01)

    def wait_for_sync(self, predicate: Callable[[FakeSlack], bool], timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate(self):
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting; calls so far: {self.summary()}")
            time.sleep(0.01)

    def summary(self) -> list[str]:
        with self._lock:
            return [f"{c.method}:{c.status}:{c.error or 'ok'}" for c in self.calls]

    # ------------------------------------------------------------------ lifecycle

    def _app(self) -> web.Application:
        app = web.Application(client_max_size=4 * 1024**2)
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)  # slack_sdk sends some methods (users.*) as GET
        app.router.add_post("/response/{key}", self._response_url)
        app.router.add_post("/upload/{key}", self._upload)
        app.router.add_put("/upload/{key}", self._upload)
        app.router.add_get("/socket", self._socket)
        return app

    async def start(self) -> None:
        self.root_url = f"http://127.0.0.1:{await self._listen(self._app())}"
        self.base_url = f"{self.root_url}/api/"

    async def stop(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        await super().stop()

    @classmethod
    @contextlib.contextmanager
    def running(cls, **options: Any) -> Iterator[FakeSlack]:
        """Run the server in a background thread with its own event loop."""
        fake = cls(**options)
        with serve_in_thread(fake, "fake-slack"):
            yield fake

    # ------------------------------------------------------------------ request handling

    def _record(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)

    def _take_fault(self, method: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.method == method and fault.times > 0:
                    fault.times -= 1
                    if fault.times == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    @staticmethod
    def _fault_response(fault: _Fault) -> web.Response:
        if fault.kind == "ratelimit":
            return web.json_response(
                {"ok": False, "error": "ratelimited"},
                status=429,
                headers={"Retry-After": str(fault.retry_after)},
            )
        if fault.kind == "status":
            return web.Response(status=fault.status, text="Internal Server Error")
        return web.json_response({"ok": False, "error": fault.error})

    async def _read(self, request: web.Request) -> dict[str, Any]:
        if request.method == "GET":
            return dict(request.query)
        if request.content_type == "application/json":
            data = await request.json()
            return data if isinstance(data, dict) else {}
        form = await request.post()
        # Slack also takes arguments in the query string (slack_sdk sends conversations.join that way).
        payload: dict[str, Any] = {**request.query, **{k: str(v) for k, v in form.items()}}
        for key in ("blocks", "view", "attachments"):
            if isinstance(payload.get(key), str):
                with contextlib.suppress(ValueError):
                    payload[key] = json.loads(payload[key])
        return payload

    def _check_message(self, payload: dict[str, Any]) -> str | None:
        blocks = payload.get("blocks")
        if blocks is None:
            return None if payload.get("text") else "no_text"
        if len(json.dumps(blocks, ensure_ascii=False)) > BLOCKS_TOO_LONG:
            self.problems.append("blocks too long")
            return "msg_blocks_too_long"
        problems = block_problems(blocks) or self._file_problems(blocks, payload.get("channel"))
        if problems:
            self.problems.extend(problems)
            return "invalid_blocks"
        return None

    def _file_problems(self, blocks: list[Any], channel: Any) -> list[str]:
        """Slack shows a ``slack_file`` only when the file exists, is complete and is shared where the
        message goes (an unshared file is private to its uploader): "invalid slack file" otherwise.
        A response_url message has no channel here, so there the file must be shared somewhere."""
        problems = []
        for i, block in enumerate(blocks):
            slack_file = block.get("slack_file") if isinstance(block, dict) else None
            if not isinstance(slack_file, dict) or "id" not in slack_file:
                continue
            stored = self.files.get(str(slack_file["id"]))
            shared = stored["channels"] if stored is not None else []
            if not shared or (isinstance(channel, str) and channel not in shared):
                problems.append(f"blocks[{i}]: invalid slack file")
        return problems

    def _next_ts(self) -> str:
        return f"1764000000.{next(self._ts):06d}"

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        payload = await self._read(request)
        fault = self._take_fault(method)
        if fault is not None and fault.kind == "slow":
            await asyncio.sleep(fault.delay)
            fault = None
        if fault is not None:
            response = self._fault_response(fault)
            self._record(Call(method, payload, status=response.status, error=fault.error or fault.kind))
            return response
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ").strip() or str(payload.get("token", ""))
        if method == "apps.connections.open":
            if token != self.app_token:
                self._record(Call(method, payload, error="invalid_auth"))
                return web.json_response({"ok": False, "error": "invalid_auth"})
            self._record(Call(method, payload))
            url = self.root_url.replace("http://", "ws://") + "/socket"
            return web.json_response({"ok": True, "url": url})
        if token != self.bot_token:
            self._record(Call(method, payload, error="invalid_auth"))
            return web.json_response({"ok": False, "error": "invalid_auth"})
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        if handler is None:
            self._record(Call(method, payload, error="unknown_method"))
            return web.json_response({"ok": False, "error": "unknown_method"})
        result: dict[str, Any] = handler(payload)
        error = None if result.get("ok") else str(result.get("error"))
        self._record(Call(method, payload, error=error))
        return web.json_response(result)

    def _channel_error(self, channel: Any, *, posting: bool = True) -> str | None:
        if not isinstance(channel, str) or not channel:
            return "channel_not_found"
        if channel in self.missing_channels:
            return "channel_not_found"
        if posting and channel in self.not_member:
            return "not_in_channel"
        return None

    # --- methods (named _m_<method with dots as underscores>)

    def _m_auth_test(self, _: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://fake.slack.com/",
            "team": "Fake Team",
            "user": "valuebot",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": "B0BOT",
            "is_enterprise_install": False,
        }

    def _m_chat_postMessage(self, p: dict[str, Any]) -> dict[str, Any]:
        error = self._channel_error(p.get("channel")) or self._check_message(p)
        if error:
            return {"ok": False, "error": error}
        ts = self._next_ts()
        message = {"type": "message", "ts": ts, "text": p.get("text", ""), "blocks": p.get("blocks", [])}
        if p.get("thread_ts"):
            message["thread_ts"] = p["thread_ts"]
        self.messages[(p["channel"], ts)] = message
        return {"ok": True, "channel": p["channel"], "ts": ts, "message": message}

    def _m_chat_postEphemeral(self, p: dict[str, Any]) -> dict[str, Any]:
        if not p.get("user"):
            return {"ok": False, "error": "user_not_in_channel"}
        error = self._channel_error(p.get("channel")) or self._check_message(p)
        if error:
            return {"ok": False, "error": error}
        return {"ok": True, "message_ts": self._next_ts()}

    def _m_chat_update(self, p: dict[str, Any]) -> dict[str, Any]:
        key = (str(p.get("channel")), str(p.get("ts")))
        if key not in self.messages:
            return {"ok": False, "error": "message_not_found"}
        error = self._check_message(p)
        if error:
            return {"ok": False, "error": error}
        self.messages[key].update(text=p.get("text", ""), blocks=p.get("blocks", []))
        return {"ok": True, "channel": key[0], "ts": key[1], "text": p.get("text", "")}

    def _m_conversations_join(self, p: dict[str, Any]) -> dict[str, Any]:
        channel = p.get("channel")
        error = self._channel_error(channel, posting=False)
        if error:
            return {"ok": False, "error": error}
        if channel in self.private_channels:
            return {"ok": False, "error": "method_not_supported_for_channel_type"}
        self.not_member.discard(str(channel))
        return {"ok": True, "channel": {"id": channel, "is_member": True}}

    def _scope_error(self, scope: str) -> dict[str, Any] | None:
        if scope in self.missing_scopes:
            return {"ok": False, "error": "missing_scope", "needed": scope, "provided": "chat:write,commands"}
        return None

    def _m_files_getUploadURLExternal(self, p: dict[str, Any]) -> dict[str, Any]:
        refused = self._scope_error("files:write")
        if refused:
            return refused
        filename = str(p.get("filename", ""))
        try:
            length = int(p.get("length", 0))
        except (TypeError, ValueError):
            length = 0
        if not filename or length <= 0:
            return {"ok": False, "error": "missing_argument"}  # what Slack answers for length 0
        if len(str(p.get("alt_txt", ""))) > ALT_TXT_MAX:
            return {"ok": False, "error": "alt_txt_too_large"}
        file_id = "F" + uuid.uuid4().hex[:10].upper()
        key = uuid.uuid4().hex
        self._uploads[key] = {
            "id": file_id,
            "name": filename,
            "length": length,
            "alt_txt": p.get("alt_txt"),
            "content": None,
        }
        return {"ok": True, "upload_url": f"{self.root_url}/upload/{key}", "file_id": file_id}

    def _m_files_completeUploadExternal(self, p: dict[str, Any]) -> dict[str, Any]:
        refused = self._scope_error("files:write")
        if refused:
            return refused
        try:
            wanted = json.loads(str(p.get("files", "")))
        except ValueError:
            return {"ok": False, "error": "invalid_arguments"}
        if not isinstance(wanted, list) or not wanted:
            return {"ok": False, "error": "invalid_arguments"}
        channel, thread_ts = p.get("channel_id"), p.get("thread_ts")
        if thread_ts and not channel:
            return {"ok": False, "error": "invalid_arguments"}
        if channel:
            error = self._channel_error(channel)
            if error:
                return {"ok": False, "error": error}
            if thread_ts and (channel, thread_ts) not in self.messages:
                return {"ok": False, "error": "invalid_thread_ts"}
        pending = {u["id"]: (key, u) for key, u in self._uploads.items()}
        done = []
        for item in wanted:
            found = pending.get(str(item.get("id"))) if isinstance(item, dict) else None
            if found is None or found[1]["content"] is None:
                return {"ok": False, "error": "file_not_found"}
        for item in wanted:
            key, upload = pending[str(item["id"])]
            del self._uploads[key]
            stored = {
                "id": upload["id"],
                "name": upload["name"],
                "title": item.get("title") or upload["name"],
                "mimetype": "image/png" if upload["name"].endswith(".png") else "application/octet-stream",
                "size": upload["length"],
                "alt_txt": upload["alt_txt"],
                "content": upload["content"],
                "channels": [channel] if channel else [],
                "thread_ts": thread_ts,
            }
            self.files[stored["id"]] = stored
            done.append({k: v for k, v in stored.items() if k != "content"})
        return {"ok": True, "files": done}

    async def _upload(self, request: web.Request) -> web.Response:
        """The ``upload_url`` of files.getUploadURLExternal: raw bytes (or a multipart ``file``)."""
        key = request.match_info["key"]
        upload = self._uploads.get(key)
        if request.content_type.startswith("multipart/"):
            form = await request.post()
            part = form.get("file") or form.get("filename")
            body = part.file.read() if isinstance(part, web.FileField) else b""
        else:
            body = await request.read()
        if upload is None or upload["content"] is not None:
            self._record(Call("upload", {"size": len(body)}, key=key, status=404, error="unknown_upload"))
            return web.Response(status=404, text="unknown upload")
        if len(body) != upload["length"]:
            self._record(Call("upload", {"size": len(body)}, key=key, status=400, error="length_mismatch"))
            return web.Response(status=400, text=f"expected {upload['length']} bytes, got {len(body)}")
        upload["content"] = body
        self._record(
            Call("upload", {"size": len(body), "file_id": upload["id"], "method": request.method}, key=key)
        )
        return web.Response(text=f"OK - {len(body)}")

    def _user(self, user_id: str) -> dict[str, Any] | None:
        record = self.user_records.get(user_id)
        if record is not None:
            return record
        email = next((e for e, uid in self.users.items() if uid == user_id), None)
        if email is None:
            return None
        return {"id": user_id, "team_id": self.team_id, "deleted": False, "profile": {"email": email}}

    def _m_users_lookupByEmail(self, p: dict[str, Any]) -> dict[str, Any]:
        user_id = self.users.get(str(p.get("email", "")).lower())
        user = self._user(user_id) if user_id is not None else None
        if user is None:
            return {"ok": False, "error": "users_not_found"}
        return {"ok": True, "user": user}

    def _m_users_info(self, p: dict[str, Any]) -> dict[str, Any]:
        user = self._user(str(p.get("user", "")))
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": user}

    def _view_problems(self, view: dict[str, Any]) -> list[str]:
        problems = block_problems(view.get("blocks", []), max_blocks=VIEW_MAX_BLOCKS)
        if view.get("type") == "modal":
            title = view.get("title") or {}
            if title.get("type") != "plain_text" or not 1 <= len(_text(title)) <= MODAL_TITLE_MAX:
                problems.append(f"modal title must be plain_text of 1-{MODAL_TITLE_MAX} characters")
            for key in ("close", "submit"):
                if key in view and not 1 <= len(_text(view[key])) <= MODAL_TITLE_MAX:
                    problems.append(f"modal {key} must be 1-{MODAL_TITLE_MAX} characters")
        if len(str(view.get("private_metadata", ""))) > PRIVATE_METADATA_MAX:
            problems.append(f"private_metadata over {PRIVATE_METADATA_MAX}")
        if len(str(view.get("callback_id", ""))) > 255:
            problems.append("callback_id over 255")
        return problems

    def _view_result(self, view: Any, view_id: str | None = None) -> dict[str, Any]:
        if not isinstance(view, dict) or view.get("type") not in ("modal", "home"):
            return {"ok": False, "error": "invalid_arguments"}
        problems = self._view_problems(view)
        if problems:
            self.problems.extend(problems)
            return {"ok": False, "error": "invalid_arguments"}
        view_id = view_id or f"V{uuid.uuid4().hex[:10].upper()}"
        stored = {**view, "id": view_id, "hash": uuid.uuid4().hex[:12]}
        self.views[view_id] = stored
        return {"ok": True, "view": stored}

    def _m_views_open(self, p: dict[str, Any]) -> dict[str, Any]:
        if not p.get("trigger_id"):
            return {"ok": False, "error": "invalid_trigger_id"}
        return self._view_result(p.get("view"))

    def _m_views_push(self, p: dict[str, Any]) -> dict[str, Any]:
        if not p.get("trigger_id"):
            return {"ok": False, "error": "invalid_trigger_id"}
        return self._view_result(p.get("view"))

    def _m_views_update(self, p: dict[str, Any]) -> dict[str, Any]:
        view_id = str(p.get("view_id", ""))
        if view_id not in self.views:
            return {"ok": False, "error": "not_found"}
        if p.get("hash") and p["hash"] != self.views[view_id]["hash"]:
            return {"ok": False, "error": "hash_conflict"}
        return self._view_result(p.get("view"), view_id)

    def _m_views_publish(self, p: dict[str, Any]) -> dict[str, Any]:
        user_id = p.get("user_id")
        if not user_id:
            return {"ok": False, "error": "invalid_arguments"}
        view = p.get("view")
        if isinstance(view, dict) and view.get("type") != "home":
            return {"ok": False, "error": "invalid_arguments"}
        current = self.home_views.get(str(user_id))
        if p.get("hash") and current is not None and p["hash"] != current["hash"]:
            return {"ok": False, "error": "hash_conflict"}
        result = self._view_result(view, current["id"] if current is not None else None)
        if result.get("ok"):
            self.home_views[str(user_id)] = result["view"]
        return result

    @property
    def socket_count(self) -> int:
        """How many Socket Mode clients are connected."""
        return len(self._sockets)

    async def socket_send(self, envelope: dict[str, Any]) -> None:
        """Push one Socket Mode envelope to every connected client."""
        for ws in list(self._sockets):
            await ws.send_json(envelope)

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(heartbeat=None)
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_json(
            {
                "type": "hello",
                "num_connections": len(self._sockets),
                "connection_info": {"app_id": "A0ENGINE"},
            }
        )
        try:
            async for message in ws:
                if message.type.name != "TEXT":
                    continue
                data = json.loads(message.data)
                if isinstance(data, dict) and "envelope_id" in data:
                    with self._lock:
                        self.socket_acks.append(data)
        finally:
            self._sockets.remove(ws)
        return ws

    async def _response_url(self, request: web.Request) -> web.Response:
        key = request.match_info["key"]
        try:
            payload = await request.json()
        except ValueError:
            self._record(Call("response_url", {}, key=key, status=400, error="invalid_payload"))
            return web.Response(status=400, text="invalid_payload")
        fault = self._take_fault("response_url")
        if fault is not None and fault.kind == "slow":
            await asyncio.sleep(fault.delay)
            fault = None
        if fault is not None:
            # Slack answers response_url errors as a status code with the error as plain text.
            if fault.kind == "error":
                response = web.Response(status=400, text=fault.error)
            else:
                response = self._fault_response(fault)
            self._record(Call("response_url", payload, key=key, status=response.status, error=fault.kind))
            return response
        with self._lock:
            self._uses[key] = self._uses.get(key, 0) + 1
            uses = self._uses[key]
        if uses > RESPONSE_URL_USES:
            self._record(Call("response_url", payload, key=key, status=404, error="used_too_many_times"))
            return web.Response(status=404, text="used_too_many_times")
        error = self._check_message(payload)
        if error:
            self._record(Call("response_url", payload, key=key, status=400, error=error))
            return web.Response(status=400, text=error)
        self._record(Call("response_url", payload, key=key))
        return web.Response(text="ok")
