"""Durable work: the inbox of acknowledged requests and the outbox of messages to deliver.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Code = sa.String(length=32)
Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "inbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("platform", Code, nullable=False),
        sa.Column("kind", Code, nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", Code, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("received_at", Timestamp, nullable=False),
        sa.Column("lease_owner", sa.String(), nullable=True),
        sa.Column("lease_until", Timestamp, nullable=True),
        sa.Column("finished_at", Timestamp, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox")),
        sa.UniqueConstraint("key", name=op.f("uq_inbox_key")),
    )
    op.create_index("ix_inbox_status_id", "inbox", ["status", "id"])
    op.create_index("ix_inbox_finished_at", "inbox", ["finished_at"])

    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", Code, nullable=False),
        sa.Column("kind", Code, nullable=False),
        sa.Column("purpose", sa.String(), nullable=False),
        sa.Column("order_key", sa.String(), nullable=False),
        sa.Column("pace_key", sa.String(), nullable=True),
        sa.Column("flag_id", sa.Integer(), nullable=True),
        sa.Column("envelope", sa.JSON(), nullable=False),
        sa.Column("status", Code, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("uncertain", sa.Boolean(), nullable=False),
        sa.Column("next_attempt_at", Timestamp, nullable=False),
        sa.Column("lease_owner", sa.String(), nullable=True),
        sa.Column("lease_until", Timestamp, nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("finished_at", Timestamp, nullable=True),
        sa.Column("delivered", sa.JSON(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    op.create_index("ix_outbox_status_due", "outbox", ["status", "next_attempt_at"])
    op.create_index("ix_outbox_order_key_status_id", "outbox", ["order_key", "status", "id"])
    op.create_index("ix_outbox_flag_id", "outbox", ["flag_id"])
    op.create_index("ix_outbox_finished_at", "outbox", ["finished_at"])


def downgrade() -> None:
    op.drop_table("outbox")
    op.drop_table("inbox")
