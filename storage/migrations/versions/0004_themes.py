"""Themes: routing, lifecycle and merges; flags: their text's vector, a private origin, bursts.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("themes") as batch:
        batch.add_column(sa.Column("rule_name", sa.String(), nullable=True))
        batch.add_column(sa.Column("routed_at", Timestamp, nullable=True))
        batch.add_column(sa.Column("fixed_at", Timestamp, nullable=True))
        batch.add_column(sa.Column("fixed_in", sa.Text(), nullable=True))
        batch.add_column(sa.Column("merged_into_id", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("title_private", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch.add_column(sa.Column("nudge_at", Timestamp, nullable=True))
    op.create_index(
        "ix_themes_nudge_at",
        "themes",
        ["nudge_at"],
        postgresql_where=sa.text("nudge_at IS NOT NULL"),
        sqlite_where=sa.text("nudge_at IS NOT NULL"),
    )
    with op.batch_alter_table("flags") as batch:
        batch.add_column(
            sa.Column("origin_private", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch.add_column(sa.Column("embedding", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("joined_to_id", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("joined_count", sa.Integer(), server_default="0", nullable=False)
        )
    op.create_index("ix_flags_joined_to_id", "flags", ["joined_to_id"])


def downgrade() -> None:
    op.drop_index("ix_flags_joined_to_id", table_name="flags")
    with op.batch_alter_table("flags") as batch:
        batch.drop_column("joined_count")
        batch.drop_column("joined_to_id")
        batch.drop_column("embedding")
        batch.drop_column("origin_private")
    op.drop_index("ix_themes_nudge_at", table_name="themes")
    with op.batch_alter_table("themes") as batch:
        for column in (
            "nudge_at",
            "title_private",
            "merged_into_id",
            "fixed_in",
            "fixed_at",
            "routed_at",
            "rule_name",
        ):
            batch.drop_column(column)
