"""The HubSpot transport: one ``httpx.AsyncClient``, polite pacing, bounded retries, typed errors.

Everything that can go wrong on the wire is decided here, once, so the fetch code above it only ever
sees parsed JSON objects or an :class:`engines.errors.HubSpotError` whose ``user_message`` tells a
RevOps admin what to do. The token lives in a ``SecretStr`` and is only unwrapped inside the auth
hook that sets the ``Authorization`` header, so it cannot leak through a repr, a log line or an error.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import ssl
from collections import Counter
from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

import httpx
from pydantic import SecretStr

from engines.errors import (
    HubSpotAuthError,
    HubSpotBadRequestError,
    HubSpotError,
    HubSpotRateLimitError,
    HubSpotResponseError,
    HubSpotScopeError,
    HubSpotUnavailableError,
)
from engines.hubspot._paths import ApiPaths
from engines.hubspot._ratelimit import SlidingWindowLimiter

__all__ = [
    "DEFAULT_BASE_URL",
    "REQUIRED_SCOPES",
    "BorrowedTransport",
    "ClientStats",
    "HubSpotClient",
    "Pacer",
    "RateLimits",
    "RetryPolicy",
]

log = logging.getLogger("engines.hubspot")

DEFAULT_BASE_URL = "https://api.hubapi.com"

# What the private app must be granted, and which read needs which scope (HubSpot's scope names).
REQUIRED_SCOPES: tuple[str, ...] = ("crm.objects.deals.read", "crm.objects.owners.read")
# Matched on the path's segments, so the v3 and the date-based paths (``_paths``) both resolve.
_SCOPE_BY_PATH: tuple[tuple[tuple[str, str], str, tuple[str, ...]], ...] = (
    (("objects", "deals"), "deals", ("crm.objects.deals.read",)),
    (("pipelines", "deals"), "deal pipelines", ("crm.objects.deals.read",)),
    (("owners", ""), "deal owners", ("crm.objects.owners.read",)),
    (("account-info", ""), "account details", ("oauth",)),
)


# Where a token comes from, said once for every "no token" error: since 26 Oct 2026 new setups use a
# Service Key; tokens of existing legacy private apps keep working (docs/hubspot.md).
MISSING_CREDENTIALS = (
    "No HubSpot access token. Set HUBSPOT_ACCESS_TOKEN to a HubSpot Service Key (Development > Keys > "
    "Service keys) or to the access token of an existing legacy private app."
)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard to try before giving up. Tests pass tiny waits here instead of patching sleeps.

    Faults (5xx, timeouts, dropped connections) are retried up to ``max_attempts`` tries per request
    with full-jitter exponential backoff (``backoff_base * 2**n`` capped at ``backoff_max``), and never
    once the waits would pass ``retry_budget`` seconds. 429s wait as HubSpot says (``Retry-After``
    when sent, else ``secondly_wait`` for the search limit and ``ten_secondly_wait`` for the app
    limit), at most ``max_rate_limit_waits`` times and ``rate_limit_budget`` seconds in all: a person
    waiting in Slack is better served by "try again in a minute" than by a silent five-minute wait.
    """

    max_attempts: int = 5
    backoff_base: float = 0.5
    backoff_max: float = 8.0
    retry_budget: float = 45.0
    max_rate_limit_waits: int = 8
    secondly_wait: float = 1.0
    ten_secondly_wait: float = 10.0
    rate_limit_budget: float = 60.0

    def backoff(self, attempt: int) -> float:
        """Full jitter: spreads retries of many clients instead of synchronising them."""
        return random.uniform(0.0, min(self.backoff_max, self.backoff_base * (2**attempt)))


