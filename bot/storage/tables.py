"""The database tables, as typed SQLAlchemy 2 declarative models.

``schedules`` (what to post where and when), ``schedule_firings`` (one row per firing a replica
claimed: the unique key on schedule id + fire time is what makes several replicas post each firing
exactly once), ``report_snapshots`` (a compact copy of every report, for trends), ``seen_keys``
(Slack event ids and signed requests already handled, shared by replicas; see
:mod:`bot.storage.seen`), ``workspace_settings`` (a workspace's overrides of the environment's
settings, changed from Slack) and ``settings_changes`` (who changed which setting, old -> new; see
:mod:`bot.storage.workspace`). The Alembic migrations in :mod:`bot.storage.migrations` create exactly
these; a test compares the two. The CRM mirror (:mod:`bot.mirror`) adds ``mirror_objects``,
``mirror_state``, ``mirror_changes`` and ``mirror_leases``; alerts (:mod:`bot.alerts`) add
``alert_rules``, ``alert_events``, ``alert_digests``, ``alert_snoozes``, ``alert_state`` and
``alert_optins`` (see :mod:`bot.storage.alerts`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Dialect,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

__all__ = [
    "AlertDigestRow",
    "AlertEventRow",
    "AlertOptInRow",
    "AlertRuleRow",
    "AlertSnoozeRow",
    "AlertStateRow",
    "Base",
    "FiringRow",
    "MirrorChangeRow",
    "MirrorLeaseRow",
    "MirrorObjectRow",
    "MirrorStateRow",
    "ReportSnapshotRow",
    "ScheduleRow",
    "SeenKeyRow",
    "SettingsChangeRow",
    "UtcDateTime",
    "WorkspaceSettingsRow",
]


class UtcDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on every database.

    SQLite has no time-zone type and hands back naive values; PostgreSQL's ``timestamptz`` hands back
    the session's zone. Normalising both ways to UTC keeps comparisons (and the unique firing key)
    byte-identical across dialects, and refuses naive datetimes instead of guessing their zone.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; pass an aware (UTC) datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# Named constraints so later migrations (and SQLite batch mode) can refer to them by name.
_NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=_NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UtcDateTime()}


class ScheduleRow(Base):
    """A scheduled report. ``spec`` is what the person typed; ``cron`` is its 5-field cron form."""

    __tablename__ = "schedules"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(80))
    cron: Mapped[str] = mapped_column(String(120))
    spec: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    engines: Mapped[str] = mapped_column(String(64))
    pipeline: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[str | None] = mapped_column(String(64))
    origin: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class FiringRow(Base):
    """One claimed firing. Inserting it is the claim; the unique key makes a second claim fail."""

    __tablename__ = "schedule_firings"
    __table_args__ = (UniqueConstraint("schedule_id", "fire_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    schedule_id: Mapped[str] = mapped_column(String(32))
    fire_at: Mapped[datetime]
    claimed_at: Mapped[datetime]
    claimed_by: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[datetime | None]


class ReportSnapshotRow(Base):
    """A compact copy of one engine report: enough for trends, not the whole report."""

    __tablename__ = "report_snapshots"
    __table_args__ = (Index("ix_report_snapshots_engine_pipeline", "engine", "pipeline_key", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    engine: Mapped[str] = mapped_column(String(32))
    # "" when the report covered every pipeline, so the lookup index never has to match NULL.
    pipeline_key: Mapped[str] = mapped_column(String(200))
    pipeline_label: Mapped[str | None] = mapped_column(String(200))
    score: Mapped[int | None] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(32))
    metrics: Mapped[dict[str, float]] = mapped_column(JSON)
    signal_types: Mapped[list[str]] = mapped_column(JSON)
    deals_analyzed: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(32))
    as_of: Mapped[datetime]
    recorded_at: Mapped[datetime]


class SeenKeyRow(Base):
    """A key claimed once: an event id or a hashed signed request. Inserting it is the claim; the
    primary key (kind, key) makes a second claim fail until ``expires_at``, when it may be reclaimed
    (and is pruned)."""

    __tablename__ = "seen_keys"
    __table_args__ = (Index("ix_seen_keys_expires_at", "expires_at"),)

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    # Short keys as sent; 64 characters and more as their SHA-256 (hex, 64), so the two never collide.
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime]


class WorkspaceSettingsRow(Base):
    """One workspace's overrides of the environment's settings: ``values`` maps a setting's name to
    its value (JSON: numbers, strings, lists); a setting not in it takes the environment's value."""

    __tablename__ = "workspace_settings"

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    values: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_by: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime]


