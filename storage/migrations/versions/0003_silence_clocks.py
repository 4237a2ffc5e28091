"""The silence clocks: acknowledgement deadline, ladder progress and the indexed alarm.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("flags") as batch:
        batch.add_column(sa.Column("ack_due_at", Timestamp, nullable=True))
        batch.add_column(sa.Column("ack_steps", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("ack_next_at", Timestamp, nullable=True))
        batch.add_column(
            sa.Column("update_steps", sa.Integer(), server_default="0", nullable=False)
        )
        batch.add_column(sa.Column("update_next_at", Timestamp, nullable=True))
        batch.add_column(sa.Column("silent_since", Timestamp, nullable=True))
        batch.add_column(sa.Column("alarm_at", Timestamp, nullable=True))
    # Flags open before this version: their update clock goes on from its deadline.
    op.execute(
        "UPDATE flags SET update_next_at = update_due_at, alarm_at = update_due_at "
        "WHERE status != 'resolved' AND update_due_at IS NOT NULL"
    )
    op.create_index(
        "ix_flags_alarm_at",
        "flags",
        ["alarm_at"],
        postgresql_where=sa.text("alarm_at IS NOT NULL"),
        sqlite_where=sa.text("alarm_at IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_flags_alarm_at", table_name="flags")
    with op.batch_alter_table("flags") as batch:
        for column in (
            "alarm_at",
            "silent_since",
            "update_next_at",
            "update_steps",
            "ack_next_at",
            "ack_steps",
            "ack_due_at",
        ):
            batch.drop_column(column)
