"""Alerts: rules, the alerts waiting for a digest, claimed digests, snoozes, evaluation state and
the owners' DM choices.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "alert_digests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("channel_id", sa.String(length=80), nullable=False),
        sa.Column("window_start", _WHEN, nullable=False),
        sa.Column("claimed_by", sa.String(length=120), nullable=False),
        sa.Column("claimed_at", _WHEN, nullable=False),
        sa.Column("shown", sa.Integer(), nullable=False),
        sa.Column("folded", sa.Integer(), nullable=False),
        sa.Column("posted_at", _WHEN, nullable=True),
        sa.Column("message_ts", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_digests")),
        sa.UniqueConstraint(
            "channel_id", "window_start", name=op.f("uq_alert_digests_channel_id_window_start")
        ),
    )
    op.create_table(
        "alert_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("rule_id", sa.String(length=16), nullable=False),
        sa.Column("channel_id", sa.String(length=80), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("change_key", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("detail", sa.String(length=500), nullable=False),
        sa.Column("amount", sa.Float(), nullable=True),
        sa.Column("url", sa.String(length=500), nullable=True),
        sa.Column("owner", sa.String(length=200), nullable=True),
        sa.Column("owner_user", sa.String(length=32), nullable=True),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("digest_id", sa.Integer(), nullable=True),
        sa.Column("folded", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_events")),
        sa.UniqueConstraint(
            "rule_id", "change_key", "channel_id", name=op.f("uq_alert_events_rule_id_change_key_channel_id")
        ),
    )
    op.create_index("ix_alert_events_pending", "alert_events", ["channel_id", "digest_id"])

    op.create_table(
        "alert_optins",
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.Column("updated_at", _WHEN, nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_alert_optins")),
    )
    op.create_table(
        "alert_rules",
        sa.Column("id", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("channel_id", sa.String(length=80), nullable=False),
        sa.Column("engine", sa.String(length=32), nullable=True),
        sa.Column("points", sa.Float(), nullable=True),
        sa.Column("pipeline", sa.String(length=200), nullable=True),
        sa.Column("min_amount", sa.Float(), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("muted_by", sa.String(length=64), nullable=True),
        sa.Column("muted_at", _WHEN, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_rules")),
    )
    op.create_table(
        "alert_snoozes",
        sa.Column("rule_id", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("until", _WHEN, nullable=False),
        sa.Column("snoozed_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.PrimaryKeyConstraint("rule_id", "subject", name=op.f("pk_alert_snoozes")),
    )
    op.create_table(
        "alert_state",
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("updated_at", _WHEN, nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_alert_state")),
    )


def downgrade() -> None:
    op.drop_table("alert_state")
    op.drop_table("alert_snoozes")
    op.drop_table("alert_rules")
    op.drop_table("alert_optins")
    op.drop_index("ix_alert_events_pending", table_name="alert_events")

    op.drop_table("alert_events")
    op.drop_table("alert_digests")
