"""The `flags` table: `bot.ports.FlagRepository` in SQL, with the workspace's flag numbers and
the silence sweep's claims of due flags.

Works inside the caller's `AsyncSession` and never commits: the unit of work decides.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVarTuple

from sqlalchemy import (
    ColumnElement,
    Result,
    ScalarResult,
    Select,
    bindparam,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlalchemy.sql.dml import ReturningInsert

from bot.flags.models import Flag, FlagKind, FlagStatus
from bot.messages import Conversation
from bot.themes.models import ThemeActivity
from storage.mapping import flag_values, read_flag, write_flag
from storage.pending import PendingWrites
from storage.repositories import _flush, customer_refs_rows, insert_for
from storage.tables import FlagRow, WorkspaceCounterRow

_Ts = TypeVarTuple("_Ts")


def _is_open() -> ColumnElement[bool]:
    return FlagRow.status != FlagStatus.RESOLVED.value


# The statements every `/flag recurring` runs, built once with bound parameters: building one
# (and its cache key) costs more than running it.
_FLAG_ID = FlagRow.__table__.c.id.type
_CREATED_AT = FlagRow.__table__.c.created_at.type


@functools.cache
def _count_one(dialect: str) -> ReturningInsert[int]:
    """Take the next number of a workspace (parameter: workspace_id); over the table, not the
    mapped class, so the ORM does not copy it at every run."""
    counters = WorkspaceCounterRow.__table__.c
    insert = insert_for(dialect, WorkspaceCounterRow.__table__).values(
        workspace_id=bindparam("workspace_id"), last_number=1
    )
    return insert.on_conflict_do_update(
        index_elements=[counters.workspace_id],
        set_={"last_number": counters.last_number + 1},
    ).returning(counters.last_number)


async def _take_number(connection: AsyncConnection, dialect: str, workspace_id: str) -> int:
    count_one = _count_one(dialect)
    number = (await connection.execute(count_one, {"workspace_id": workspace_id})).scalar_one()
    return int(number)


@functools.cache
def _theme_activity(dialect: str) -> Select[int, int, int]:
    """A theme's flags, agents and customers since a moment (parameters: theme_id, since)."""
    since = bindparam("since", type_=_CREATED_AT)
    recent = (FlagRow.theme_id == bindparam("theme_id", type_=_FLAG_ID), FlagRow.created_at > since)
    refs = customer_refs_rows(dialect)
    customers = (
        select(func.count(refs.c.value.distinct()))
        .select_from(FlagRow)
        .join(refs, literal(True))
        .where(*recent)
        .scalar_subquery()
    )
    return select(
        func.count(FlagRow.id), func.count(FlagRow.reporter_id.distinct()), customers
    ).where(*recent)


_COUNT_BY_THEME_SINCE = (
    select(FlagRow.theme_id, func.count(FlagRow.id))
    .where(
        FlagRow.theme_id.in_(bindparam("theme_ids", expanding=True)),
        FlagRow.created_at > bindparam("since", type_=_CREATED_AT),
    )
    .group_by(FlagRow.theme_id)
)
_EMBEDDED_AFTER = (
    select(FlagRow.id, FlagRow.theme_id, FlagRow.embedding)
    .where(
        FlagRow.workspace_id == bindparam("workspace_id"),
        FlagRow.id > bindparam("after_id", type_=_FLAG_ID),
        FlagRow.theme_id.is_not(None),
        FlagRow.embedding.is_not(None),
    )
    .order_by(FlagRow.id)
    .limit(bindparam("limit"))
)


