"""The whole exception hierarchy of ``engines``, in one place.

The tree::

    EngineError
    ├── UnknownEngineError
    ├── UnknownPipelineError
    └── HubSpotError
        ├── HubSpotAuthError            401
        ├── HubSpotScopeError           403
        ├── HubSpotRateLimitError       429 past the retry budget
        ├── HubSpotUnavailableError     5xx, timeouts, dropped connections past the budget
        └── HubSpotResponseError        not the documented JSON shape
            └── HubSpotBadRequestError  400

Every error carries a ``user_message``: one clear, actionable sentence safe to show in Slack or a
terminal (it never contains a token or a stack trace). Callers catch :class:`EngineError` and show
``user_message``; anything else that escapes is a bug.
"""

from __future__ import annotations

__all__ = [
    "EngineError",
    "HubSpotAuthError",
    "HubSpotBadRequestError",
    "HubSpotError",
    "HubSpotRateLimitError",
    "HubSpotResponseError",
    "HubSpotScopeError",
    "HubSpotUnavailableError",
    "UnknownEngineError",
    "UnknownPipelineError",
]


class EngineError(Exception):
    """Root of every error this package raises on purpose."""

    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message


class UnknownEngineError(EngineError):
    """An engine name that is not growth, fulfillment or innovation."""


class UnknownPipelineError(EngineError):
    """A pipeline id or label that the portal does not have."""

    def __init__(self, wanted: str, available: list[str]) -> None:
        names = ", ".join(available) if available else "none"
        super().__init__(f"No pipeline called '{wanted}'. Pipelines in this portal: {names}.")
        self.wanted = wanted
        self.available = available


class HubSpotError(EngineError):
    """HubSpot could not give us the data; ``user_message`` says what to do about it."""

    def __init__(self, user_message: str, *, status: int | None = None, correlation_id: str | None = None):
        super().__init__(user_message)
        self.status = status
        self.correlation_id = correlation_id


class HubSpotAuthError(HubSpotError):
    """401: the private-app token is missing, wrong or revoked."""


class HubSpotScopeError(HubSpotError):
    """403: the private app lacks a scope this read needs. ``scopes``: the ones HubSpot named."""

    def __init__(
        self,
        user_message: str,
        *,
        status: int | None = None,
        correlation_id: str | None = None,
        scopes: tuple[str, ...] = (),
    ):
        super().__init__(user_message, status=status, correlation_id=correlation_id)
        self.scopes = scopes


class HubSpotRateLimitError(HubSpotError):
    """429 that did not clear within the retry budget (for example the daily limit)."""


class HubSpotUnavailableError(HubSpotError):
    """5xx, timeouts or dropped connections that outlasted the retry budget."""


class HubSpotResponseError(HubSpotError):
    """A response that is not the JSON shape the endpoint documents."""


class HubSpotBadRequestError(HubSpotResponseError):
    """A 400. The search reader uses it to detect HubSpot's 10,000-results-per-query cap."""
