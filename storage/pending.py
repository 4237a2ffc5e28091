"""Writes a unit of work makes without reading anything back, made together before any read.

Use cases record many timeline events and outbox messages; the ORM would insert them one at a
time to learn each new id, and nobody needs those ids. A sweep changes a few columns of many
flags it read without the ORM. Both wait here and are written with one executemany per table
(inserts in the order recorded within each table; updates grouped by the columns they change)
before anything reads those tables in the same unit of work, and before its commit.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.tables import Base


class PendingWrites:
    """Rows to insert and rows to update, per table; `write` makes them in the session's
    transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        # Per table, in the order recorded (tables refer to none of each other).
        self._rows: dict[type[Base], list[dict[str, Any]]] = {}
        # Per table and row id, the columns to change (later changes win).
        self._updates: dict[type[Base], dict[int, dict[str, Any]]] = {}

    def add(self, table: type[Base], values: dict[str, Any]) -> None:
        self._rows.setdefault(table, []).append(values)

    def update(self, table: type[Base], row_id: int, values: dict[str, Any]) -> None:
        self._updates.setdefault(table, {}).setdefault(row_id, {}).update(values)

    async def write(self) -> None:
        rows, self._rows = self._rows, {}
        updates, self._updates = self._updates, {}
        if not rows and not updates:
            return
        # Core, not the ORM's bulk statements: no per-row bookkeeping for rows nobody reads back.
        connection = await self._session.connection()
        for table, inserts in rows.items():
            await connection.execute(insert(table), inserts)
        for table, by_id in updates.items():
            columns = table.__table__.c
            same_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
            for row_id, changes in by_id.items():
                new = {f"new_{name}": value for name, value in changes.items()}
                same_columns.setdefault(tuple(sorted(changes)), []).append(
                    {"row_id": row_id, **new}
                )
            for names, parameters in same_columns.items():
                statement = (
                    update(table)
                    .where(columns.id == bindparam("row_id"))
                    .values(
                        {name: bindparam(f"new_{name}", type_=columns[name].type) for name in names}
                    )
                )
                await connection.execute(statement, parameters)

    def clear(self) -> None:
        """Forget what was not written (the unit of work rolls back)."""
        self._rows = {}
        self._updates = {}
