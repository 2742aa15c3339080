"""The CRM mirror: HubSpot objects kept in the database and in memory, read incrementally.

::

    mirror = Mirror(db, token)                 # db: bot.storage.Database (SQLite in DATA_DIR, or PostgreSQL)
    await mirror.sync()                        # first: a full read; then deltas
    source = MirrorSource(mirror)              # an engines.SnapshotSource for the report service
    snapshot = await source.snapshot("Sales Pipeline")

See ``docs/mirror.md``: what is stored, the sync kinds, the change log, replicas, and how to reset.
"""

from __future__ import annotations

from bot.mirror.memory import MemoryPortal
from bot.mirror.mirror import Mirror, MirrorStatus
from bot.mirror.source import MirrorSource
from bot.mirror.store import Change, MirrorStore, SyncState
from bot.mirror.sync import Syncer, SyncOutcome, TypeResult

__all__ = [
    "Change",
    "MemoryPortal",
    "Mirror",
    "MirrorSource",
    "MirrorStatus",
    "MirrorStore",
    "SyncOutcome",
    "SyncState",
    "Syncer",
    "TypeResult",
]
