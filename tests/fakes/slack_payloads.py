"""Request bodies in the exact shapes Slack sends, for tests that drive the real app.

Independent of the bot's code on purpose: these encode Slack's documented behaviour, so a test
built from them checks the bot against Slack, not against itself.

Text. Slack entity-escapes ``&``, ``<`` and ``>`` in whatever a person types (slash-command ``text``,
message and ``app_mention`` ``text``) and inserts raw control sequences for mentions, channels and
links. :func:`wire` builds such text from parts: plain ``str`` parts are escaped as Slack escapes
them, :class:`Wire` parts (from :func:`user`, :func:`channel`, :func:`link`, :func:`special`) go in
as they are::

    wire(user("U0BOT", "valuebot"), " growth Renewals & Expansion")
    == "<@U0BOT|valuebot> growth Renewals &amp; Expansion"

Envelopes (dicts; ``json.dumps`` them for the Events API, :func:`form` for commands/interactions):

- :func:`app_mention`: the inner event, with ``edited`` (``{"user", "ts"}``) for an edited message
  and ``bot_id``/``app_id``/``bot_profile`` for a message posted by an app's bot;
- :func:`event_callback`: the outer envelope with its ``event_id``;
- :func:`app_rate_limited`: the notice Slack posts, with no inner event;
- :func:`slash_command`: the form fields of a slash command;
- :func:`block_actions` and :func:`view_submission` (inputs typed, :func:`selected`, :func:`number`):
  interaction payloads.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any
from urllib.parse import urlencode

__all__ = [
    "Wire",
    "app_mention",
    "app_rate_limited",
    "block_actions",
    "channel",
    "event_callback",
    "form",
    "interaction",
    "link",
    "new_event_id",
    "number",
    "selected",
    "slack_escape",
    "slash_command",
    "special",
    "user",
    "view_submission",
    "wire",
]

APP_ID = "A0ENGINE"
VERIFICATION_TOKEN = "legacy-verification-token"


class Wire(str):
    """Text already in Slack's wire form (a control sequence): :func:`wire` leaves it alone."""

    __slots__ = ()


def slack_escape(typed: str) -> str:
    """What Slack does to typed text: ``&``, ``<``, ``>`` to entities (``&`` first), nothing else."""
    return typed.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def wire(*parts: str) -> str:
    """Slack's ``text`` for these parts: plain strings escaped, :class:`Wire` parts verbatim."""
    return "".join(part if isinstance(part, Wire) else slack_escape(part) for part in parts)


def user(user_id: str, name: str | None = None) -> Wire:
    """``<@U…>`` or ``<@U…|name>``."""
    return Wire(f"<@{user_id}|{slack_escape(name)}>" if name else f"<@{user_id}>")


def channel(channel_id: str, name: str | None = None) -> Wire:
    """``<#C…|name>`` or ``<#C…>``."""
    return Wire(f"<#{channel_id}|{slack_escape(name)}>" if name else f"<#{channel_id}>")


def link(url: str, label: str | None = None) -> Wire:
    """``<url>`` or ``<url|label>``; ``&`` in the URL is escaped too, as Slack sends it."""
    target = slack_escape(url)
    return Wire(f"<{target}|{slack_escape(label)}>" if label else f"<{target}>")


def special(command: str, label: str | None = None) -> Wire:
    """``<!here>``, ``<!subteam^S123|@team>``, ``<!date^1392734382^{date}|Feb 18, 2014>``."""
    return Wire(f"<!{command}|{slack_escape(label)}>" if label else f"<!{command}>")


def new_event_id() -> str:
    return "Ev" + uuid.uuid4().hex[:10].upper()


def form(fields: dict[str, Any]) -> str:
    """A form-encoded body: slash commands as fields, interactions as one ``payload`` field."""
    return urlencode(fields)


def slash_command(
    text: str,
    *,
    team_id: str,
    response_url: str,
    command: str = "/engine",
    user_id: str = "U0ASKER",
    user_name: str = "ana",
    channel_id: str = "C0SALES",
    channel_name: str = "sales",
) -> dict[str, str]:
    """The fields Slack posts for ``command text``; ``text`` is already in wire form (see :func:`wire`)."""
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "team_domain": "fake",
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": user_name,
        "command": command,
        "text": text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": f"{uuid.uuid4().int % 10**12}.{uuid.uuid4().int % 10**12}.{uuid.uuid4().hex[:32]}",
    }


