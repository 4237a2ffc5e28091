"""Initial schema: flags, their timeline, themes, counters, idempotency keys, references.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types, so later edits to storage.tables cannot change history.
Code = sa.String(length=32)
Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "themes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.String(), nullable=False),
        sa.Column("slug", sa.String(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("status", Code, nullable=False),
        sa.Column("owner_platform", Code, nullable=True),
        sa.Column("owner_channel_id", sa.String(), nullable=True),
        sa.Column("post_platform", Code, nullable=True),
        sa.Column("post_channel_id", sa.String(), nullable=True),
        sa.Column("post_message_id", sa.String(), nullable=True),
        sa.Column("post_thread_id", sa.String(), nullable=True),
        sa.Column("status_note", sa.Text(), nullable=True),
        sa.Column("status_changed_at", Timestamp, nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_themes")),
        sa.UniqueConstraint("workspace_id", "slug", name=op.f("uq_themes_workspace_id_slug")),
    )

    op.create_table(
        "flags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.String(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("kind", Code, nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("severity", Code, nullable=False),
        sa.Column("status", Code, nullable=False),
        sa.Column("platform", Code, nullable=False),
        sa.Column("reporter_id", sa.String(), nullable=False),
        sa.Column("reporter_name", sa.String(), nullable=False),
        sa.Column("origin_channel_id", sa.String(), nullable=False),
        sa.Column("origin_thread_id", sa.String(), nullable=True),
        sa.Column("origin_message_id", sa.String(), nullable=True),
        sa.Column("customer_refs", sa.JSON(), nullable=False),
        sa.Column("theme_id", sa.Integer(), nullable=True),
        sa.Column("post_channel_id", sa.String(), nullable=True),
        sa.Column("post_message_id", sa.String(), nullable=True),
        sa.Column("post_thread_id", sa.String(), nullable=True),
        sa.Column("acknowledged_by_id", sa.String(), nullable=True),
        sa.Column("acknowledged_by_name", sa.String(), nullable=True),
        sa.Column("acknowledged_at", Timestamp, nullable=True),
        sa.Column("resolved_by_id", sa.String(), nullable=True),
        sa.Column("resolved_by_name", sa.String(), nullable=True),
        sa.Column("resolved_at", Timestamp, nullable=True),
        sa.Column("resolution_note", sa.Text(), nullable=True),
        sa.Column("last_customer_update_at", Timestamp, nullable=True),
        sa.Column("update_due_at", Timestamp, nullable=True),
        sa.Column("snoozed_until", Timestamp, nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.ForeignKeyConstraint(
            ["theme_id"],
            ["themes.id"],
            name=op.f("fk_flags_theme_id_themes"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flags")),
        sa.UniqueConstraint("workspace_id", "number", name=op.f("uq_flags_workspace_id_number")),
    )
    op.create_index(op.f("ix_flags_theme_id"), "flags", ["theme_id"])
    op.create_index(
        "ix_flags_workspace_status_created", "flags", ["workspace_id", "status", "created_at"]
    )
    op.create_index("ix_flags_workspace_created", "flags", ["workspace_id", "created_at"])
    op.create_index("ix_flags_workspace_reporter", "flags", ["workspace_id", "reporter_id"])
    op.create_index(
        "ix_flags_workspace_acknowledged_by", "flags", ["workspace_id", "acknowledged_by_id"]
    )
    op.create_index(
        "ix_flags_workspace_post", "flags", ["workspace_id", "post_channel_id", "post_message_id"]
    )

    op.create_table(
        "timeline_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("flag_id", sa.Integer(), nullable=False),
        sa.Column("at", Timestamp, nullable=False),
        sa.Column("kind", Code, nullable=False),
        sa.Column("actor_id", sa.String(), nullable=True),
        sa.Column("actor_name", sa.String(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["flag_id"],
            ["flags.id"],
            name=op.f("fk_timeline_events_flag_id_flags"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_timeline_events")),
    )
    op.create_index("ix_timeline_events_flag_at", "timeline_events", ["flag_id", "at"])

    op.create_table(
        "workspace_counters",
        sa.Column("workspace_id", sa.String(), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", name=op.f("pk_workspace_counters")),
    )

    op.create_table(
        "processed_keys",
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("claimed_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_processed_keys")),
    )
    op.create_index(op.f("ix_processed_keys_claimed_at"), "processed_keys", ["claimed_at"])

    op.create_table(
        "conversation_references",
        sa.Column("platform", Code, nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("reference", sa.JSON(), nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("platform", "key", name=op.f("pk_conversation_references")),
    )


def downgrade() -> None:
    op.drop_table("conversation_references")
    op.drop_table("processed_keys")
    op.drop_table("workspace_counters")
    op.drop_table("timeline_events")
    op.drop_table("flags")
    op.drop_table("themes")
