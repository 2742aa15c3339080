"""CRM mirror: HubSpot objects, per-type sync state, the change log and the sync lease.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "mirror_objects",
        sa.Column("portal", sa.String(length=40), nullable=False),
        sa.Column("object_type", sa.String(length=64), nullable=False),
        sa.Column("object_id", sa.String(length=40), nullable=False),
        sa.Column("properties", sa.JSON(), nullable=False),
        sa.Column("deleted_at", _WHEN, nullable=True),
        sa.Column("synced_at", _WHEN, nullable=False),
        sa.PrimaryKeyConstraint("portal", "object_type", "object_id", name=op.f("pk_mirror_objects")),
    )
    op.create_index("ix_mirror_objects_synced", "mirror_objects", ["portal", "object_type", "synced_at"])
    op.create_table(
        "mirror_state",
        sa.Column("portal", sa.String(length=40), nullable=False),
        sa.Column("object_type", sa.String(length=64), nullable=False),
        sa.Column("cursor", _WHEN, nullable=True),
        sa.Column("properties", sa.JSON(), nullable=False),
        sa.Column("log_from", _WHEN, nullable=True),
        sa.Column("last_sync_at", _WHEN, nullable=True),
        sa.Column("last_full_at", _WHEN, nullable=True),
        sa.Column("last_kind", sa.String(length=16), nullable=False),
        sa.Column("objects", sa.Integer(), nullable=False),
        sa.Column("last_read", sa.Integer(), nullable=False),
        sa.Column("last_changed", sa.Integer(), nullable=False),
        sa.Column("last_deleted", sa.Integer(), nullable=False),
        sa.Column("last_calls", sa.Integer(), nullable=False),
        sa.Column("last_drift", sa.Integer(), nullable=False),
        sa.Column("last_seconds", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("portal", "object_type", name=op.f("pk_mirror_state")),
    )
    op.create_table(
        "mirror_changes",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("portal", sa.String(length=40), nullable=False),
        sa.Column("object_type", sa.String(length=64), nullable=False),
        sa.Column("object_id", sa.String(length=40), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=False),
        sa.Column("old", sa.Text(), nullable=True),
        sa.Column("new", sa.Text(), nullable=True),
        sa.Column("changed_at", _WHEN, nullable=False),
        sa.Column("synced_at", _WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mirror_changes")),
    )
    op.create_index("ix_mirror_changes_when", "mirror_changes", ["portal", "object_type", "changed_at"])
    op.create_index("ix_mirror_changes_object", "mirror_changes", ["portal", "object_type", "object_id"])
    op.create_table(
        "mirror_leases",
        sa.Column("portal", sa.String(length=40), nullable=False),
        sa.Column("holder", sa.String(length=120), nullable=False),
        sa.Column("expires_at", _WHEN, nullable=False),
        sa.PrimaryKeyConstraint("portal", name=op.f("pk_mirror_leases")),
    )


def downgrade() -> None:
    op.drop_table("mirror_leases")
    op.drop_index("ix_mirror_changes_object", table_name="mirror_changes")
    op.drop_index("ix_mirror_changes_when", table_name="mirror_changes")
    op.drop_table("mirror_changes")
    op.drop_table("mirror_state")
    op.drop_index("ix_mirror_objects_synced", table_name="mirror_objects")
    op.drop_table("mirror_objects")