@dataclass(frozen=True, slots=True)
class RateLimits:
    """HubSpot's limits as this client paces itself against them.

    ``search_per_second`` is the CRM search limit (5 per account). ``app_per_window`` requests per
    ``app_window`` seconds is the private app's burst limit for every other endpoint (100 on
    Free/Starter, 190 on Professional/Enterprise, 250 with the API add-on). ``margin`` seconds are
    added to each window so clock skew between us and HubSpot does not cost a 429.
    """

    search_per_second: int = 5
    app_per_window: int = 100
    app_window: float = 10.0
    margin: float = 0.05


@dataclass(slots=True)
class ClientStats:
    """Counters for benchmarks and operators: what a read cost in requests and waiting."""

    requests: int = 0
    by_endpoint: Counter[str] = field(default_factory=Counter)
    retries: int = 0
    rate_limited: int = 0
    throttle_wait: float = 0.0
    backoff_wait: float = 0.0


class Pacer:
    """The two rolling windows one portal's requests share (search, and everything else).

    Shared by every client that talks to the same portal from the same event loop, so concurrent
    reads together, not each on its own, stay under HubSpot's limits.
    """

    def __init__(self, limits: RateLimits) -> None:
        self.limits = limits
        self.search = SlidingWindowLimiter(limits.search_per_second, 1.0 + limits.margin)
        self.app = SlidingWindowLimiter(limits.app_per_window, limits.app_window + limits.margin)

    def moved(self) -> Pacer:
        """This pacer for another event loop, with the requests already sent still in its windows."""
        other = Pacer(self.limits)
        other.search, other.app = self.search.moved(), self.app.moved()
        return other


class BorrowedTransport(httpx.AsyncBaseTransport):
    """A caller's transport used without taking ownership: closing a client leaves it open.

    The source opens a short-lived client per read; a transport handed in by the caller (a test
    double, a shared pool) must outlive those clients, and the caller closes it.
    """

    def __init__(self, transport: httpx.AsyncBaseTransport) -> None:
        self._transport = transport

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self._transport.handle_async_request(request)

    async def aclose(self) -> None:
        return None


class _BearerAuth(httpx.Auth):
    """Adds the private-app token per request, so it never sits in a client's default headers."""

    def __init__(self, token: SecretStr) -> None:
        self._token = token

    def __repr__(self) -> str:
        return "_BearerAuth(token=SecretStr('**********'))"

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        request.headers["Authorization"] = f"Bearer {self._token.get_secret_value()}"
        yield request


def _endpoint(method: str, path: str) -> str:
    return f"{method} {path}"


def _scope_for(path: str) -> tuple[str, tuple[str, ...]]:
    segments = path.strip("/").split("/")
    for (kind, object_type), what, scopes in _SCOPE_BY_PATH:
        if kind in segments and (not object_type or object_type in segments):
            return what, scopes
    return "data", REQUIRED_SCOPES


def _error_body(response: httpx.Response) -> dict[str, Any]:
    """HubSpot's error envelope, or ``{}``: every field is optional and the body may not be JSON."""
    try:
        body = response.json()
    except (ValueError, UnicodeDecodeError):
        return {}
    return body if isinstance(body, dict) else {}


def _required_scopes(body: Mapping[str, Any]) -> list[str]:
    found: list[str] = []
    errors = body.get("errors")
    for item in errors if isinstance(errors, list) else []:
        context = item.get("context") if isinstance(item, dict) else None
        scopes = context.get("requiredGranularScopes") if isinstance(context, dict) else None
        for scope in scopes if isinstance(scopes, list) else []:
            if isinstance(scope, str) and scope not in found:
                found.append(scope)
    return found


def _retry_after(response: httpx.Response) -> float | None:
    raw = response.headers.get("Retry-After")
    if raw is None:
        return None
    try:
        seconds = float(raw.strip())
    except ValueError:
        return None  # an HTTP-date; HubSpot does not send those, fall back to its policy
    return max(0.0, seconds)


