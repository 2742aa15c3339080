"""Schedules, claimed firings and report snapshots.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Plain types on purpose: a migration must keep meaning the same thing after the models change.
_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "schedules",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("channel_id", sa.String(length=80), nullable=False),
        sa.Column("cron", sa.String(length=120), nullable=False),
        sa.Column("spec", sa.String(length=200), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("engines", sa.String(length=64), nullable=False),
        sa.Column("pipeline", sa.String(length=200), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("updated_at", _WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedules")),
    )
    op.create_table(
        "schedule_firings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("schedule_id", sa.String(length=32), nullable=False),
        sa.Column("fire_at", _WHEN, nullable=False),
        sa.Column("claimed_at", _WHEN, nullable=False),
        sa.Column("claimed_by", sa.String(length=120), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("finished_at", _WHEN, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedule_firings")),
        sa.UniqueConstraint("schedule_id", "fire_at", name=op.f("uq_schedule_firings_schedule_id_fire_at")),
    )
    op.create_table(
        "report_snapshots",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("engine", sa.String(length=32), nullable=False),
        sa.Column("pipeline_key", sa.String(length=200), nullable=False),
        sa.Column("pipeline_label", sa.String(length=200), nullable=True),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("label", sa.String(length=32), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("signal_types", sa.JSON(), nullable=False),
        sa.Column("deals_analyzed", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("as_of", _WHEN, nullable=False),
        sa.Column("recorded_at", _WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_snapshots")),
    )
    op.create_index(
        "ix_report_snapshots_engine_pipeline", "report_snapshots", ["engine", "pipeline_key", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_report_snapshots_engine_pipeline", table_name="report_snapshots")
    op.drop_table("report_snapshots")
    op.drop_table("schedule_firings")
    op.drop_table("schedules")
