"""HubSpot owners <-> Slack users, matched by e-mail and cached.

At-risk lists and deal cards mention the owner (``<@U…>``) when their HubSpot e-mail belongs to a
Slack user, and show the escaped owner name otherwise. App Home needs the reverse: the viewer's
e-mail, to find "my deals at risk".

Why the cache looks like this:

- A card lists up to dozens of owners and is re-rendered on every click; ``users.lookupByEmail`` and
  ``users.info`` are Tier 3/4 methods, so hits *and* misses (``users_not_found``) are kept for
  ``ttl`` seconds. Misses matter as much as hits: most CRM owners are not in every workspace.
- It is bounded (``max_entries``, oldest evicted first) because owner e-mails come from the CRM and a
  long-running process must not grow without limit.
- Lookups are single-flight per key: ten rows with the same owner rendered at once make one call.
- A Slack failure (rate limit, network, revoked token) never breaks a card: the lookup logs the error
  code (never the token, never the e-mail) and returns ``None``, so the name is shown instead. Failures
  are remembered for ``error_ttl`` seconds (or Slack's ``Retry-After``) so an outage is not hammered.
- Each call is bounded by ``timeout`` seconds, whatever retry handlers the client has: a mention is
  not worth holding a card for. Give the directory a client without the rate-limit retry handler
  (which sleeps ``Retry-After`` inside the call), or that sleep is cut short by this timeout.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.errors import slack_error_code

__all__ = ["OwnerDirectory", "slack_user_id_ok"]

log = logging.getLogger(__name__)

_NOT_FOUND = frozenset({"users_not_found", "user_not_found"})
# What a Web API call can fail with: Slack's answer (SlackApiError is a SlackClientError), the transport,
# a timeout, or a body that is not JSON. A lookup catches exactly these; anything else is a bug.
_FAILURES = (SlackClientError, aiohttp.ClientError, TimeoutError, OSError, ValueError)


# Slack user ids: U… for users, W… for Enterprise Grid users. Nothing else goes inside <@…>.
_USER_ID = re.compile(r"[UW][A-Z0-9]{2,30}")


def slack_user_id_ok(user_id: str | None) -> bool:
    """True for a well-formed Slack user id (what may go inside ``<@…>``)."""
    return user_id is not None and _USER_ID.fullmatch(user_id) is not None


@dataclass(slots=True)
class _Entry:
    value: str | None
    expires_at: float


class _TtlCache:
    """An insertion-ordered map whose entries expire; the oldest goes when it is full."""

    def __init__(self, max_entries: int, clock: Callable[[], float]) -> None:
        self._data: OrderedDict[str, _Entry] = OrderedDict()
        self._max = max_entries
        self._clock = clock

    def get(self, key: str) -> _Entry | None:
        entry = self._data.get(key)
        if entry is None:
            return None
        if entry.expires_at <= self._clock():
            del self._data[key]
            return None
        return entry

    def put(self, key: str, value: str | None, ttl: float) -> None:
        self._data.pop(key, None)
        self._data[key] = _Entry(value, self._clock() + ttl)
        while len(self._data) > self._max:
            self._data.popitem(last=False)

    def __len__(self) -> int:
        return len(self._data)


class OwnerDirectory:
    """Maps e-mails to Slack user ids and back, via the Slack Web API, with a shared bounded cache."""

    def __init__(
        self,
        client: AsyncWebClient,
        *,
        ttl: float = 3600,
        max_entries: int = 10_000,
        error_ttl: float = 30,
        timeout: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self._client = client
        self._ttl = ttl
        self._error_ttl = error_ttl
        self._timeout = timeout
        self._by_email = _TtlCache(max_entries, clock)
        self._by_user = _TtlCache(max_entries, clock)
        self._inflight: dict[tuple[str, str], asyncio.Future[str | None]] = {}

    # ------------------------------------------------------------------ public API

    async def slack_user_id(self, email: str | None) -> str | None:
        """The Slack user id whose e-mail is ``email``, or ``None`` (no e-mail, no user, Slack error)."""
        key = (email or "").strip().casefold()
        if not key or "@" not in key:
            return None
        return await self._lookup(self._by_email, "email", key, self._fetch_user_id)

    async def slack_user_ids(self, emails: Iterable[str | None]) -> dict[str, str]:
        """Resolve many e-mails at once: ``{casefolded e-mail: user id}`` for the ones that matched.

        This is the shape the view builders take (``slack_ids``), so a page of rows is one gather.
        """
        keys = sorted({(e or "").strip().casefold() for e in emails} - {""})
        found = await asyncio.gather(*(self.slack_user_id(k) for k in keys))
        return {k: uid for k, uid in zip(keys, found, strict=True) if uid}

    async def email_for_user(self, user_id: str | None) -> str | None:
        """The e-mail on a Slack user's profile (needs ``users:read.email``), or ``None``."""
        if user_id is None or not slack_user_id_ok(user_id):
            return None
        return await self._lookup(self._by_user, "user", user_id, self._fetch_email)

    # ------------------------------------------------------------------ internals

    async def _lookup(
        self,
        cache: _TtlCache,
        kind: str,
        key: str,
        fetch: Callable[[str], Awaitable[tuple[str | None, float]]],
    ) -> str | None:
        entry = cache.get(key)
        if entry is not None:
            return entry.value
        flight_key = (kind, key)
        future = self._inflight.get(flight_key)
        if future is None:
            future = asyncio.ensure_future(self._load(cache, key, fetch))
            self._inflight[flight_key] = future
            future.add_done_callback(lambda _f: self._inflight.pop(flight_key, None))
        # shield: one impatient caller being cancelled must not cancel the lookup the others await.
        return await asyncio.shield(future)

    async def _load(
        self,
        cache: _TtlCache,
        key: str,
        fetch: Callable[[str], Awaitable[tuple[str | None, float]]],
    ) -> str | None:
        value, ttl = await fetch(key)
        cache.put(key, value, ttl)
        return value

    async def _fetch_user_id(self, email: str) -> tuple[str | None, float]:
        try:
            async with asyncio.timeout(self._timeout):
                response = await self._client.users_lookupByEmail(email=email)
        except _FAILURES as exc:
            return self._on_error("users.lookupByEmail", exc)
        user = response.get("user")
        if not isinstance(user, dict) or user.get("deleted"):
            # A deactivated account cannot be notified; show the owner's name instead.
            return None, self._ttl
        user_id = user.get("id")
        return (user_id if isinstance(user_id, str) and slack_user_id_ok(user_id) else None), self._ttl

    async def _fetch_email(self, user_id: str) -> tuple[str | None, float]:
        try:
            async with asyncio.timeout(self._timeout):
                response = await self._client.users_info(user=user_id)
        except _FAILURES as exc:
            return self._on_error("users.info", exc)
        user = response.get("user")
        profile = user.get("profile") if isinstance(user, dict) else None
        email = profile.get("email") if isinstance(profile, dict) else None
        if isinstance(email, str) and email.strip():
            return email.strip(), self._ttl
        return None, self._ttl

    def _on_error(self, method: str, exc: Exception) -> tuple[str | None, float]:
        """Classify a failed call: a clean miss is cached for ``ttl``, anything else briefly."""
        if isinstance(exc, SlackApiError):
            code = slack_error_code(exc)
            if code in _NOT_FOUND:
                return None, self._ttl
            ttl = self._error_ttl
            if code == "ratelimited":
                ttl = max(ttl, _retry_after(exc))
            # The code only: exception text can echo request details, never the token but still noise.
            log.warning("Slack %s failed: %s; showing owner names instead", method, code)
            return None, ttl
        log.warning("Slack %s failed: %s; showing owner names instead", method, type(exc).__name__)
        return None, self._error_ttl


def _retry_after(exc: SlackApiError) -> float:
    headers = getattr(exc.response, "headers", None) or {}
    raw = headers.get("Retry-After") or headers.get("retry-after")
    try:
        return float(raw) if raw is not None else 0.0
    except (TypeError, ValueError):
        return 0.0
