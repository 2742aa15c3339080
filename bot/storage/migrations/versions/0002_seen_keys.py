"""Seen keys: Slack event ids and signed requests already handled, shared by replicas.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "seen_keys",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kind", "key", name=op.f("pk_seen_keys")),
    )
    # Pruning deletes by expiry; without the index every prune would scan the table.
    op.create_index("ix_seen_keys_expires_at", "seen_keys", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_seen_keys_expires_at", table_name="seen_keys")
    op.drop_table("seen_keys")
