"""Requests no listener takes: acknowledged with 200 and a log line where Slack would count a 404.

Bolt answers 404 to a request no listener matched. For these Slack sends, a non-2xx answer is worse
than useless:

- ``app_rate_limited``: Slack's notice that it is dropping our event deliveries (more than 30,000 an
  hour from one workspace). It has no inner event, so no ``app.event`` listener can take it, and a
  non-2xx answer counts as one more failed delivery. Logged as a warning naming the minute.
- ``block_actions`` whose ``action_id`` no listener knows: a button on an old message whose id a
  later version renamed. The person sees a warning icon on the button if Slack gets no 2xx.
- ``view_submission`` whose ``callback_id`` no listener knows: an old modal; an empty 200 closes it.
- an ``event_callback`` of a type no listener takes (a subscription added in the app's settings
  before the code that handles it): Slack disables event subscriptions that fail too often.

The app is built with ``raise_error_for_unhandled_request=True`` so every unmatched request reaches
:func:`handle_errors` (Bolt's documented hook, independent of the order listeners are registered
in); anything else unmatched keeps Bolt's 404 and its warning. Exceptions raised by listeners reach
the same hook and are logged as Bolt's default handler logs them.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from slack_bolt.error import BoltUnhandledRequestError
from slack_bolt.response import BoltResponse

__all__ = ["handle_errors", "rate_limited_minute"]

log = logging.getLogger(__name__)


def rate_limited_minute(value: Any) -> str:
    """``minute_rate_limited`` (epoch seconds, rounded to the minute) as ``2018-02-12 20:37 UTC``."""
    try:
        return datetime.fromtimestamp(int(value), tz=UTC).strftime("%Y-%m-%d %H:%M UTC")
    except (TypeError, ValueError, OverflowError, OSError):
        return f"an unreadable minute ({str(value)[:40]!r})"


def _ids(items: Any, key: str) -> str:
    if not isinstance(items, list):
        return "?"
    return ", ".join(str(item.get(key, "?"))[:255] for item in items if isinstance(item, dict)) or "?"


def _unhandled(body: dict[str, Any]) -> BoltResponse | None:
    """The 200 for a request kind listed in the module docstring (logged), else ``None``."""
    kind = body.get("type")
    if kind == "app_rate_limited":
        log.warning(
            "Slack is rate limiting event deliveries to this app for team %s since %s "
            "(app_rate_limited: over 30,000 events an hour from one workspace); events are being dropped",
            str(body.get("team_id", "?"))[:40],
            rate_limited_minute(body.get("minute_rate_limited")),
        )
        return BoltResponse(status=200, body="")
    if kind == "event_callback":
        event = body.get("event")
        name = str(event.get("type", "?"))[:60] if isinstance(event, dict) else "?"
        log.info("acknowledged a %s event that no listener handles", name)
        return BoltResponse(status=200, body="")
    if kind == "block_actions":
        log.info(
            "acknowledged a click on %s that no listener handles (a button on an old message?)",
            _ids(body.get("actions"), "action_id"),
        )
        return BoltResponse(status=200, body="")
    if kind == "view_submission":
        view = body.get("view")
        callback = str(view.get("callback_id", "?"))[:255] if isinstance(view, dict) else "?"
        log.info("acknowledged a submit of view %s that no listener handles (an old modal?)", callback)
        return BoltResponse(status=200, body="")
    return None


async def handle_errors(error: Exception, body: dict[str, Any]) -> BoltResponse | None:
    """Bolt's error hook: the 200s above for unmatched requests; listener failures logged."""
    if isinstance(error, BoltUnhandledRequestError):
        answered = _unhandled(body if isinstance(body, dict) else {})
        if answered is None:
            log.warning("no listener handles a %s request: answered 404", str(body.get("type", "?"))[:40])
        return answered
    log.error("a listener failed: %s", type(error).__name__, exc_info=error)
    return None
