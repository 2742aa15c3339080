"""One database handle: the SQLAlchemy engine, sessions, and migrations applied on start.

The default is a SQLite file in the data directory, so a single bot needs no database server.
``DATABASE_URL`` switches to PostgreSQL for several replicas (``postgres://`` and ``postgresql://``
URLs are taken to mean the installed psycopg 3 driver). The URL's password never leaves this object:
``repr`` and :attr:`Database.display_url` hide it.

The API is synchronous (SQLAlchemy's sync engine works on every driver we ship); the stores built on
it run each call in a worker thread so the Slack event loop never waits on the database.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import URL, Engine, create_engine, event, make_url
from sqlalchemy.orm import Session, sessionmaker

from engines import utc_now

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

__all__ = ["DEFAULT_DB_FILENAME", "MIGRATIONS_DIR", "Clock", "Database", "Store", "from_row", "resolve_url"]

Clock = Callable[[], datetime]
R = TypeVar("R", bound="DataclassInstance")

DEFAULT_DB_FILENAME = "value-engine-bot.db"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# Alembic keeps the running migration in a module-level proxy (``alembic.context``), so two
# migrations in one process must not overlap; across processes the database lock in env.py rules.
_MIGRATING = threading.Lock()


def resolve_url(url: str | None, data_dir: str | Path | None = None) -> URL:
    """The URL to connect to: ``url`` when given, else a SQLite file in ``data_dir`` (created).

    ``data_dir`` defaults to ``./data``, beside the working directory.
    """
    if url:
        parsed = make_url(url)
        if parsed.drivername in ("postgres", "postgresql"):
            parsed = parsed.set(drivername="postgresql+psycopg")
        return parsed
    folder = Path(data_dir) if data_dir is not None else Path("data")
    folder.mkdir(parents=True, exist_ok=True)
    return URL.create("sqlite+pysqlite", database=str(folder.resolve() / DEFAULT_DB_FILENAME))


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the report writer and the schedule runner's threads read while another writes;
    # busy_timeout makes a briefly locked file wait instead of failing.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


class Database:
    """The engine plus a session factory. Call :meth:`migrate` once at start-up."""

    def __init__(self, url: str | None = None, *, data_dir: str | Path | None = None) -> None:
        self.url = resolve_url(url, data_dir)
        self.engine: Engine = create_engine(self.url, pool_pre_ping=True)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.sessions: sessionmaker[Session] = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``: what the stores check for dialect-specific SQL."""
        return self.engine.dialect.name

    @property
    def display_url(self) -> str:
        """The URL with its password masked: safe for logs and replies."""
        return self.url.render_as_string(hide_password=True)

    def __repr__(self) -> str:
        return f"Database({self.display_url!r})"

    def migrate(self) -> None:
        """Bring the schema to the newest revision (a no-op when it already is).

        Runs Alembic's ``upgrade head`` on our own connection, from the migration scripts shipped
        inside this package, so it works from an editable install, a wheel or a clean clone. On
        PostgreSQL the migration holds an advisory lock, so replicas starting together migrate once.
        """
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
        with _MIGRATING, self.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def dispose(self) -> None:
        """Close every pooled connection (at shutdown, and between tests)."""
        self.engine.dispose()


class Store:
    """What every store on the database has: the database, and the clock that stamps its rows
    (injectable, so tests never wait). Stores run their database work in a worker thread."""

    def __init__(self, db: Database, *, clock: Clock = utc_now) -> None:
        self._db = db
        self._clock = clock


def from_row(record: type[R], row: object, **converted: Any) -> R:
    """A record dataclass from a table row: every field read from the column of the same name,
    except those passed ``converted`` (enums, tuples, columns stored in another form)."""
    values = {
        field.name: converted[field.name] if field.name in converted else getattr(row, field.name)
        for field in dataclasses.fields(record)
    }
    return record(**values)
