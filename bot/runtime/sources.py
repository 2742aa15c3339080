"""Which :class:`~engines.SnapshotSource` the bot reads: HubSpot, or the built-in sample portal.

Chosen from the settings (``ENGINE_SOURCE``; HubSpot whenever a token is configured) so that the
same binary runs the README demo with no account and production with one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from bot.settings import Settings
from engines import SampleSource, SnapshotSource

__all__ = ["SourceName", "build_source"]

SourceName = Literal["hubspot", "sample"]


def build_source(
    settings: Settings, name: SourceName | None = None, *, now: datetime | None = None
) -> SnapshotSource:
    """The source named ``name`` (default: ``settings.source``), configured from ``settings``.

    Raises :class:`bot.settings.SettingsError` naming ``HUBSPOT_ACCESS_TOKEN`` when HubSpot is asked
    for without a token.
    """
    chosen = name or settings.source
    if chosen == "sample":
        return SampleSource(now=now)
    settings.require("hubspot_access_token")
    from engines.hubspot import HubSpotSource

    token = settings.hubspot_access_token
    assert token is not None  # checked by require()
    return HubSpotSource(
        token.get_secret_value(),
        base_url=settings.hubspot_api_base,
        # Never read a shorter window than the analysis looks at (win rate, cycle would shrink).
        lookback_days=max(settings.hubspot_lookback_days, settings.analysis.lookback_days),
        cache_ttl=settings.hubspot_cache_ttl,
    )