class SettingsChangeRow(Base):
    """One setting changed from Slack: who, which setting, the effective value before and after (as
    shown to people, never a secret: only workspace settings are ever written here)."""

    __tablename__ = "settings_changes"
    __table_args__ = (Index("ix_settings_changes_team_id", "team_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(120))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    changed_at: Mapped[datetime]


# --------------------------------------------------------------------------- CRM mirror (bot.mirror)


class MirrorObjectRow(Base):
    """One HubSpot object as last read: its properties as HubSpot sent them, in one JSON column.

    ``object_type`` is HubSpot's (``deals``) or one of the mirror's own kinds (``pipelines:deals``,
    ``owners``, ``account``). ``deleted_at`` marks a tombstone: the object was archived or merged
    away, and its last values stay for the change log's reader. ``synced_at`` is when this row was
    last written, so another replica loads only the rows newer than what it holds.
    """

    __tablename__ = "mirror_objects"
    __table_args__ = (
        Index("ix_mirror_objects_synced", "portal", "object_type", "synced_at"),
        # The live count of a type (each delta's deletion check) reads this index alone.
        Index("ix_mirror_objects_live", "portal", "object_type", "deleted_at"),
    )

    portal: Mapped[str] = mapped_column(String(40), primary_key=True)
    object_type: Mapped[str] = mapped_column(String(64), primary_key=True)
    object_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    properties: Mapped[dict[str, Any]] = mapped_column(JSON)
    deleted_at: Mapped[datetime | None]
    synced_at: Mapped[datetime]


class MirrorStateRow(Base):
    """Per portal and object type: where the delta resumes and what the last sync did."""

    __tablename__ = "mirror_state"

    portal: Mapped[str] = mapped_column(String(40), primary_key=True)
    object_type: Mapped[str] = mapped_column(String(64), primary_key=True)
    cursor: Mapped[datetime | None]
    properties: Mapped[list[str]] = mapped_column(JSON)
    log_from: Mapped[datetime | None]
    last_sync_at: Mapped[datetime | None]
    last_full_at: Mapped[datetime | None]
    last_kind: Mapped[str] = mapped_column(String(16))
    objects: Mapped[int] = mapped_column(Integer)
    last_read: Mapped[int] = mapped_column(Integer)
    last_changed: Mapped[int] = mapped_column(Integer)
    last_deleted: Mapped[int] = mapped_column(Integer)
    last_calls: Mapped[int] = mapped_column(Integer)
    last_drift: Mapped[int] = mapped_column(Integer)
    last_seconds: Mapped[float] = mapped_column(Float)


class MirrorChangeRow(Base):
    """One change of one object: a tracked property old -> new, or created / deleted / restored."""

    __tablename__ = "mirror_changes"
    __table_args__ = (
        Index("ix_mirror_changes_when", "portal", "object_type", "changed_at"),
        Index("ix_mirror_changes_object", "portal", "object_type", "object_id"),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    portal: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str] = mapped_column(String(40))
    field: Mapped[str] = mapped_column(String(64))
    old: Mapped[str | None] = mapped_column(Text)
    new: Mapped[str | None] = mapped_column(Text)
    changed_at: Mapped[datetime]
    synced_at: Mapped[datetime]


class MirrorLeaseRow(Base):
    """Who syncs a portal now: one holder until ``expires_at`` (renewed while the sync runs)."""

    __tablename__ = "mirror_leases"

    portal: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(120))
    expires_at: Mapped[datetime]


# --------------------------------------------------------------------------- alerts (bot.alerts)


class AlertRuleRow(Base):
    """An alert rule: what to watch (``kind``: score-drop, critical, deal-pushed, deal-back,
    deal-lost), where to post (``channel_id``), for which pipeline and from which amount."""

    __tablename__ = "alert_rules"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str] = mapped_column(String(80))
    engine: Mapped[str | None] = mapped_column(String(32))
    points: Mapped[float | None] = mapped_column(Float)
    pipeline: Mapped[str | None] = mapped_column(String(200))
    min_amount: Mapped[float | None] = mapped_column(Float)
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    muted_by: Mapped[str | None] = mapped_column(String(64))
    muted_at: Mapped[datetime | None]


class AlertEventRow(Base):
    """One alert waiting for (or posted in) a digest. The unique key (rule, change, where) is what
    makes a change alert once, however many replicas evaluate the sync that brought it."""

    __tablename__ = "alert_events"
    __table_args__ = (
        UniqueConstraint("rule_id", "change_key", "channel_id"),
        Index("ix_alert_events_pending", "channel_id", "digest_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    rule_id: Mapped[str] = mapped_column(String(16))
    channel_id: Mapped[str] = mapped_column(String(80))
    subject: Mapped[str] = mapped_column(String(64))
    change_key: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(300))
    detail: Mapped[str] = mapped_column(String(500))
    amount: Mapped[float | None] = mapped_column(Float)
    url: Mapped[str | None] = mapped_column(String(500))
    owner: Mapped[str | None] = mapped_column(String(200))
    owner_user: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime]
    digest_id: Mapped[int | None] = mapped_column(Integer)
    folded: Mapped[int] = mapped_column(Integer, default=0)


class AlertDigestRow(Base):
    """One digest a replica claimed: the unique key (channel, window) makes replicas post it once."""

    __tablename__ = "alert_digests"
    __table_args__ = (UniqueConstraint("channel_id", "window_start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel_id: Mapped[str] = mapped_column(String(80))
    window_start: Mapped[datetime]
    claimed_by: Mapped[str] = mapped_column(String(120))
    claimed_at: Mapped[datetime]
    shown: Mapped[int] = mapped_column(Integer, default=0)
    folded: Mapped[int] = mapped_column(Integer, default=0)
    posted_at: Mapped[datetime | None]
    message_ts: Mapped[str | None] = mapped_column(String(32))


class AlertSnoozeRow(Base):
    """A subject (a deal, an engine) snoozed for one rule until ``until``, and who did it."""

    __tablename__ = "alert_snoozes"

    rule_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    subject: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    until: Mapped[datetime]
    snoozed_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]


class AlertStateRow(Base):
    """What the evaluation remembers between syncs: the last sync evaluated, each score rule's
    previous scores and critical signals (JSON)."""

    __tablename__ = "alert_state"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime]


class AlertOptInRow(Base):
    """An owner's choice on the App Home: their deals' alerts as a DM ``instead`` of the channel,
    or ``also``."""

    __tablename__ = "alert_optins"

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    mode: Mapped[str] = mapped_column(String(8))
    updated_at: Mapped[datetime]
