"""The database and the stores on it, opened and migrated once per process (``engine-bot serve`` and
``engine-bot post``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.errors import SettingsError
from bot.settings import Settings
from bot.storage.alerts import AlertStore
from bot.storage.database import Database
from bot.storage.reports import ReportStore
from bot.storage.schedules import ScheduleStore
from bot.storage.workspace import WorkspaceSettingsStore
from engines import utc_now

__all__ = ["Storage"]

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Storage:
    """The database and the stores on it, opened and migrated once per process."""

    database: Database
    reports: ReportStore
    schedules: ScheduleStore
    workspaces: WorkspaceSettingsStore
    alerts: AlertStore

    @classmethod
    def open(cls, settings: Settings, *, clock: Clock = utc_now) -> Storage:
        """Connect (``DATABASE_URL``, else SQLite in ``DATA_DIR``) and migrate to the newest schema.

        Blocking: call it in a worker thread from async code. Raises :class:`SettingsError` naming the
        variables but not the driver's message, which may quote the URL and its password.
        """
        url = settings.database_url.get_secret_value() if settings.database_url else None
        try:
            database = Database(url, data_dir=settings.data_dir)
            database.migrate()
        except Exception as exc:
            raise SettingsError(
                f"Could not open the report database (DATABASE_URL / DATA_DIR): {type(exc).__name__}."
            ) from None
        return cls(
            database,
            ReportStore(database, clock=clock),
            ScheduleStore(database, clock=clock),
            WorkspaceSettingsStore(database, clock=clock),
            AlertStore(database, clock=clock),
        )

    def close(self) -> None:
        self.database.dispose()
