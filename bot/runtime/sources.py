"""Which :class:`~engines.SnapshotSource` the bot reads: HubSpot, or the built-in sample portal.

Chosen from the settings (``ENGINE_SOURCE``; HubSpot whenever a token is configured) so that the
same binary runs the README demo with no account and production with one. With a database (``engine-
bot serve``; ``engine-bot report`` when the mirror in DATA_DIR has been synced), HubSpot is read
through the CRM mirror (:mod:`bot.mirror`): answers from memory, HubSpot read incrementally.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from bot.mirror import Mirror, MirrorSource
from bot.settings import Settings
from bot.storage import Database
from engines import SampleSource, SnapshotSource
from engines.hubspot import DEALS, mirrored_object_types

__all__ = ["SourceName", "build_mirror", "build_source", "lookback_days"]

SourceName = Literal["hubspot", "sample"]


def lookback_days(settings: Settings) -> int:
    # Never read a shorter window than the analysis looks at (win rate, cycle would shrink).
    return max(settings.hubspot_lookback_days, settings.analysis.lookback_days)


def build_mirror(settings: Settings, database: Database) -> Mirror:
    """The CRM mirror of the configured HubSpot portal, in ``database``: deals, and the other object
    types the engines read (line items excepted: read live through the won deals), their windows
    those of the answers' lookback (``MirrorSource`` checks they agree)."""
    settings.require("hubspot_access_token")
    token = settings.hubspot_access_token
    assert token is not None  # checked by require()
    return Mirror(
        database,
        token.get_secret_value(),
        base_url=settings.hubspot_api_base,
        api_version=settings.hubspot_api_version,
        fresh_seconds=settings.sync_fresh_seconds,
        sweep_every=timedelta(hours=settings.sync_sweep_hours),
        change_log_days=settings.change_log_days,
        object_types=(DEALS, *mirrored_object_types(lookback_days(settings))),
        line_items_days=lookback_days(settings),
    )


def build_source(
    settings: Settings,
    name: SourceName | None = None,
    *,
    now: datetime | None = None,
    mirror: Mirror | None = None,
) -> SnapshotSource:
    """The source named ``name`` (default: ``settings.source``), configured from ``settings``; for
    HubSpot with a ``mirror``, answers come from it.

    Raises :class:`bot.settings.SettingsError` naming ``HUBSPOT_ACCESS_TOKEN`` when HubSpot is asked
    for without a token.
    """
    chosen = name or settings.source
    if chosen == "sample":
        return SampleSource(now=now)
    settings.require("hubspot_access_token")
    if mirror is not None:
        return MirrorSource(
            mirror, lookback_days=lookback_days(settings), others_ttl=settings.hubspot_cache_ttl
        )
    from engines.hubspot import HubSpotSource

    token = settings.hubspot_access_token
    assert token is not None  # checked by require()
    return HubSpotSource(
        token.get_secret_value(),
        base_url=settings.hubspot_api_base,
        lookback_days=lookback_days(settings),
        cache_ttl=settings.hubspot_cache_ttl,
        api_version=settings.hubspot_api_version,
    )
