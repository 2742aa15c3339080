"""Slack itself, below everything else in ``bot/``: thin wrappers over slack_sdk that know nothing of
reports, cards or settings.

- :mod:`~bot.slack.web`: the Web API and ``response_url`` clients with the retries we rely on.
- :mod:`~bot.slack.errors`: the one error-code reader, the "blocks refused" codes, advice per code,
  and the send-with-text-fallback helper.
- :mod:`~bot.slack.owners`: HubSpot owners <-> Slack users by e-mail, cached.
- :mod:`~bot.slack.admins`: who may change settings (``ADMIN_USER_IDS``, workspace admins), cached.
- :mod:`~bot.slack.dedupe`: event retries, replayed requests and mentioning messages (an edit re-sends
  the mention), remembered so each is answered once.
- :mod:`~bot.slack.text`: Slack's text markup in, what the person typed out: parsed once, at the edge.
"""

from __future__ import annotations

from bot.slack.admins import AdminDirectory
from bot.slack.dedupe import (
    MENTION_MEMORY,
    REPLAY_WINDOW,
    EventDeduper,
    MemoryEventDeduper,
    MemoryReplayStore,
    ReplayStore,
    mention_key,
)
from bot.slack.errors import (
    BLOCKS_REFUSED,
    send_with_text_fallback,
    slack_advice,
    slack_error_code,
    text_only,
)
from bot.slack.owners import OwnerDirectory, slack_user_id_ok
from bot.slack.web import (
    SlackApiSettings,
    close_response_url_session,
    open_response_url_session,
    redacted_url,
    retry_handlers,
    web_client,
    webhook_client,
)

__all__ = [
    "BLOCKS_REFUSED",
    "MENTION_MEMORY",
    "REPLAY_WINDOW",
    "AdminDirectory",
    "EventDeduper",
    "MemoryEventDeduper",
    "MemoryReplayStore",
    "OwnerDirectory",
    "ReplayStore",
    "SlackApiSettings",
    "close_response_url_session",
    "mention_key",
    "open_response_url_session",
    "redacted_url",
    "retry_handlers",
    "send_with_text_fallback",
    "slack_advice",
    "slack_error_code",
    "slack_user_id_ok",
    "text_only",
    "web_client",
    "webhook_client",
]
