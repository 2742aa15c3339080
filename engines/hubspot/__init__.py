"""The HubSpot source: a complete, rate-limit-aware portal snapshot over ``httpx``.

Public face::

    from engines.hubspot import HubSpotSource
    async with HubSpotSource.from_env() as source:       # HUBSPOT_ACCESS_TOKEN, HUBSPOT_API_BASE
        snapshot = await source.snapshot("Sales Pipeline", progress=print)

``HubSpotClient`` is the lower-level paced/retrying JSON client (its ``stats`` count every request);
``RetryPolicy`` and ``RateLimits`` are the knobs. Errors are the ``engines.errors.HubSpotError`` family.
"""

from __future__ import annotations

from engines.hubspot._http import (
    DEFAULT_BASE_URL,
    REQUIRED_SCOPES,
    ClientStats,
    HubSpotClient,
    RateLimits,
    RetryPolicy,
)
from engines.hubspot._mapping import BASE_DEAL_PROPERTIES
from engines.hubspot._source import HubSpotSource

__all__ = [
    "BASE_DEAL_PROPERTIES",
    "DEFAULT_BASE_URL",
    "REQUIRED_SCOPES",
    "ClientStats",
    "HubSpotClient",
    "HubSpotSource",
    "RateLimits",
    "RetryPolicy",
]
