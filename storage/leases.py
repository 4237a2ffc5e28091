"""Durable work claimed with leases: what the inbox and outbox tables share.

A worker claims rows by setting a lease (owner and expiry) in a short transaction. On
PostgreSQL the rows are locked `FOR UPDATE SKIP LOCKED` while leased, so replicas claiming at
the same moment never take the same row; SQLite runs one writer at a time anyway. A replica
that dies keeps its leases only until they expire; then any replica takes the rows over.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar, cast

from sqlalchemy import CursorResult, Select, Table, bindparam, or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.tables import InboxRow, OutboxRow

R = TypeVar("R", InboxRow, OutboxRow)
MAX_ERROR_CHARS = 500


def bulk_update(table: type[InboxRow] | type[OutboxRow]) -> Any:
    """A bulk UPDATE; no ORM objects of these rows are kept, so none need synchronising."""
    return update(table).execution_options(synchronize_session=False)


def lease_is_free(table: type[InboxRow] | type[OutboxRow], now: datetime | Any) -> Any:
    """No lease, or an expired one (`now` may be a bound parameter of a prebuilt statement)."""
    return or_(table.lease_until.is_(None), table.lease_until < now)


def table_of(mapped: type[InboxRow] | type[OutboxRow]) -> Table:
    """The table a class is mapped to, for statements that bypass the ORM."""
    return cast(Table, mapped.__table__)


def finishing(
    mapped: type[InboxRow] | type[OutboxRow], key: str, status: str, **values: Any
) -> Any:
    """An UPDATE, built once, of the row whose id is bound as `key`: now `status`, finished at
    the bound `at`, its lease given back; `values` are further columns to set."""
    table = table_of(mapped)
    return (
        update(table)
        .where(table.c.id == bindparam(key))
        .values(
            status=status,
            finished_at=bindparam("at", type_=table.c.finished_at.type),
            lease_owner=None,
            lease_until=None,
            **values,
        )
    )


async def run_prebuilt(session: AsyncSession, statement: Any, parameters: dict[str, Any]) -> None:
    """Run a statement built once over a table (not the ORM class) in the session's transaction.

    On the session's connection, so the ORM neither copies it nor works out its cache key again
    at every run, as it does for statements over mapped classes.
    """
    connection = await session.connection()
    await connection.execute(statement, parameters)


def dialect_of(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def locked(session: AsyncSession, query: Select[R]) -> Select[R]:
    """Lock the selected rows, skipping rows another transaction has locked (PostgreSQL)."""
    if dialect_of(session) == "postgresql":
        return query.with_for_update(skip_locked=True)
    return query


async def rowcount(session: AsyncSession, statement: Any) -> int:
    result = cast("CursorResult[Any]", await session.execute(statement))
    return int(result.rowcount or 0)