class HubSpotClient:
    """Low-level HubSpot access: JSON in, JSON out, paced, retried and mapped to typed errors.

    Create and use it inside one event loop (httpx clients and asyncio locks are loop-bound).
    ``stats`` counts every HTTP attempt, which is what HubSpot bills against the limits.
    """

    def __init__(
        self,
        token: str | SecretStr,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
        retry: RetryPolicy | None = None,
        limits: RateLimits | None = None,
        pacer: Pacer | None = None,
        stats: ClientStats | None = None,
        ssl_context: ssl.SSLContext | None = None,
        paths: ApiPaths | None = None,
    ) -> None:
        secret = token if isinstance(token, SecretStr) else SecretStr(token)
        if not secret.get_secret_value().strip():
            raise HubSpotAuthError(MISSING_CREDENTIALS)
        self.base_url = base_url.rstrip("/")
        self.paths = paths or ApiPaths()
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.pacer = pacer or Pacer(limits or RateLimits())
        self.limits = self.pacer.limits
        self.stats = stats if stats is not None else ClientStats()
        self._secret = secret
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            auth=_BearerAuth(secret),
            timeout=httpx.Timeout(timeout),
            transport=transport,
            verify=ssl_context if ssl_context is not None else True,
            headers={"Accept": "application/json", "User-Agent": "value-engine-bot"},
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        return f"HubSpotClient(base_url={self.base_url!r}, token=SecretStr('**********'))"

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def get_json(self, path: str, params: Mapping[str, str] | None = None) -> dict[str, Any]:
        response = await self._request("GET", path, params=dict(params or {}), body=None)
        return self._parse(_endpoint("GET", path), response)

    async def post_json(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        response = await self._request("POST", path, params=None, body=dict(body))
        return self._parse(_endpoint("POST", path), response)

    async def post_content(self, path: str, body: Mapping[str, Any]) -> bytes:
        """The raw body of a successful POST, for callers that parse straight into a model (faster)."""
        response = await self._request("POST", path, params=None, body=dict(body))
        return response.content

    # ------------------------------------------------------------------ internals

    def _redact(self, text: str) -> str:
        secret = self._secret.get_secret_value()
        return text.replace(secret, "**********") if secret else text

    async def _request(
        self, method: str, path: str, *, params: dict[str, str] | None, body: dict[str, Any] | None
    ) -> httpx.Response:
        endpoint = _endpoint(method, path)
        limiter = self.pacer.search if path.endswith("/search") else self.pacer.app
        faults = 0
        rate_limit_waits = 0
        rate_limit_spent = 0.0
        backoff_spent = 0.0
        while True:
            self.stats.throttle_wait += await limiter.acquire()
            self.stats.requests += 1
            self.stats.by_endpoint[endpoint] += 1
            try:
                response = await self._http.request(method, path, params=params, json=body)
            except httpx.TimeoutException:
                failure = f"no answer within {self.timeout:g} s"
            except httpx.TransportError as exc:
                failure = f"connection problem ({type(exc).__name__})"
            else:
                status = response.status_code
                if 200 <= status < 300:
                    return response
                if status == 429:
                    rate_limit_waits += 1
                    wait = self._rate_limit_wait(endpoint, response, rate_limit_waits, rate_limit_spent)
                    rate_limit_spent += wait
                    self.stats.rate_limited += 1
                    log.info("HubSpot rate limit on %s; waiting %.2f s", endpoint, wait)
                    limiter.block(wait)
                    continue
                if status < 500:
                    raise self._client_error(endpoint, path, response)
                failure = f"HTTP {status}"
            faults += 1
            delay = self.retry.backoff(faults - 1)
            if faults >= self.retry.max_attempts or backoff_spent + delay > self.retry.retry_budget:
                raise HubSpotUnavailableError(
                    f"HubSpot is not answering properly right now ({endpoint}: {failure}, "
                    f"{faults} tries). Try again in a few minutes; https://status.hubspot.com shows "
                    "HubSpot incidents."
                )
            log.info("HubSpot %s failed (%s); retry %d in %.2f s", endpoint, failure, faults, delay)
            self.stats.retries += 1
            self.stats.backoff_wait += delay
            backoff_spent += delay
            await asyncio.sleep(delay)

    def _parse(self, endpoint: str, response: httpx.Response) -> dict[str, Any]:
        try:
            data = json.loads(response.content)
        except (ValueError, UnicodeDecodeError):
            raise HubSpotResponseError(
                f"HubSpot sent a response from {endpoint} that is not valid JSON "
                f"({len(response.content)} bytes). Try again; if it persists, HubSpot may be degraded.",
                status=response.status_code,
            ) from None
        if not isinstance(data, dict):
            raise HubSpotResponseError(
                f"HubSpot sent an unexpected response from {endpoint}: a JSON object was expected, "
                f"got {type(data).__name__}.",
                status=response.status_code,
            )
        return data

    def _rate_limit_wait(self, endpoint: str, response: httpx.Response, waits: int, spent: float) -> float:
        body = _error_body(response)
        policy = str(body.get("policyName") or "").upper()
        message = str(body.get("message") or "")
        correlation = body.get("correlationId") if isinstance(body.get("correlationId"), str) else None
        if policy == "DAILY":
            raise HubSpotRateLimitError(
                "This HubSpot portal has used up its daily API limit. It resets at midnight in the "
                "portal's time zone; try again then, or raise the limit with HubSpot's API add-on.",
                status=429,
                correlation_id=correlation,
            )
        wait = _retry_after(response)
        if wait is None:
            secondly = "SECONDLY" in policy and "TEN" not in policy
            if endpoint.endswith("/search") or secondly or "secondly limit" in message.lower():
                wait = self.retry.secondly_wait
            else:
                wait = self.retry.ten_secondly_wait
        if waits > self.retry.max_rate_limit_waits or spent + wait > self.retry.rate_limit_budget:
            raise HubSpotRateLimitError(
                f"HubSpot kept answering 'too many requests' for {endpoint}. Another integration may "
                "be using this private app's limit; try again in a minute.",
                status=429,
                correlation_id=correlation,
            )
        return wait

    def _client_error(self, endpoint: str, path: str, response: httpx.Response) -> HubSpotError:
        status = response.status_code
        body = _error_body(response)
        correlation = body.get("correlationId") if isinstance(body.get("correlationId"), str) else None
        if status == 401:
            return HubSpotAuthError(
                "HubSpot rejected the access token (401). Check HUBSPOT_ACCESS_TOKEN: it must be a "
                "current Service Key of this portal (Development > Keys > Service keys) or the current "
                "access token of its legacy private app (Settings > Integrations > Private Apps > your "
                "app > Auth); a rotated or deleted key or token stops working at once.",
                status=status,
                correlation_id=correlation,
            )
        if status == 403:
            what, scopes = _scope_for(path)
            needed = _required_scopes(body) or list(scopes)
            grant = ", ".join(dict.fromkeys([*needed, *REQUIRED_SCOPES]))
            return HubSpotScopeError(
                f"The HubSpot token may not read {what} (403, {endpoint}). Grant these scopes: {grant}. "
                "For a Service Key: Development > Keys > Service keys > your key > Add new scope; for a "
                "legacy private app: Settings > Integrations > Private Apps > your app > Scopes. The "
                "token stays the same.",
                status=status,
                correlation_id=correlation,
                scopes=tuple(_required_scopes(body)),
            )
        message = self._redact(str(body.get("message") or "").strip())[:300]
        detail = f": {message}" if message else ""
        error_class = HubSpotBadRequestError if status == 400 else HubSpotResponseError
        hint = " Check HUBSPOT_API_BASE." if status == 404 else ""
        return error_class(
            f"HubSpot refused {endpoint} (HTTP {status}){detail}.{hint}",
            status=status,
            correlation_id=correlation,
        )
