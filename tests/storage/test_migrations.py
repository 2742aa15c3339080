"""Migrations: applied on an empty database at start, idempotent, in step with the models."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from bot.storage import DEFAULT_DB_FILENAME, Database, resolve_url
from bot.storage.database import MIGRATIONS_DIR
from bot.storage.tables import Base

TABLES = {
    "alembic_version",
    "alert_digests",
    "alert_events",
    "alert_optins",
    "alert_rules",
    "alert_snoozes",
    "alert_state",
    "mirror_changes",
    "mirror_leases",
    "mirror_objects",
    "mirror_state",
    "report_snapshots",
    "schedule_firings",
    "schedules",
    "seen_keys",
    "settings_changes",
    "workspace_settings",
}


def _head() -> str:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


def test_migrate_creates_every_table_on_an_empty_database(data_dir: Path) -> None:
    db = Database(data_dir=data_dir)
    try:
        assert not (data_dir / DEFAULT_DB_FILENAME).exists() or inspect(db.engine).get_table_names() == []
        db.migrate()
        assert set(inspect(db.engine).get_table_names()) == TABLES
        with db.engine.connect() as connection:
            assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == _head()
    finally:
        db.dispose()
    assert (data_dir / DEFAULT_DB_FILENAME).is_file()


def test_migrate_twice_is_a_no_op(db: Database) -> None:
    db.migrate()
    with db.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM alembic_version")).scalar_one() == 1


def test_models_and_migrations_agree(db: Database) -> None:
    with db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_migrations_run_from_any_working_directory(tmp_path: Path) -> None:
    """The scripts ship inside the package: no alembic.ini or checkout layout is needed at run time."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    script = (
        "from bot.storage import Database\n"
        "db = Database(data_dir='state')\n"
        "db.migrate()\n"
        "from sqlalchemy import inspect\n"
        "print(sorted(inspect(db.engine).get_table_names()))\n"
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter and a fixed script
        [sys.executable, "-c", script], cwd=elsewhere, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(sorted(TABLES))
    assert (elsewhere / "state" / DEFAULT_DB_FILENAME).is_file()


def test_default_location_is_a_data_folder_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    url = resolve_url(None, None)
    assert url.database == str(tmp_path / "data" / DEFAULT_DB_FILENAME)
    assert (tmp_path / "data").is_dir()


def test_postgres_urls_use_psycopg_and_never_show_the_password() -> None:
    db = Database("postgres://bot:s3cret-pw@db.internal:5432/engines")
    try:
        assert db.url.drivername == "postgresql+psycopg"
        assert "s3cret-pw" not in repr(db)
        assert "s3cret-pw" not in db.display_url
        assert "s3cret-pw" not in str(db.engine)
    finally:
        db.dispose()


def test_a_failed_connection_does_not_leak_the_password() -> None:
    db = Database("postgresql+psycopg://bot:s3cret-pw@127.0.0.1:9/engines?connect_timeout=2")
    try:
        with pytest.raises(Exception) as caught:  # noqa: PT011 - any driver error; the point is its text
            db.migrate()
    finally:
        db.dispose()
    assert "s3cret-pw" not in str(caught.value)
    assert "s3cret-pw" not in repr(caught.value)
    assert "s3cret-pw" not in "".join(str(arg) for arg in caught.value.args)
