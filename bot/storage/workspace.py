"""Workspace settings changed from Slack (``/engine settings``), and the log of every change.

A workspace (Slack team) keeps only its *overrides*: a setting it never changed follows the
environment, so a deploy that changes ``ANALYSIS__...`` still reaches every workspace that did not
choose otherwise. What the values mean, and which names exist, is :mod:`bot.answers.workspace`'s
business; this store keeps a JSON object per team and the change log.

A change is one transaction: the current overrides are read (locked on PostgreSQL, so two admins
saving on two replicas at once queue), the caller's ``plan`` turns them into the new overrides and
the changes to log, and both are written together. So the log's "old" is always the value the change
replaced, never a stale read.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.storage.database import Database
from bot.storage.tables import SettingsChangeRow, WorkspaceSettingsRow
from engines import utc_now

__all__ = ["Plan", "SettingsChange", "WorkspaceSettingsStore"]

Clock = Callable[[], datetime]


@dataclass(frozen=True, slots=True)
class SettingsChange:
    """One setting changed: its name, the effective value before and after (as shown to people)."""

    name: str
    old: str | None
    new: str | None
    user_id: str = ""
    changed_at: datetime | None = None


# current overrides -> (new overrides, the changes to log)
Plan = Callable[[Mapping[str, Any]], tuple[dict[str, Any], list[SettingsChange]]]


class WorkspaceSettingsStore:
    """Overrides per team and the change log, in the bot's database (SQLite or PostgreSQL)."""

    def __init__(self, db: Database, *, clock: Clock = utc_now) -> None:
        self.db = db
        self.clock = clock

    async def overrides(self, team_id: str) -> dict[str, Any]:
        """The team's overrides (empty: it follows the environment in everything)."""
        return await asyncio.to_thread(self._overrides, team_id)

    async def update(self, team_id: str, user_id: str, plan: Plan) -> list[SettingsChange]:
        """Apply ``plan`` to the team's current overrides in one transaction; log what it changed.

        Returns the changes logged (empty when ``plan`` changed nothing: then nothing is written).
        """
        return await asyncio.to_thread(self._update, team_id, user_id, plan)

    async def changes(self, team_id: str, *, limit: int = 20) -> list[SettingsChange]:
        """The team's latest changes, newest first."""
        return await asyncio.to_thread(self._changes, team_id, limit)

    # ------------------------------------------------------------------ blocking halves

    def _overrides(self, team_id: str) -> dict[str, Any]:
        with self.db.sessions() as session:
            row = session.get(WorkspaceSettingsRow, team_id)
            return dict(row.values) if row is not None else {}

    def _locked_row(self, session: Session, team_id: str, now: datetime) -> WorkspaceSettingsRow:
        """The team's row, created empty if missing, locked for this transaction: the insert (a
        write) makes SQLite serialise concurrent changes, ``FOR UPDATE`` makes PostgreSQL do so."""
        insert = postgresql.insert if self.db.dialect == "postgresql" else sqlite.insert
        session.execute(
            insert(WorkspaceSettingsRow)
            .values(team_id=team_id, values={}, updated_by=None, updated_at=now)
            .on_conflict_do_nothing(index_elements=["team_id"])
        )
        query = select(WorkspaceSettingsRow).where(WorkspaceSettingsRow.team_id == team_id)
        if self.db.dialect == "postgresql":
            query = query.with_for_update()
        return session.scalars(query).one()

    def _update(self, team_id: str, user_id: str, plan: Plan) -> list[SettingsChange]:
        now = self.clock()
        with self.db.sessions.begin() as session:
            row = self._locked_row(session, team_id, now)
            current = dict(row.values)
            new_values, changes = plan(current)
            if not changes and new_values == current:
                return []
            row.values = new_values
            row.updated_by = user_id
            row.updated_at = now
            session.add_all(
                SettingsChangeRow(
                    team_id=team_id,
                    user_id=user_id,
                    name=change.name,
                    old_value=change.old,
                    new_value=change.new,
                    changed_at=now,
                )
                for change in changes
            )
        return [SettingsChange(c.name, c.old, c.new, user_id=user_id, changed_at=now) for c in changes]

    def _changes(self, team_id: str, limit: int) -> list[SettingsChange]:
        query = (
            select(SettingsChangeRow)
            .where(SettingsChangeRow.team_id == team_id)
            .order_by(SettingsChangeRow.id.desc())
            .limit(limit)
        )
        with self.db.sessions() as session:
            return [
                SettingsChange(
                    row.name, row.old_value, row.new_value, user_id=row.user_id, changed_at=row.changed_at
                )
                for row in session.scalars(query)
            ]
