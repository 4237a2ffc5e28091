"""The SQL schema: one declarative row class per table, mirrored by the Alembic migrations."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Fixed constraint names, so migrations name things the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime stored as UTC; SQLite, which drops tzinfo, gets naive UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            # A naive datetime has no defined instant; storing it would silently shift it.
            raise ValueError(f"naive datetime {value!r} cannot be stored; use an aware one")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """The declarative base of every Frontline table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        datetime: UTCDateTime(),
        list[str]: JSON(),
        dict[str, Any]: JSON(),
    }


# Short closed vocabularies (kinds, statuses, platforms); ids and free text are unbounded.
Code = String(32)


class ThemeRow(Base):
    __tablename__ = "themes"
    __table_args__ = (
        UniqueConstraint("workspace_id", "slug"),
        # Routed themes nobody acknowledged: the due-work sweep reads those due.
        Index(
            "ix_themes_nudge_at",
            "nudge_at",
            postgresql_where=text("nudge_at IS NOT NULL"),
            sqlite_where=text("nudge_at IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[str]
    slug: Mapped[str]
    name: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Code)
    owner_platform: Mapped[str | None] = mapped_column(Code)
    owner_channel_id: Mapped[str | None]
    post_platform: Mapped[str | None] = mapped_column(Code)
    post_channel_id: Mapped[str | None]
    post_message_id: Mapped[str | None]
    post_thread_id: Mapped[str | None]
    status_note: Mapped[str | None] = mapped_column(Text)
    status_changed_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    rule_name: Mapped[str | None]
    routed_at: Mapped[datetime | None]
    fixed_at: Mapped[datetime | None]
    fixed_in: Mapped[str | None] = mapped_column(Text)
    merged_into_id: Mapped[int | None]
    title_private: Mapped[bool] = mapped_column(server_default=text("false"))
    nudge_at: Mapped[datetime | None]
    regressed_at: Mapped[datetime | None]
    loop_closed_at: Mapped[datetime | None]


class FlagRow(Base):
    __tablename__ = "flags"
    __table_args__ = (
        UniqueConstraint("workspace_id", "number"),
        # list_open / list_awaiting_ack / list_created_between: per workspace, by age.
        Index("ix_flags_workspace_status_created", "workspace_id", "status", "created_at"),
        Index("ix_flags_workspace_created", "workspace_id", "created_at"),
        # list_open_for_person: reported OR acknowledged by the person.
        Index("ix_flags_workspace_reporter", "workspace_id", "reporter_id"),
        Index("ix_flags_workspace_acknowledged_by", "workspace_id", "acknowledged_by_id"),
        # The flow digest: escalations acknowledged in a week.
        Index("ix_flags_workspace_acknowledged_at", "workspace_id", "acknowledged_at"),
        Index("ix_flags_workspace_resolved_at", "workspace_id", "resolved_at"),
        # The digests (bench/digests.py, measured): a week's flags per theme, read from the
        # index alone; a theme's latest flags (quotes, recurrence); escalations open at a
        # week's end. SQLite plans without statistics, so the column order matters.
        Index("ix_flags_workspace_created_theme", "workspace_id", "created_at", "theme_id"),
        Index("ix_flags_theme_created", "theme_id", "created_at", "id"),
        Index(
            "ix_flags_workspace_kind_created",
            "workspace_id",
            "kind",
            "created_at",
            "status",
            "resolved_at",
        ),
        # find_by_post: a button press on the escalation post.
        Index("ix_flags_workspace_post", "workspace_id", "post_channel_id", "post_message_id"),
        # The silence sweep: flags whose next ladder step is due (only flags with one).
        Index(
            "ix_flags_alarm_at",
            "alarm_at",
            postgresql_where=text("alarm_at IS NOT NULL"),
            sqlite_where=text("alarm_at IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[str]
    number: Mapped[int]
    kind: Mapped[str] = mapped_column(Code)
    summary: Mapped[str] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(Code)
    status: Mapped[str] = mapped_column(Code)
    platform: Mapped[str] = mapped_column(Code)
    reporter_id: Mapped[str]
    reporter_name: Mapped[str]
    origin_channel_id: Mapped[str]
    origin_thread_id: Mapped[str | None]
    origin_message_id: Mapped[str | None]
    origin_private: Mapped[bool] = mapped_column(server_default=text("false"))
    customer_refs: Mapped[list[str]]
    theme_id: Mapped[int | None] = mapped_column(
        ForeignKey("themes.id", ondelete="SET NULL"), index=True
    )
    post_channel_id: Mapped[str | None]
    post_message_id: Mapped[str | None]
    post_thread_id: Mapped[str | None]
    acknowledged_by_id: Mapped[str | None]
    acknowledged_by_name: Mapped[str | None]
    acknowledged_at: Mapped[datetime | None]
    resolved_by_id: Mapped[str | None]
    resolved_by_name: Mapped[str | None]
    resolved_at: Mapped[datetime | None]
    resolution_note: Mapped[str | None] = mapped_column(Text)
    last_customer_update_at: Mapped[datetime | None]
    update_due_at: Mapped[datetime | None]
    snoozed_until: Mapped[datetime | None]
    ack_due_at: Mapped[datetime | None]
    ack_steps: Mapped[int] = mapped_column(default=0, server_default="0")
    ack_next_at: Mapped[datetime | None]
    update_steps: Mapped[int] = mapped_column(default=0, server_default="0")
    update_next_at: Mapped[datetime | None]
    silent_since: Mapped[datetime | None]
    alarm_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    embedding: Mapped[bytes | None] = mapped_column(LargeBinary)
    joined_to_id: Mapped[int | None] = mapped_column(index=True)
    joined_count: Mapped[int] = mapped_column(default=0, server_default="0")
    # Business time from raised to acknowledged (seconds), for the flow digest.
    ack_seconds: Mapped[float | None] = mapped_column(Float)


class SilenceBreachRow(Base):
    """An update deadline missed: from the deadline until the customer heard from us."""

    __tablename__ = "silence_breaches"
    __table_args__ = (
        Index("ix_silence_breaches_workspace_id_started_at", "workspace_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    flag_id: Mapped[int] = mapped_column(ForeignKey("flags.id", ondelete="CASCADE"), index=True)
    workspace_id: Mapped[str]
    severity: Mapped[str] = mapped_column(Code)
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class DigestRow(Base):
    """A weekly digest claimed for one channel and period: sent once (`bot.digests`)."""

    __tablename__ = "digests"
    __table_args__ = (UniqueConstraint("kind", "platform", "workspace_id", "channel_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(Code)
    platform: Mapped[str] = mapped_column(Code)
    workspace_id: Mapped[str]
    channel_id: Mapped[str]
    period: Mapped[str] = mapped_column(Code)
    due_at: Mapped[datetime]
    claimed_at: Mapped[datetime]
    late: Mapped[bool]
    sent: Mapped[bool]  # False: claimed and deliberately not sent (an empty week, skipped)
    post_message_id: Mapped[str | None]


class TimelineEventRow(Base):
    __tablename__ = "timeline_events"
    __table_args__ = (Index("ix_timeline_events_flag_at", "flag_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    flag_id: Mapped[int] = mapped_column(ForeignKey("flags.id", ondelete="CASCADE"))
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(Code)
    actor_id: Mapped[str | None]
    actor_name: Mapped[str | None]
    detail: Mapped[str] = mapped_column(Text)


class WorkspaceCounterRow(Base):
    """The last flag number handed out per workspace."""

    __tablename__ = "workspace_counters"

    workspace_id: Mapped[str] = mapped_column(primary_key=True)
    last_number: Mapped[int]


class ProcessedKeyRow(Base):
    """Idempotency keys of events already handled (platform retries deliver duplicates)."""

    __tablename__ = "processed_keys"

    key: Mapped[str] = mapped_column(primary_key=True)
    claimed_at: Mapped[datetime] = mapped_column(index=True)


class ConversationReferenceRow(Base):
    """Saved platform conversation references for proactive messages."""

    __tablename__ = "conversation_references"

    platform: Mapped[str] = mapped_column(Code, primary_key=True)
    key: Mapped[str] = mapped_column(primary_key=True)
    reference: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime]


class InboxRow(Base):
    """Verified incoming requests, stored before they are acknowledged (`bot.inbox`)."""

    __tablename__ = "inbox"
    __table_args__ = (
        # claim: the oldest pending requests.
        Index("ix_inbox_status_id", "status", "id"),
        Index("ix_inbox_finished_at", "finished_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(unique=True)
    platform: Mapped[str] = mapped_column(Code)
    kind: Mapped[str] = mapped_column(Code)
    payload: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(Code)
    attempts: Mapped[int]
    received_at: Mapped[datetime]
    lease_owner: Mapped[str | None]
    lease_until: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


class OutboxRow(Base):
    """Outgoing messages, recorded with the change that caused them (`bot.outbox`)."""

    __tablename__ = "outbox"
    __table_args__ = (
        # claim: due pending messages; the first pending message of each order key.
        Index("ix_outbox_status_due", "status", "next_attempt_at"),
        Index("ix_outbox_order_key_status_id", "order_key", "status", "id"),
        Index("ix_outbox_flag_id", "flag_id"),
        Index("ix_outbox_finished_at", "finished_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(Code)
    kind: Mapped[str] = mapped_column(Code)
    purpose: Mapped[str]
    order_key: Mapped[str]
    pace_key: Mapped[str | None]
    flag_id: Mapped[int | None]
    envelope: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(Code)
    attempts: Mapped[int]
    uncertain: Mapped[bool]
    next_attempt_at: Mapped[datetime]
    lease_owner: Mapped[str | None]
    lease_until: Mapped[datetime | None]
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    delivered: Mapped[dict[str, Any] | None]
    last_error: Mapped[str | None] = mapped_column(Text)


metadata = Base.metadata
