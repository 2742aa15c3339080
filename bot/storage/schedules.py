"""Schedules and their claimed firings, stored in the database.

Claiming is the whole multi-replica story: before a replica posts a firing it inserts a row keyed by
(schedule id, fire time). The unique constraint lets exactly one insert succeed, whichever replica
gets there first, on SQLite and PostgreSQL alike; the loser simply skips. No replica is special.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.storage.database import Store, from_row
from bot.storage.tables import FiringRow, ScheduleRow
from engines import EngineName

__all__ = ["Firing", "FiringStatus", "Schedule", "ScheduleOrigin", "ScheduleStore"]


class ScheduleOrigin(StrEnum):
    SLACK = "slack"
    ENVIRONMENT = "environment"


class FiringStatus(StrEnum):
    CLAIMED = "claimed"
    POSTED = "posted"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Schedule:
    """One scheduled report: which engines (never empty), for which pipeline, where and when."""

    id: str
    channel_id: str
    cron: str
    spec: str
    timezone: str
    engines: tuple[EngineName, ...]
    pipeline: str | None
    created_by: str | None
    origin: ScheduleOrigin
    created_at: datetime
    updated_at: datetime

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True, slots=True)
class Firing:
    """A claimed firing and, once known, how it went (``detail`` says why it failed)."""

    schedule_id: str
    fire_at: datetime
    claimed_at: datetime
    claimed_by: str
    status: FiringStatus
    detail: str | None
    finished_at: datetime | None


def _engines_to_text(engines: Sequence[EngineName]) -> str:
    return ",".join(EngineName(e).value for e in engines)


def _engines_from_text(text: str) -> tuple[EngineName, ...]:
    names = tuple(EngineName(part) for part in text.split(",") if part)
    return names or tuple(EngineName)


def _schedule(row: ScheduleRow) -> Schedule:
    engines = _engines_from_text(row.engines)
    return from_row(Schedule, row, engines=engines, origin=ScheduleOrigin(row.origin))


def _firing(row: FiringRow) -> Firing:
    return from_row(Firing, row, status=FiringStatus(row.status))


class ScheduleStore(Store):
    """Schedules and firings. Every method runs its database work in a worker thread."""

    # ------------------------------------------------------------------ schedules

    async def add(
        self,
        *,
        channel_id: str,
        cron: str,
        spec: str,
        timezone: str,
        engines: Sequence[EngineName] = (),
        pipeline: str | None = None,
        created_by: str | None = None,
    ) -> Schedule:
        """Store a new Slack-made schedule under a fresh short id (what people type to remove it)."""
        fields = self._fields(channel_id, cron, spec, timezone, engines, pipeline, created_by)
        return await asyncio.to_thread(self._add, fields)

    async def upsert(
        self,
        schedule_id: str,
        *,
        channel_id: str,
        cron: str,
        spec: str,
        timezone: str,
        engines: Sequence[EngineName] = (),
        pipeline: str | None = None,
        created_by: str | None = None,
        origin: ScheduleOrigin = ScheduleOrigin.ENVIRONMENT,
    ) -> Schedule:
        """Create or update the schedule with this id; ``created_at`` survives an update."""
        fields = self._fields(channel_id, cron, spec, timezone, engines, pipeline, created_by)
        fields["origin"] = origin.value
        return await asyncio.to_thread(self._upsert, schedule_id, fields)

    async def get(self, schedule_id: str) -> Schedule | None:
        return await asyncio.to_thread(self._get, schedule_id)

    async def schedules(self, channel_id: str | None = None) -> list[Schedule]:
        """Every schedule (or those posting to ``channel_id``), oldest first."""
        return await asyncio.to_thread(self._list, channel_id)

    async def remove(self, schedule_id: str) -> bool:
        """Delete a schedule; ``False`` when there was none. Its firing history is kept."""
        return await asyncio.to_thread(self._remove, schedule_id)

    # ------------------------------------------------------------------ firings

    async def claim(self, schedule_id: str, fire_at: datetime, *, claimed_by: str) -> bool:
        """Claim one firing. ``True`` for exactly one caller per (schedule, fire time), ever."""
        return await asyncio.to_thread(self._claim, schedule_id, fire_at, claimed_by)

    async def finish(
        self, schedule_id: str, fire_at: datetime, *, status: FiringStatus, detail: str | None = None
    ) -> None:
        """Record how a claimed firing went."""
        await asyncio.to_thread(self._finish, schedule_id, fire_at, status, detail)

    async def firings(self, schedule_id: str | None = None, *, limit: int = 100) -> list[Firing]:
        """Claimed firings, newest first."""
        return await asyncio.to_thread(self._firings, schedule_id, limit)

    async def last_firings(self) -> dict[str, Firing]:
        """The newest firing of every schedule that has one (for ``schedule list``)."""
        return await asyncio.to_thread(self._last_firings)

    # ------------------------------------------------------------------ sync internals

    def _fields(
        self,
        channel_id: str,
        cron: str,
        spec: str,
        timezone: str,
        engines: Sequence[EngineName],
        pipeline: str | None,
        created_by: str | None,
    ) -> dict[str, Any]:
        ZoneInfo(timezone)  # refuse an unknown zone before it reaches the database
        return {
            "channel_id": channel_id,
            "cron": cron,
            "spec": spec,
            "timezone": timezone,
            "engines": _engines_to_text(engines),
            "pipeline": pipeline or None,
            "created_by": created_by,
        }

    def _add(self, fields: dict[str, Any]) -> Schedule:
        now = self._clock()
        for _attempt in range(5):
            row = ScheduleRow(
                id=secrets.token_hex(3),
                origin=ScheduleOrigin.SLACK.value,
                created_at=now,
                updated_at=now,
                **fields,
            )
            try:
                with self._db.sessions.begin() as session:
                    session.add(row)
                return _schedule(row)
            except IntegrityError:  # a 1-in-16-million id collision: draw another
                continue
        raise RuntimeError("could not allocate a schedule id")

    def _upsert(self, schedule_id: str, fields: dict[str, Any]) -> Schedule:
        try:
            return self._upsert_once(schedule_id, fields)
        except IntegrityError:
            # Replicas starting together all upsert env-default; the ones that lose the insert race
            # find the row on the second try and update it (to the same values) instead.
            return self._upsert_once(schedule_id, fields)

    def _upsert_once(self, schedule_id: str, fields: dict[str, Any]) -> Schedule:
        now = self._clock()
        with self._db.sessions.begin() as session:
            row = session.get(ScheduleRow, schedule_id)
            if row is None:
                row = ScheduleRow(id=schedule_id, created_at=now, updated_at=now, **fields)
                session.add(row)
            else:
                changed = any(getattr(row, key) != value for key, value in fields.items())
                for key, value in fields.items():
                    setattr(row, key, value)
                if changed:
                    row.updated_at = now
            return _schedule(row)

    def _get(self, schedule_id: str) -> Schedule | None:
        with self._db.sessions() as session:
            row = session.get(ScheduleRow, schedule_id)
            return _schedule(row) if row is not None else None

    def _list(self, channel_id: str | None) -> list[Schedule]:
        query = select(ScheduleRow).order_by(ScheduleRow.created_at, ScheduleRow.id)
        if channel_id is not None:
            query = query.where(ScheduleRow.channel_id == channel_id)
        with self._db.sessions() as session:
            return [_schedule(row) for row in session.scalars(query)]

    def _remove(self, schedule_id: str) -> bool:
        with self._db.sessions.begin() as session:
            result = session.execute(delete(ScheduleRow).where(ScheduleRow.id == schedule_id))
            return bool(getattr(result, "rowcount", 0))

    def _claim(self, schedule_id: str, fire_at: datetime, claimed_by: str) -> bool:
        values = {
            "schedule_id": schedule_id,
            "fire_at": fire_at,
            "claimed_at": self._clock(),
            "claimed_by": claimed_by,
            "status": FiringStatus.CLAIMED.value,
        }
        with self._db.sessions.begin() as session:
            return self._insert_claim(session, values)

    def _insert_claim(self, session: Session, values: dict[str, Any]) -> bool:
        dialect = self._db.dialect
        if dialect in ("postgresql", "sqlite"):
            # INSERT .. ON CONFLICT DO NOTHING: the unique key still decides, but the loser gets no
            # row back instead of an error (and PostgreSQL logs no duplicate-key error per firing).
            build = postgresql.insert if dialect == "postgresql" else sqlite.insert
            statement = (
                build(FiringRow)
                .values(**values)
                .on_conflict_do_nothing(index_elements=["schedule_id", "fire_at"])
                .returning(FiringRow.id)
            )
            return session.execute(statement).first() is not None
        try:
            with session.begin_nested():
                session.execute(insert(FiringRow).values(**values))
        except IntegrityError:
            return False
        return True

    def _finish(self, schedule_id: str, fire_at: datetime, status: FiringStatus, detail: str | None) -> None:
        with self._db.sessions.begin() as session:
            row = session.scalars(
                select(FiringRow).where(FiringRow.schedule_id == schedule_id, FiringRow.fire_at == fire_at)
            ).one()
            row.status = status.value
            row.detail = detail[:1000] if detail else None
            row.finished_at = self._clock()

    def _firings(self, schedule_id: str | None, limit: int) -> list[Firing]:
        query = select(FiringRow).order_by(FiringRow.fire_at.desc(), FiringRow.id.desc()).limit(limit)
        if schedule_id is not None:
            query = query.where(FiringRow.schedule_id == schedule_id)
        with self._db.sessions() as session:
            return [_firing(row) for row in session.scalars(query)]

    def _last_firings(self) -> dict[str, Firing]:
        newest = (
            select(FiringRow.schedule_id, func.max(FiringRow.fire_at).label("fire_at"))
            .group_by(FiringRow.schedule_id)
            .subquery()
        )
        query = select(FiringRow).join(
            newest,
            (FiringRow.schedule_id == newest.c.schedule_id) & (FiringRow.fire_at == newest.c.fire_at),
        )
        with self._db.sessions() as session:
            return {row.schedule_id: _firing(row) for row in session.scalars(query)}
