"""Who may change the bot's settings from Slack: the people in ``ADMIN_USER_IDS``, and the
workspace's admins and owners (``users.info``: ``is_admin``, ``is_owner``, ``is_primary_owner``).

The answer is cached briefly (``ttl``, a minute by default) per user: opening the settings modal and
saving it ask twice within seconds, and a view submission must be acknowledged within 3 seconds, so
the second answer should not cost a Slack call. A demoted admin loses the right within ``ttl``.

When Slack cannot say (rate limit, network, revoked token), the answer is *no* and it is not cached:
changing settings is never granted on a failure, and the next try asks again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable

import aiohttp
from slack_sdk.errors import SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.errors import slack_error_code

__all__ = ["ADMIN_TTL", "AdminDirectory"]

log = logging.getLogger(__name__)

ADMIN_TTL = 60.0
_FAILURES = (SlackClientError, aiohttp.ClientError, TimeoutError, OSError, ValueError)
_MAX_ENTRIES = 10_000


class AdminDirectory:
    """``await admins.can_change_settings(client, "U123")``: True for a listed or workspace admin."""

    def __init__(
        self,
        admin_user_ids: Iterable[str] = (),
        *,
        ttl: float = ADMIN_TTL,
        timeout: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.listed = frozenset(admin_user_ids)
        self.ttl = ttl
        self.timeout = timeout
        self._clock = clock
        self._cache: dict[str, tuple[bool, float]] = {}

    async def can_change_settings(self, client: AsyncWebClient, user_id: str | None) -> bool:
        if not user_id:
            return False
        if user_id in self.listed:
            return True
        now = self._clock()
        cached = self._cache.get(user_id)
        if cached is not None and cached[1] > now:
            return cached[0]
        try:
            response = await asyncio.wait_for(client.users_info(user=user_id), self.timeout)
        except _FAILURES as exc:
            code = slack_error_code(exc)
            log.warning("users.info failed (%s): settings stay read-only for this request", code)
            return False
        user = response.get("user") or {}
        allowed = not user.get("deleted") and any(
            bool(user.get(flag)) for flag in ("is_admin", "is_owner", "is_primary_owner")
        )
        if len(self._cache) >= _MAX_ENTRIES:
            self._cache.clear()
        self._cache[user_id] = (allowed, now + self.ttl)
        return allowed
