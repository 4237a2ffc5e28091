"""SQLAlchemy implementations of the smaller repository ports in `bot.ports` (timeline, themes,
processed keys, conversation references), and the helpers every repository shares. The flags
are in `storage.flags`, the inbox, outbox and digests in modules of their own.

Every repository works inside the caller's `AsyncSession` and never commits: the unit of
work that owns the session decides.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    CursorResult,
    delete,
    func,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.selectable import TableValuedAlias

from bot.flags.models import TimelineEvent
from bot.themes.models import Theme
from storage.leases import dialect_of
from storage.mapping import (
    event_values,
    read_event,
    read_theme,
    write_theme,
)
from storage.pending import PendingWrites
from storage.tables import (
    ConversationReferenceRow,
    FlagRow,
    ProcessedKeyRow,
    ThemeRow,
    TimelineEventRow,
)

# PostgreSQL: one transaction at a time places flags in a workspace's themes (an advisory lock
# held until commit; the first key says what the lock is for, the second which workspace).
_THEME_DECISIONS = text("SELECT pg_advisory_xact_lock(1953261933, hashtext(:workspace))")


class DuplicateError(ValueError):
    """A row with the same unique key (flag number, theme slug) already exists."""


def _insert(session: AsyncSession, table: Any) -> sqlite.Insert | postgresql.Insert:
    """An INSERT with ON CONFLICT support for the session's database."""
    return insert_for(session.get_bind().dialect.name, table)


def insert_for(dialect: str, table: Any) -> sqlite.Insert | postgresql.Insert:
    """An INSERT with ON CONFLICT support for the database `dialect` names."""
    if dialect == "sqlite":
        return sqlite.insert(table)
    if dialect == "postgresql":
        return postgresql.insert(table)
    raise NotImplementedError(f"Frontline does not support the {dialect} database")


def customer_refs_rows(dialect: str) -> TableValuedAlias:
    """Each flag's customer refs as rows (column `value`): joined to `flags`, distinct customers
    are counted by the database."""
    if dialect == "postgresql":
        return func.json_array_elements_text(FlagRow.customer_refs).table_valued("value")
    return func.json_each(FlagRow.customer_refs).table_valued("value")


def _is_unique_violation(error: IntegrityError) -> bool:
    # asyncpg reports SQLSTATE 23505; sqlite3 only says so in the message.
    if getattr(error.orig, "sqlstate", None) == "23505":
        return True
    return "UNIQUE constraint failed" in str(error.orig)


async def _flush(session: AsyncSession, what: str) -> None:
    """Flush now, so a broken unique constraint surfaces at the call that caused it."""
    try:
        await session.flush()
    except IntegrityError as error:
        if _is_unique_violation(error):
            raise DuplicateError(f"{what} already exists") from error
        raise


class SqlTimelineRepository:
    """Timeline events in the `timeline_events` table."""

    def __init__(self, session: AsyncSession, pending: PendingWrites) -> None:
        self._session = session
        self._pending = pending

    async def add(self, event: TimelineEvent) -> None:
        self._pending.add(TimelineEventRow, event_values(event))

    async def list_for(self, flag_id: int) -> Sequence[TimelineEvent]:
        """A flag's events in the order they happened."""
        await self._pending.write()
        query = (
            select(TimelineEventRow, FlagRow.platform, FlagRow.workspace_id)
            .join(FlagRow, FlagRow.id == TimelineEventRow.flag_id)
            .where(TimelineEventRow.flag_id == flag_id)
            .order_by(TimelineEventRow.at, TimelineEventRow.id)
        )
        result = await self._session.execute(query)
        return [read_event(row, platform, workspace) for row, platform, workspace in result]


