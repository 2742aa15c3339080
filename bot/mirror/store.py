"""The mirror's tables, synchronous (the mirror calls it from worker threads).

Rows are written in batches with one ``INSERT … ON CONFLICT DO UPDATE`` per batch (PostgreSQL and
SQLite share the statement), so a cold read of 100,000 deals is a few hundred statements, not
100,000 round trips; tombstones are one ``UPDATE`` executed for many ids. Only rows whose properties
changed are written by a delta.

Atomicity, because a sync can die anywhere (a deploy, a crash, a lost database connection):

- :meth:`MirrorStore.write` puts a step's rows, tombstones and change-log entries in one
  transaction. Were they two, a crash between them would keep the new rows without their log
  entries, and the next sync, finding the rows equal, would never log those changes.
- :meth:`MirrorStore.finish_sync` saves every object type's sync state, the portal's account, owners
  and pipelines, and which portal the token opens, in one transaction, after the rows: a replica
  sees either the previous sync's cursors or all of this one's, never half of them, and never a
  cursor whose rows are not written yet.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.storage.database import Database
from bot.storage.tables import MirrorChangeRow, MirrorLeaseRow, MirrorObjectRow, MirrorStateRow

__all__ = ["PIPELINES_PREFIX", "PORTAL_KIND", "Change", "MirrorStore", "ObjectRow", "SyncState"]

Props = dict[str, str | None]
BATCH = 500  # rows per statement: well under SQLite's 32,766 bound parameters at 6 columns a row
MANY = 5_000  # parameter sets per executemany
PORTAL_KIND = "portal"  # under the token's digest: which portal this token's mirror is kept as
PIPELINES_PREFIX = "pipelines:"  # the kinds holding an object type's pipelines (``pipelines:deals``)


@dataclass(frozen=True, slots=True)
class ObjectRow:
    object_id: str
    properties: dict[str, Any]
    deleted_at: datetime | None
    synced_at: datetime


@dataclass(frozen=True, slots=True)
class Change:
    """One change-log entry. ``field`` is a tracked property, or ``created``/``deleted``/``restored``."""

    object_id: str
    field: str
    old: str | None
    new: str | None
    changed_at: datetime


@dataclass(slots=True)
class SyncState:
    """Per portal and object type: the cursor and what the last sync did."""

    cursor: datetime | None = None
    properties: tuple[str, ...] = ()
    log_from: datetime | None = None
    last_sync_at: datetime | None = None
    last_full_at: datetime | None = None
    last_kind: str = ""
    objects: int = 0
    last_read: int = 0
    last_changed: int = 0
    last_deleted: int = 0
    last_calls: int = 0
    last_drift: int = 0
    last_seconds: float = 0.0


def _chunks(items: Sequence[Any], size: int = BATCH) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class MirrorStore:
    """Reads and writes of the mirror tables for one database."""

    def __init__(self, db: Database) -> None:
        if db.dialect not in ("postgresql", "sqlite"):
            raise ValueError(f"the mirror needs PostgreSQL or SQLite, not {db.dialect}")
        self.db = db
        self._insert = postgresql.insert if db.dialect == "postgresql" else sqlite.insert

    # ------------------------------------------------------------------ objects

    def upsert(
        self,
        portal: str,
        object_type: str,
        rows: Mapping[str, Mapping[str, Any]],
        synced_at: datetime,
        *,
        deleted: Mapping[str, datetime] | None = None,
    ) -> None:
        """Write ``rows`` (id -> properties) as live, and tombstone ``deleted`` (id -> when)."""
        self.write(portal, object_type, rows, synced_at, deleted=deleted)

    def write(
        self,
        portal: str,
        object_type: str,
        rows: Mapping[str, Mapping[str, Any]],
        synced_at: datetime,
        *,
        deleted: Mapping[str, datetime] | None = None,
        changes: Sequence[Change] = (),
    ) -> None:
        """Rows, tombstones and their change-log entries in one transaction (see the module
        docstring for why one)."""
        if not rows and not deleted and not changes:
            return
        with self.db.sessions.begin() as session:
            self._upsert(session, portal, object_type, rows, synced_at)
            self._tombstone(session, portal, object_type, deleted or {}, synced_at)
            self._log(session, portal, object_type, changes, synced_at)

    def _upsert(
        self,
        session: Session,
        portal: str,
        object_type: str,
        rows: Mapping[str, Mapping[str, Any]],
        synced_at: datetime,
    ) -> None:
        if not rows:
            return
        values: list[dict[str, Any]] = [
            {
                "portal": portal,
                "object_type": object_type,
                "object_id": object_id,
                "properties": dict(props),
                "deleted_at": None,
                "synced_at": synced_at,
            }
            for object_id, props in rows.items()
        ]
        statement = self._insert(MirrorObjectRow)
        statement = statement.on_conflict_do_update(
            index_elements=["portal", "object_type", "object_id"],
            set_={
                "properties": statement.excluded.properties,
                "deleted_at": None,
                "synced_at": statement.excluded.synced_at,
            },
        )
        for chunk in _chunks(values, MANY):
            # One compiled statement, executed for many rows ("insertmanyvalues" batching).
            session.execute(statement, list(chunk))

    def _tombstone(
        self,
        session: Session,
        portal: str,
        object_type: str,
        deleted: Mapping[str, datetime],
        synced_at: datetime,
    ) -> None:
        """One UPDATE, executed for every id (executemany): a merge wave or a mass deletion of
        thousands of objects is one statement, not one round trip per object."""
        if not deleted:
            return
        table = cast(Table, MirrorObjectRow.__table__)
        statement = (
            update(table)
            .where(
                table.c.portal == portal,
                table.c.object_type == object_type,
                table.c.object_id == bindparam("gone_id"),
            )
            .values(deleted_at=bindparam("gone_at"), synced_at=synced_at)
        )
        values = [{"gone_id": object_id, "gone_at": when} for object_id, when in deleted.items()]
        for chunk in _chunks(values, MANY):
            session.execute(statement, list(chunk))

    def replace_all(
        self, portal: str, object_type: str, rows: Mapping[str, Mapping[str, Any]], synced_at: datetime
    ) -> bool:
        """Make ``rows`` the whole set of ``object_type`` (pipelines, owners, account). Writes only
        when something differs; returns whether it did."""
        with self.db.sessions.begin() as session:
            return self._replace_all(session, portal, object_type, rows, synced_at)

    def _replace_all(
        self,
        session: Session,
        portal: str,
        object_type: str,
        rows: Mapping[str, Mapping[str, Any]],
        synced_at: datetime,
    ) -> bool:
        stored = {
            r.object_id: r.properties
            for r in session.scalars(
                select(MirrorObjectRow).where(
                    MirrorObjectRow.portal == portal, MirrorObjectRow.object_type == object_type
                )
            )
        }
        if stored == {k: dict(v) for k, v in rows.items()}:
            return False
        session.execute(
            delete(MirrorObjectRow).where(
                MirrorObjectRow.portal == portal, MirrorObjectRow.object_type == object_type
            )
        )
        for object_id, props in rows.items():
            session.add(
                MirrorObjectRow(
                    portal=portal,
                    object_type=object_type,
                    object_id=object_id,
                    properties=dict(props),
                    deleted_at=None,
                    synced_at=synced_at,
                )
            )
        session.flush()
        return True

    def portal_of(self, token_key: str) -> str | None:
        """The portal the mirror of this token is kept as (``None`` before its first sync)."""
        with self.db.sessions() as session:
            row = session.get(MirrorObjectRow, (token_key, PORTAL_KIND, "portal"))
            return str(row.properties["portal"]) if row is not None else None

    def finish_sync(
        self,
        portal: str,
        states: Mapping[str, SyncState],
        *,
        token_key: str,
        portal_rows: Mapping[str, Mapping[str, Mapping[str, Any]]],
        synced_at: datetime,
        prune_before: datetime,
    ) -> None:
        """The end of a sync, in one transaction: every object type's state, the portal's own rows
        (``portal_rows``: kind -> rows, e.g. ``account``, ``owners``, ``pipelines:deals``; a
        ``pipelines:`` kind not in it is removed: its object type is no longer read), which portal
        the token opens, and the change log's pruning."""
        with self.db.sessions.begin() as session:
            for kind, rows in portal_rows.items():
                self._replace_all(session, portal, kind, rows, synced_at)
            pipeline_kinds = [k for k in portal_rows if k.startswith(PIPELINES_PREFIX)]
            session.execute(
                delete(MirrorObjectRow).where(
                    MirrorObjectRow.portal == portal,
                    MirrorObjectRow.object_type.startswith(PIPELINES_PREFIX, autoescape=True),
                    MirrorObjectRow.object_type.not_in(pipeline_kinds),
                )
            )
            self._replace_all(session, token_key, PORTAL_KIND, {"portal": {"portal": portal}}, synced_at)
            for object_type, state in states.items():
                self._save_state(session, portal, object_type, state)
            session.execute(
                delete(MirrorChangeRow).where(
                    MirrorChangeRow.portal == portal, MirrorChangeRow.changed_at < prune_before
                )
            )

    def kinds(self, portal: str) -> list[str]:
        """The object types and kinds stored for a portal (live rows or tombstones)."""
        with self.db.sessions() as session:
            return sorted(
                session.scalars(
                    select(MirrorObjectRow.object_type).where(MirrorObjectRow.portal == portal).distinct()
                )
            )

    def rows(
        self,
        portal: str,
        object_type: str,
        *,
        ids: Iterable[str] | None = None,
        since: datetime | None = None,
        before: datetime | None = None,
        live_only: bool = False,
    ) -> dict[str, ObjectRow]:
        """Stored rows of a type: all, those with the given ids, or those written after ``since``
        (and before ``before``)."""
        where = [MirrorObjectRow.portal == portal, MirrorObjectRow.object_type == object_type]
        if since is not None:
            where.append(MirrorObjectRow.synced_at > since)
        if before is not None:
            where.append(MirrorObjectRow.synced_at < before)
        if live_only:
            where.append(MirrorObjectRow.deleted_at.is_(None))
        columns = (
            MirrorObjectRow.object_id,
            MirrorObjectRow.properties,
            MirrorObjectRow.deleted_at,
            MirrorObjectRow.synced_at,
        )
        found: dict[str, ObjectRow] = {}
        with self.db.sessions() as session:
            if ids is None:
                batches: Iterable[Sequence[str] | None] = [None]
            else:
                batches = list(_chunks(list(dict.fromkeys(ids))))
            for batch in batches:
                query = select(*columns).where(*where)
                if batch is not None:
                    query = query.where(MirrorObjectRow.object_id.in_(batch))
                for object_id, props, deleted_at, synced_at in session.execute(query):
                    found[object_id] = ObjectRow(object_id, props, deleted_at, synced_at)
        return found

    def iter_rows(
        self, portal: str, object_type: str, *, since: datetime | None = None, batch: int = 2_000
    ) -> Iterator[list[ObjectRow]]:
        """Rows of a type (written after ``since``), a batch at a time: loading a large mirror
        never holds every row's properties at once."""
        query = select(
            MirrorObjectRow.object_id,
            MirrorObjectRow.properties,
            MirrorObjectRow.deleted_at,
            MirrorObjectRow.synced_at,
        ).where(MirrorObjectRow.portal == portal, MirrorObjectRow.object_type == object_type)
        if since is not None:
            query = query.where(MirrorObjectRow.synced_at > since)
        with self.db.engine.connect() as connection:
            result = connection.execution_options(stream_results=True, yield_per=batch).execute(query)
            for part in result.partitions(batch):
                yield [ObjectRow(i, p, d, s) for i, p, d, s in part]

    def count_live(self, portal: str, object_type: str) -> int:
        with self.db.sessions() as session:
            return int(
                session.scalar(
                    select(func.count()).where(
                        MirrorObjectRow.portal == portal,
                        MirrorObjectRow.object_type == object_type,
                        MirrorObjectRow.deleted_at.is_(None),
                    )
                )
                or 0
            )

    def newest_write(self, portal: str) -> datetime | None:
        with self.db.sessions() as session:
            return session.scalar(
                select(func.max(MirrorObjectRow.synced_at)).where(MirrorObjectRow.portal == portal)
            )

    # ------------------------------------------------------------------ state

    def state(self, portal: str, object_type: str) -> SyncState | None:
        with self.db.sessions() as session:
            row = session.get(MirrorStateRow, (portal, object_type))
            if row is None:
                return None
            return SyncState(
                cursor=row.cursor,
                properties=tuple(row.properties),
                log_from=row.log_from,
                last_sync_at=row.last_sync_at,
                last_full_at=row.last_full_at,
                last_kind=row.last_kind,
                objects=row.objects,
                last_read=row.last_read,
                last_changed=row.last_changed,
                last_deleted=row.last_deleted,
                last_calls=row.last_calls,
                last_drift=row.last_drift,
                last_seconds=row.last_seconds,
            )

    def states(self, portal: str) -> dict[str, SyncState]:
        with self.db.sessions() as session:
            types = session.scalars(select(MirrorStateRow.object_type).where(MirrorStateRow.portal == portal))
            names = list(types)
        return {name: state for name in names if (state := self.state(portal, name)) is not None}

    def save_state(self, portal: str, object_type: str, state: SyncState) -> None:
        with self.db.sessions.begin() as session:
            self._save_state(session, portal, object_type, state)

    def _save_state(self, session: Session, portal: str, object_type: str, state: SyncState) -> None:
        values = {
            "cursor": state.cursor,
            "properties": list(state.properties),
            "log_from": state.log_from,
            "last_sync_at": state.last_sync_at,
            "last_full_at": state.last_full_at,
            "last_kind": state.last_kind,
            "objects": state.objects,
            "last_read": state.last_read,
            "last_changed": state.last_changed,
            "last_deleted": state.last_deleted,
            "last_calls": state.last_calls,
            "last_drift": state.last_drift,
            "last_seconds": state.last_seconds,
        }
        statement = self._insert(MirrorStateRow).values(portal=portal, object_type=object_type, **values)
        statement = statement.on_conflict_do_update(index_elements=["portal", "object_type"], set_=values)
        session.execute(statement)

    # ------------------------------------------------------------------ change log

    def log(self, portal: str, object_type: str, changes: Sequence[Change], synced_at: datetime) -> None:
        if not changes:
            return
        with self.db.sessions.begin() as session:
            self._log(session, portal, object_type, changes, synced_at)

    def _log(
        self, session: Session, portal: str, object_type: str, changes: Sequence[Change], synced_at: datetime
    ) -> None:
        if not changes:
            return
        values = [
            {
                "portal": portal,
                "object_type": object_type,
                "object_id": c.object_id,
                "field": c.field,
                "old": c.old,
                "new": c.new,
                "changed_at": c.changed_at,
                "synced_at": synced_at,
            }
            for c in changes
        ]
        statement = self._insert(MirrorChangeRow)
        for chunk in _chunks(values, MANY):
            session.execute(statement, list(chunk))

    def changes(
        self,
        portal: str,
        object_type: str,
        *,
        since: datetime | None = None,
        synced_after: datetime | None = None,
    ) -> list[Change]:
        """Change-log entries in the order they were recorded."""
        query = select(MirrorChangeRow).where(
            MirrorChangeRow.portal == portal, MirrorChangeRow.object_type == object_type
        )
        if since is not None:
            query = query.where(MirrorChangeRow.changed_at >= since)
        if synced_after is not None:
            query = query.where(MirrorChangeRow.synced_at > synced_after)
        with self.db.sessions() as session:
            return [
                Change(r.object_id, r.field, r.old, r.new, r.changed_at)
                for r in session.scalars(query.order_by(MirrorChangeRow.id))
            ]

    def prune_changes(self, portal: str, before: datetime) -> int:
        with self.db.sessions.begin() as session:
            result = session.execute(
                delete(MirrorChangeRow).where(
                    MirrorChangeRow.portal == portal, MirrorChangeRow.changed_at < before
                )
            )
            return int(getattr(result, "rowcount", 0) or 0)

    # ------------------------------------------------------------------ lease

    def acquire_lease(self, key: str, holder: str, seconds: float, now: datetime) -> bool:
        """Take (or renew) the sync lease of ``key`` for ``seconds``: ``True`` when this holder has it.

        One conditional UPDATE takes over an expired lease or renews our own; failing that, an INSERT
        claims a lease nobody held. Both are atomic, so two replicas never both win.
        """
        expires = now + timedelta(seconds=seconds)
        with self.db.sessions.begin() as session:
            taken = session.execute(
                update(MirrorLeaseRow)
                .where(
                    MirrorLeaseRow.portal == key,
                    (MirrorLeaseRow.holder == holder) | (MirrorLeaseRow.expires_at <= now),
                )
                .values(holder=holder, expires_at=expires)
            )
            if int(getattr(taken, "rowcount", 0) or 0) == 1:
                return True
        try:
            with self.db.sessions.begin() as session:
                session.add(MirrorLeaseRow(portal=key, holder=holder, expires_at=expires))
        except IntegrityError:
            return False
        return True

    def release_lease(self, key: str, holder: str) -> None:
        with self.db.sessions.begin() as session:
            session.execute(
                delete(MirrorLeaseRow).where(MirrorLeaseRow.portal == key, MirrorLeaseRow.holder == holder)
            )

    def lease_holder(self, key: str, now: datetime) -> str | None:
        with self.db.sessions() as session:
            row = session.get(MirrorLeaseRow, key)
            return row.holder if row is not None and row.expires_at > now else None

    # ------------------------------------------------------------------ reset

    def reset(self, portal: str | None = None) -> None:
        """Forget the mirror (one portal, or all): the next sync reads everything again."""
        with self.db.sessions.begin() as session:
            for table in (MirrorObjectRow, MirrorStateRow, MirrorChangeRow, MirrorLeaseRow):
                statement = delete(table)
                if portal is not None:
                    statement = statement.where(table.portal == portal)
                session.execute(statement)
