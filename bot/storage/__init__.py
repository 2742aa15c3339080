"""Storage: schedules, claimed firings, report history and seen Slack requests in SQLite (default)
or PostgreSQL.

Start-up (``Storage.open(settings)`` does all of this)::

    db = Database(settings.database_url, data_dir=settings.data_dir)   # SQLite file in DATA_DIR
    await asyncio.to_thread(db.migrate)                                 # Alembic, idempotent
    reports = ReportStore(db)        # a bot.storage.history.ReportHistory: record(report) -> Trend | None
    schedules = ScheduleStore(db)    # schedules + firing claims for bot.schedules
    DatabaseEventDeduper(db), DatabaseReplayStore(db)   # Slack retries/replays, shared by replicas
    DatabaseMentionDeduper(db)       # one answer per mentioning message (edits re-send it)
    WorkspaceSettingsStore(db)       # settings changed from Slack, per workspace, and their log
    AlertStore(db)                   # alert rules, alerts waiting for their digest, snoozes
"""

from __future__ import annotations

from bot.storage.alerts import Alert, AlertRule, AlertStore, Snooze
from bot.storage.database import DEFAULT_DB_FILENAME, Database, resolve_url
from bot.storage.history import ReportHistory, Trend
from bot.storage.reports import ReportSnapshot, ReportStore, ScoreChange, scalar_metrics, trend_between
from bot.storage.schedules import Firing, FiringStatus, Schedule, ScheduleOrigin, ScheduleStore
from bot.storage.seen import DatabaseEventDeduper, DatabaseMentionDeduper, DatabaseReplayStore
from bot.storage.stores import Storage
from bot.storage.workspace import SettingsChange, WorkspaceSettingsStore

__all__ = [
    "DEFAULT_DB_FILENAME",
    "Alert",
    "AlertRule",
    "AlertStore",
    "Database",
    "DatabaseEventDeduper",
    "DatabaseMentionDeduper",
    "DatabaseReplayStore",
    "Firing",
    "FiringStatus",
    "ReportHistory",
    "ReportSnapshot",
    "ReportStore",
    "Schedule",
    "ScheduleOrigin",
    "ScheduleStore",
    "ScoreChange",
    "SettingsChange",
    "Snooze",
    "Storage",
    "Trend",
    "WorkspaceSettingsStore",
    "resolve_url",
    "scalar_metrics",
    "trend_between",
]