class SqlFlagRepository:
    """Flags in the `flags` table; numbers come from `workspace_counters`."""

    def __init__(self, session: AsyncSession, pending: PendingWrites) -> None:
        self._session = session
        # The rows read in this unit of work, held so `save` finds them without a query: the
        # session's identity map holds rows only while something else references them.
        self._rows: dict[int, FlagRow] = {}
        # Flags claimed by a sweep, read without the ORM: their column values as last written.
        # Saving one records only the columns that changed, written with the unit of work.
        self._claimed: dict[int, dict[str, Any]] = {}
        self._pending = pending

    def _read(self, row: FlagRow) -> Flag:
        self._rows[row.id] = row
        self._claimed.pop(row.id, None)  # read afresh (changes written first): the row is the truth
        return read_flag(row)

    async def _scalars(self, query: Select[Any]) -> ScalarResult[Any]:
        """Run a query over flags, after writing the changes of claimed flags."""
        await self._pending.write()
        return await self._session.scalars(query)

    async def _execute(
        self, query: Select[*_Ts], parameters: dict[str, Any] | None = None
    ) -> Result[*_Ts]:
        await self._pending.write()
        return await self._session.execute(query, parameters)

    async def next_number(self, workspace_id: str) -> int:
        """Reserve the next flag number of a workspace (never reused, never duplicated)."""
        # One atomic upsert: the counter row's lock serialises concurrent reservations on
        # PostgreSQL, and SQLite transactions already hold the write lock (BEGIN IMMEDIATE).
        connection = await self._session.connection()
        return await _take_number(connection, connection.dialect.name, workspace_id)

    async def reserve_number(self, workspace_id: str) -> int:
        """The next number, committed at once on PostgreSQL in a transaction of its own."""
        engine = self._session.bind
        if not isinstance(engine, AsyncEngine) or engine.dialect.name != "postgresql":
            return await self.next_number(workspace_id)  # SQLite: one writer, one transaction
        async with engine.begin() as connection:
            return await _take_number(connection, engine.dialect.name, workspace_id)

    async def add(self, flag: Flag) -> Flag:
        """Store a new flag; sets and returns it with `id` set."""
        row = FlagRow()
        write_flag(flag, row)
        self._session.add(row)
        await _flush(self._session, f"flag {flag.key} in workspace {flag.workspace_id}")
        flag.id = row.id
        self._rows[row.id] = row
        return flag

    async def save(self, flag: Flag) -> None:
        """Store changes to an existing flag."""
        if flag.id is None:
            raise ValueError(f"flag {flag.key} was never added, so it cannot be saved")
        claimed = self._claimed.get(flag.id)
        if claimed is not None:
            changes = {
                column: value
                for column, value in flag_values(flag).items()
                if claimed[column] != value
            }
            if changes:
                claimed.update(changes)
                self._pending.update(FlagRow, flag.id, changes)
            return
        await self._pending.write()
        row = self._rows.get(flag.id) or await self._session.get(FlagRow, flag.id)
        if row is None:
            raise LookupError(f"flag id {flag.id} is not stored")
        # Written with the unit of work (or the next query): many saves share one flush.
        write_flag(flag, row)

    async def get(self, workspace_id: str, number: int) -> Flag | None:
        return await self._one(FlagRow.workspace_id == workspace_id, FlagRow.number == number)

    async def get_by_id(self, flag_id: int) -> Flag | None:
        await self._pending.write()
        row = await self._session.get(FlagRow, flag_id, with_for_update=True)
        return self._read(row) if row is not None else None

    async def find_by_post(self, conversation: Conversation, message_id: str) -> Flag | None:
        """The flag whose escalation post is `message_id` in `conversation`."""
        return await self._one(
            FlagRow.workspace_id == conversation.workspace_id,
            FlagRow.platform == conversation.platform,
            FlagRow.post_channel_id == conversation.channel_id,
            FlagRow.post_message_id == message_id,
        )

    async def list_open_for_person(self, workspace_id: str, user_id: str) -> Sequence[Flag]:
        """Open flags the person reported or owns, oldest first."""
        return await self._all(
            FlagRow.workspace_id == workspace_id,
            _is_open(),
            or_(FlagRow.reporter_id == user_id, FlagRow.acknowledged_by_id == user_id),
        )

    async def list_awaiting_ack(self, workspace_id: str) -> Sequence[Flag]:
        """Open escalations nobody has acknowledged yet, oldest first."""
        return await self._all(
            FlagRow.workspace_id == workspace_id,
            FlagRow.kind == FlagKind.ESCALATE.value,
            _is_open(),
            FlagRow.acknowledged_by_id.is_(None),
        )

    async def first_of_themes(self, theme_ids: Sequence[int]) -> dict[int, Flag]:
        if not theme_ids:
            return {}
        firsts = (
            select(func.min(FlagRow.id))
            .where(FlagRow.theme_id.in_(list(theme_ids)))
            .group_by(FlagRow.theme_id)
        )
        rows = await self._scalars(select(FlagRow).where(FlagRow.id.in_(firsts)))
        return {row.theme_id: read_flag(row) for row in rows if row.theme_id is not None}

    async def list_joined(self, flag_id: int) -> Sequence[Flag]:
        query = select(FlagRow).where(FlagRow.joined_to_id == flag_id).order_by(FlagRow.id)
        return [self._read(row) for row in await self._scalars(query)]

    async def page(self, after_id: int, limit: int) -> Sequence[Flag]:
        query = select(FlagRow).where(FlagRow.id > after_id).order_by(FlagRow.id).limit(limit)
        return [read_flag(row) for row in await self._scalars(query)]

    async def list_embedded_after(
        self, workspace_id: str, after_id: int, limit: int
    ) -> Sequence[tuple[int, int, bytes]]:
        parameters = {"workspace_id": workspace_id, "after_id": after_id, "limit": limit}
        rows = await self._execute(_EMBEDDED_AFTER, parameters)
        return [(i, t, bytes(e)) for i, t, e in rows if t is not None and e is not None]

    async def list_for_theme(self, theme_id: int) -> Sequence[Flag]:
        """Every flag of a theme, oldest first."""
        return await self._all(FlagRow.theme_id == theme_id)

    async def count_by_theme_since(
        self, theme_ids: Sequence[int], since: datetime
    ) -> dict[int, int]:
        counts = dict.fromkeys(theme_ids, 0)
        if not counts:
            return counts
        parameters = {"theme_ids": list(counts), "since": since}
        for theme_id, count in await self._execute(_COUNT_BY_THEME_SINCE, parameters):
            if theme_id is not None:
                counts[theme_id] = int(count)
        return counts

    async def theme_activity(self, theme_id: int, since: datetime) -> ThemeActivity:
        activity = _theme_activity(self._session.get_bind().dialect.name)
        parameters = {"theme_id": theme_id, "since": since}
        flags, agents, found = (await self._execute(activity, parameters)).one()
        return ThemeActivity(int(flags), int(agents), int(found))

    async def list_created_between(
        self, workspace_id: str, start: datetime, end: datetime
    ) -> Sequence[Flag]:
        """Flags created in [start, end), oldest first."""
        return await self._all(
            FlagRow.workspace_id == workspace_id,
            FlagRow.created_at >= start,
            FlagRow.created_at < end,
        )

    async def list_open(self, workspace_id: str) -> Sequence[Flag]:
        """Every open flag of a workspace, oldest first."""
        return await self._all(FlagRow.workspace_id == workspace_id, _is_open())

    async def claim_due(self, now: datetime, limit: int) -> Sequence[Flag]:
        """Flags whose alarm is due, earliest first, locked until commit.

        On PostgreSQL rows another transaction holds (another replica's sweep, or someone
        acknowledging the flag right now) are skipped, to be taken by a later sweep.
        """
        table = FlagRow.__table__
        query = (
            select(table)
            .where(table.c.alarm_at.is_not(None), table.c.alarm_at <= now)
            .order_by(table.c.alarm_at, table.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        # Without the ORM: a sweep reads and changes many flags, and the ORM's bookkeeping per
        # row cost more than the sweep's own work (bench/sweep.py).
        flags = []
        for row in await self._execute(query):
            self._claimed[row.id] = dict(row._mapping)
            flags.append(read_flag(row))
        return flags

    async def next_alarm_at(self) -> datetime | None:
        """The earliest alarm of any flag."""
        query = select(func.min(FlagRow.alarm_at)).where(FlagRow.alarm_at.is_not(None))
        result: datetime | None = (await self._execute(query)).scalar_one()
        return result

    async def _one(self, *criteria: ColumnElement[bool]) -> Flag | None:
        """The oldest matching flag, row-locked until commit (callers load a flag to change it;
        on PostgreSQL this makes two concurrent acknowledgements queue instead of both winning).
        """
        query = (
            select(FlagRow)
            .where(*criteria)
            .order_by(FlagRow.created_at, FlagRow.id)
            .with_for_update(of=FlagRow)
        )
        row = (await self._scalars(query.limit(1))).first()
        return self._read(row) if row is not None else None

    async def _all(self, *criteria: ColumnElement[bool]) -> list[Flag]:
        """Matching flags, oldest first."""
        query = select(FlagRow).where(*criteria).order_by(FlagRow.created_at, FlagRow.id)
        return [read_flag(row) for row in await self._scalars(query)]
