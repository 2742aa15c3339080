"""Shared pytest configuration; area-specific fixtures live in each tests/<area>/conftest.py.

PostgreSQL fixtures live here because several areas need the real server (127.0.0.1:5432, trust
auth, database ``test``): each test gets a schema of its own, dropped afterwards, so repeated runs
and the rest of the suite never collide. When the server is unreachable those tests are skipped
with the reason shown (``VEB_TEST_PG_PORT`` pointing elsewhere shows the skip path).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import URL

PG_HOST, PG_DATABASE = "127.0.0.1", "test"
PG_PORT = int(os.environ.get("VEB_TEST_PG_PORT", "5432"))


def _reachable_user() -> str | None:
    for user in ("postgres", "root"):
        try:
            with psycopg.connect(
                host=PG_HOST, port=PG_PORT, dbname=PG_DATABASE, user=user, connect_timeout=3
            ):
                return user
        except psycopg.Error:
            continue
    return None


@pytest.fixture(scope="session")
def pg_user() -> str:
    user = _reachable_user()
    if user is None:
        pytest.skip(f"PostgreSQL is not reachable on {PG_HOST}:{PG_PORT} (database '{PG_DATABASE}')")
    return user


@pytest.fixture
def pg_url(pg_user: str) -> Iterator[str]:
    """A SQLAlchemy URL whose search_path is a fresh schema, dropped after the test."""
    schema = f"veb_test_{secrets.token_hex(4)}"
    connect = {"host": PG_HOST, "port": PG_PORT, "dbname": PG_DATABASE, "user": pg_user, "autocommit": True}
    with psycopg.connect(**connect) as admin:  # type: ignore[arg-type]
        admin.execute(f'CREATE SCHEMA "{schema}"')
    url = URL.create(
        "postgresql+psycopg",
        username=pg_user,
        host=PG_HOST,
        port=PG_PORT,
        database=PG_DATABASE,
        # statement_timeout: should anything ever block, the test fails in seconds instead of hanging.
        query={"options": f"-csearch_path={schema} -cstatement_timeout=30000"},
    )
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with psycopg.connect(**connect) as admin:  # type: ignore[arg-type]
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