def app_mention(
    text: str,
    *,
    team_id: str,
    channel_id: str = "C0SALES",
    ts: str = "1764000000.000100",
    user_id: str = "U0ASKER",
    thread_ts: str | None = None,
    edited_ts: str | None = None,
    bot_id: str | None = None,
    app_id: str | None = None,
) -> dict[str, Any]:
    """The inner ``app_mention`` event; ``text`` in wire form.

    ``edited_ts``: the message was edited then (Slack re-sends the mention with the same ``ts``, an
    ``edited`` field and, in its envelope, a new ``event_id``). ``bot_id``: an app's bot posted it
    (Slack then also sends ``app_id`` and ``bot_profile``; ``user_id`` is that bot's user).
    """
    event: dict[str, Any] = {
        "type": "app_mention",
        "user": user_id,
        "text": text,
        "ts": ts,
        "team": team_id,
        "channel": channel_id,
        "event_ts": edited_ts or ts,
    }
    if edited_ts is None:
        event["client_msg_id"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{channel_id}/{ts}"))
    else:
        event["edited"] = {"user": user_id, "ts": edited_ts}
    if thread_ts is not None:
        event["thread_ts"] = thread_ts
    if bot_id is not None:
        event["bot_id"] = bot_id
        event["app_id"] = app_id or "A0OTHERAPP"
        event["bot_profile"] = {
            "id": bot_id,
            "app_id": event["app_id"],
            "name": "Other Bot",
            "icons": {},
            "deleted": False,
            "updated": 1700000000,
            "team_id": team_id,
        }
    return event


def event_callback(
    event: dict[str, Any], *, team_id: str, bot_user_id: str, event_id: str | None = None
) -> dict[str, Any]:
    """The Events API envelope around ``event``."""
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or new_event_id(),
        "event_time": int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": "4-" + uuid.uuid4().hex[:20],
    }


def app_rate_limited(*, team_id: str, minute_rate_limited: int) -> dict[str, Any]:
    """What Slack posts when it rate-limits the app's event deliveries: no inner ``event``, no
    ``event_id``; ``minute_rate_limited`` is the epoch second of the (rounded) minute it began."""
    return {
        "token": VERIFICATION_TOKEN,
        "type": "app_rate_limited",
        "team_id": team_id,
        "minute_rate_limited": minute_rate_limited,
        "api_app_id": APP_ID,
    }


def block_actions(
    action_id: str,
    value: str,
    *,
    team_id: str,
    response_url: str | None,
    block_id: str = "engine_card_actions",
    user_id: str = "U0ASKER",
    channel_id: str = "C0SALES",
    message_ts: str = "1764000000.000200",
) -> dict[str, Any]:
    """A button click on a message (``value`` comes back exactly as the message set it)."""
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": user_id, "username": "ana", "name": "ana", "team_id": team_id},
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel_id,
            "is_ephemeral": False,
        },
        "trigger_id": f"{uuid.uuid4().int % 10**12}.1.abc",
        "team": {"id": team_id, "domain": "fake"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel_id, "name": "sales"},
        "message": {"type": "message", "ts": message_ts, "text": "card", "bot_id": "B0ENGINE"},
        "state": {"values": {}},
        "actions": [
            {
                "action_id": action_id,
                "block_id": block_id,
                "value": value,
                "type": "button",
                "action_ts": f"{time.time():.6f}",
                "text": {"type": "plain_text", "text": "x", "emoji": True},
            }
        ],
    }
    if response_url is not None:
        payload["response_url"] = response_url
    return payload


def view_submission(
    callback_id: str,
    values: dict[str, dict[str, str | dict[str, Any]]],
    *,
    team_id: str,
    user_id: str = "U0ASKER",
    private_metadata: str = "",
) -> dict[str, Any]:
    """A modal's submit. ``values``: block id -> action id -> what was typed in a
    ``plain_text_input`` (Slack sends it as typed: no entity escaping), or the element's whole state
    as a dict (a select: ``selected(value)``; a number: ``number(typed)``)."""
    view_id = "V" + uuid.uuid4().hex[:10].upper()
    return {
        "type": "view_submission",
        "team": {"id": team_id, "domain": "fake"},
        "user": {"id": user_id, "username": "ana", "name": "ana", "team_id": team_id},
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "trigger_id": f"{uuid.uuid4().int % 10**12}.1.abc",
        "view": {
            "id": view_id,
            "team_id": team_id,
            "type": "modal",
            "blocks": [],
            "private_metadata": private_metadata,
            "callback_id": callback_id,
            "state": {
                "values": {
                    block: {
                        action: typed
                        if isinstance(typed, dict)
                        else {"type": "plain_text_input", "value": typed}
                        for action, typed in inputs.items()
                    }
                    for block, inputs in values.items()
                }
            },
            "hash": f"{int(time.time())}.{uuid.uuid4().hex[:8]}",
            "title": {"type": "plain_text", "text": "Value Engine", "emoji": True},
            "clear_on_close": False,
            "notify_on_close": False,
            "close": None,
            "submit": {"type": "plain_text", "text": "Save", "emoji": True},
            "previous_view_id": None,
            "root_view_id": view_id,
            "app_id": APP_ID,
            "external_id": "",
            "app_installed_team_id": team_id,
            "bot_id": "B0ENGINE",
        },
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }


def selected(value: str | None, label: str = "x") -> dict[str, Any]:
    """A ``static_select``'s state in a submitted view (``None``: nothing chosen)."""
    option = None if value is None else {"text": {"type": "plain_text", "text": label}, "value": value}
    return {"type": "static_select", "selected_option": option}


def number(typed: str | None) -> dict[str, Any]:
    """A ``number_input``'s state in a submitted view: the text typed (``None``: empty)."""
    return {"type": "number_input", "value": typed}


def interaction(payload: dict[str, Any]) -> str:
    """The form body Slack posts for an interaction: one ``payload`` field holding the JSON."""
    return form({"payload": json.dumps(payload)})
