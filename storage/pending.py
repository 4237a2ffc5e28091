"""Rows a unit of work inserts without needing their ids, written together in one statement.

Use cases record many timeline events and outbox messages; the ORM would insert them one at a
time to learn each new id, and nobody needs those ids. They wait here and are written with one
executemany per table (in the order recorded within each table) before anything reads those
tables in the same unit of work, and before its commit.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.tables import Base


class PendingInserts:
    """Rows to insert, per table, in order; `write` inserts them in the session's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        # Per table, in the order recorded (tables refer to none of each other).
        self._rows: dict[type[Base], list[dict[str, Any]]] = {}

    def add(self, table: type[Base], values: dict[str, Any]) -> None:
        self._rows.setdefault(table, []).append(values)

    async def write(self) -> None:
        rows, self._rows = self._rows, {}
        for table, values in rows.items():
            await self._session.execute(insert(table), values)

    def clear(self) -> None:
        """Forget what was not written (the unit of work rolls back)."""
        self._rows = {}
