"""Digests: one record per channel and week (sent exactly once), silence breaches, the business
time each escalation took to be acknowledged, and when a theme last regressed.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Timestamp = sa.DateTime(timezone=True)
Code = sa.String(32)


def upgrade() -> None:
    op.create_table(
        "digests",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", Code, nullable=False),
        sa.Column("platform", Code, nullable=False),
        sa.Column("workspace_id", sa.String(), nullable=False),
        sa.Column("channel_id", sa.String(), nullable=False),
        sa.Column("period", Code, nullable=False),
        sa.Column("due_at", Timestamp, nullable=False),
        sa.Column("claimed_at", Timestamp, nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("sent", sa.Boolean(), nullable=False),
        sa.Column("post_message_id", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_digests"),
        sa.UniqueConstraint(
            "kind",
            "platform",
            "workspace_id",
            "channel_id",
            "period",
            name="uq_digests_kind_platform_workspace_id_channel_id_period",
        ),
    )
    op.create_table(
        "silence_breaches",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("flag_id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.String(), nullable=False),
        sa.Column("severity", Code, nullable=False),
        sa.Column("started_at", Timestamp, nullable=False),
        sa.Column("ended_at", Timestamp, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_silence_breaches"),
        sa.ForeignKeyConstraint(
            ["flag_id"],
            ["flags.id"],
            name="fk_silence_breaches_flag_id_flags",
            ondelete="CASCADE",
        ),
    )
    op.create_index(
        "ix_silence_breaches_workspace_id_started_at",
        "silence_breaches",
        ["workspace_id", "started_at"],
    )
    op.create_index("ix_silence_breaches_flag_id", "silence_breaches", ["flag_id"])
    with op.batch_alter_table("flags") as batch:
        batch.add_column(sa.Column("ack_seconds", sa.Float(), nullable=True))
    op.create_index(
        "ix_flags_workspace_acknowledged_at", "flags", ["workspace_id", "acknowledged_at"]
    )
    op.create_index("ix_flags_workspace_resolved_at", "flags", ["workspace_id", "resolved_at"])
    op.create_index(
        "ix_flags_workspace_created_theme", "flags", ["workspace_id", "created_at", "theme_id"]
    )
    op.create_index("ix_flags_theme_created", "flags", ["theme_id", "created_at", "id"])
    op.create_index(
        "ix_flags_workspace_kind_created",
        "flags",
        ["workspace_id", "kind", "created_at", "status", "resolved_at"],
    )
    with op.batch_alter_table("themes") as batch:
        batch.add_column(sa.Column("regressed_at", Timestamp, nullable=True))
        batch.add_column(sa.Column("loop_closed_at", Timestamp, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("themes") as batch:
        batch.drop_column("loop_closed_at")
        batch.drop_column("regressed_at")
    for index in (
        "ix_flags_workspace_kind_created",
        "ix_flags_theme_created",
        "ix_flags_workspace_created_theme",
        "ix_flags_workspace_resolved_at",
    ):
        op.drop_index(index, table_name="flags")
    op.drop_index("ix_flags_workspace_acknowledged_at", table_name="flags")
    with op.batch_alter_table("flags") as batch:
        batch.drop_column("ack_seconds")
    op.drop_index("ix_silence_breaches_flag_id", table_name="silence_breaches")
    op.drop_index("ix_silence_breaches_workspace_id_started_at", table_name="silence_breaches")
    op.drop_table("silence_breaches")
    op.drop_table("digests")
