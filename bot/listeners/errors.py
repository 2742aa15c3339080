"""Naming a failed Slack call in a log line: its error code, never the request (which may carry a
user's e-mail) and never the token."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError

__all__ = ["slack_error"]


def slack_error(exc: Exception) -> str:
    """Slack's error code (``hash_conflict``, ``expired_trigger_id``...) or the exception's type.

    ``SlackResponse.get`` raises on a body that is not JSON (a proxy's 502 page), so the response
    data is inspected directly.
    """
    if isinstance(exc, SlackApiError):
        data = getattr(exc.response, "data", None)
        code = data.get("error") if isinstance(data, dict) else None
        if isinstance(code, str) and code:
            return code
        return f"http_{getattr(exc.response, 'status_code', '?')}"
    return type(exc).__name__
