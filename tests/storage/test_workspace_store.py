"""The workspace settings store on SQLite and PostgreSQL: overrides per team, one transaction per
change, the change log newest first, and two admins saving at once on two connections both logged."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from bot.storage import Database, SettingsChange, WorkspaceSettingsStore
from tests.storage.helpers import FakeClock


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, db: Database) -> Iterator[Database]:
    if request.param == "sqlite":
        yield db
        return
    pg = Database(request.getfixturevalue("pg_url"))
    pg.migrate()
    yield pg
    pg.dispose()


def _set(name: str, value: Any) -> Any:
    def plan(current: Mapping[str, Any]) -> tuple[dict[str, Any], list[SettingsChange]]:
        old = current.get(name)
        return {**current, name: value}, [SettingsChange(name, None if old is None else str(old), str(value))]

    return plan


async def test_overrides_are_kept_per_team_and_logged(database: Database, clock: FakeClock) -> None:
    store = WorkspaceSettingsStore(database, clock=clock)
    assert await store.overrides("T1") == {}
    logged = await store.update("T1", "U1", _set("lookback_days", 90))
    assert [(c.name, c.old, c.new, c.user_id, c.changed_at) for c in logged] == [
        ("lookback_days", None, "90", "U1", clock.now)
    ]
    await store.update("T1", "U2", _set("lookback_days", 60))
    await store.update("T2", "U9", _set("renewal_pipeline", "Renewals"))
    assert await store.overrides("T1") == {"lookback_days": 60}
    assert await store.overrides("T2") == {"renewal_pipeline": "Renewals"}
    assert [(c.user_id, c.old, c.new) for c in await store.changes("T1")] == [
        ("U2", "90", "60"),
        ("U1", None, "90"),
    ]


async def test_a_plan_that_changes_nothing_writes_nothing(database: Database, clock: FakeClock) -> None:
    store = WorkspaceSettingsStore(database, clock=clock)
    assert await store.update("T1", "U1", lambda current: (dict(current), [])) == []
    assert await store.changes("T1") == []


async def test_two_admins_saving_at_once_are_both_kept(database: Database, clock: FakeClock) -> None:
    """Each change reads the overrides inside its own transaction (locked on PostgreSQL), so the
    second never overwrites the first with a stale copy."""
    first, second = (
        WorkspaceSettingsStore(database, clock=clock),
        WorkspaceSettingsStore(database, clock=clock),
    )
    await asyncio.gather(
        *(first.update("T1", "U1", _set(f"a{i}", i)) for i in range(5)),
        *(second.update("T1", "U2", _set(f"b{i}", i)) for i in range(5)),
    )
    assert await first.overrides("T1") == {**{f"a{i}": i for i in range(5)}, **{f"b{i}": i for i in range(5)}}
    assert len(await first.changes("T1")) == 10
