"""Alembic environment: runs the migrations on the connection :class:`bot.storage.Database` hands in.

From the command line (to write a new revision), pass a URL instead::

    alembic -c bot/storage/migrations/alembic.ini -x url=sqlite:///data/dev.db \
        revision --autogenerate -m "what changed"
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine, text

from bot.storage.tables import Base

# Arbitrary but fixed: every replica asks PostgreSQL for the same advisory lock while migrating.
_MIGRATION_LOCK_KEY = 0x56454E47494E45


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Taken before Alembic reads the current revision, so a second replica waits, then finds
            # the schema already at head and does nothing.
            # lock_timeout: a replica stuck mid-migration makes the others fail loudly, not hang.
            connection.execute(text("SET LOCAL lock_timeout = '300s'"))
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
        context.run_migrations()


def main() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.get_x_argument(as_dictionary=True).get("url")
    if not url:
        raise SystemExit("pass the database with -x url=...")
    engine = create_engine(url)
    try:
        with engine.begin() as own:
            _run(own)
    finally:
        engine.dispose()


main()