class SqlThemeRepository:
    """Themes in the `themes` table."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def decide_alone(self, workspace_id: str) -> None:
        # SQLite: every transaction already holds the one write lock (storage/write_gate.py).
        if dialect_of(self._session) == "postgresql":
            await self._session.execute(_THEME_DECISIONS, {"workspace": workspace_id})

    async def add(self, theme: Theme) -> Theme:
        """Store a new theme; sets and returns it with `id` set."""
        row = ThemeRow()
        write_theme(theme, row)
        self._session.add(row)
        await _flush(self._session, f"theme {theme.slug} in workspace {theme.workspace_id}")
        theme.id = row.id
        return theme

    async def save(self, theme: Theme) -> None:
        if theme.id is None:
            raise ValueError(f"theme {theme.slug} was never added, so it cannot be saved")
        row = await self._session.get(ThemeRow, theme.id)
        if row is None:
            raise LookupError(f"theme id {theme.id} is not stored")
        write_theme(theme, row)
        await _flush(self._session, f"theme {theme.slug} in workspace {theme.workspace_id}")

    async def get(self, theme_id: int) -> Theme | None:
        row = await self._session.get(ThemeRow, theme_id)
        return read_theme(row) if row is not None else None

    async def get_by_slug(self, workspace_id: str, slug: str) -> Theme | None:
        query = select(ThemeRow).where(ThemeRow.workspace_id == workspace_id, ThemeRow.slug == slug)
        row = (await self._session.scalars(query)).one_or_none()
        return read_theme(row) if row is not None else None

    async def claim_due_nudges(self, now: datetime, limit: int) -> Sequence[Theme]:
        query = (
            select(ThemeRow)
            .where(ThemeRow.nudge_at.is_not(None), ThemeRow.nudge_at <= now)
            .order_by(ThemeRow.nudge_at, ThemeRow.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [read_theme(row) for row in await self._session.scalars(query)]

    async def next_nudge_at(self) -> datetime | None:
        query = select(func.min(ThemeRow.nudge_at)).where(ThemeRow.nudge_at.is_not(None))
        result: datetime | None = (await self._session.execute(query)).scalar_one()
        return result

    async def list_all(self, workspace_id: str) -> Sequence[Theme]:
        """Every theme of a workspace, newest first."""
        query = (
            select(ThemeRow)
            .where(ThemeRow.workspace_id == workspace_id)
            .order_by(ThemeRow.created_at.desc(), ThemeRow.id.desc())
        )
        return [read_theme(row) for row in await self._session.scalars(query)]


class SqlIdempotencyRepository:
    """Processed event keys in the `processed_keys` table."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def claim(self, key: str, at: datetime) -> bool:
        """Record `key` as processed; False when it was already claimed (a retry or duplicate)."""
        statement = (
            _insert(self._session, ProcessedKeyRow)
            .values(key=key, claimed_at=at)
            .on_conflict_do_nothing(index_elements=[ProcessedKeyRow.key])
            .returning(ProcessedKeyRow.key)
        )
        inserted = (await self._session.execute(statement)).scalar_one_or_none()
        return inserted is not None

    async def purge_before(self, before: datetime) -> int:
        """Forget keys claimed before `before`; returns how many were removed."""
        statement = delete(ProcessedKeyRow).where(ProcessedKeyRow.claimed_at < before)
        result = cast("CursorResult[Any]", await self._session.execute(statement))
        return result.rowcount


class SqlConversationReferenceRepository:
    """Saved conversation references in the `conversation_references` table."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def put(self, platform: str, key: str, reference: dict[str, Any], at: datetime) -> None:
        """Insert or replace the reference stored under (platform, key)."""
        insert = _insert(self._session, ConversationReferenceRow).values(
            platform=platform, key=key, reference=reference, updated_at=at
        )
        statement = insert.on_conflict_do_update(
            index_elements=[ConversationReferenceRow.platform, ConversationReferenceRow.key],
            set_={"reference": insert.excluded.reference, "updated_at": insert.excluded.updated_at},
        )
        await self._session.execute(statement)

    async def get(self, platform: str, key: str) -> dict[str, Any] | None:
        query = select(ConversationReferenceRow.reference).where(
            ConversationReferenceRow.platform == platform, ConversationReferenceRow.key == key
        )
        reference = (await self._session.scalars(query)).one_or_none()
        return dict(reference) if reference is not None else None
