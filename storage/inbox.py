"""Incoming requests in the `inbox` table (`bot.inbox`), claimed with leases."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.inbox.models import InboxItem, InboxStatus, Received
from storage.leases import (
    MAX_ERROR_CHARS,
    bulk_update,
    finishing,
    lease_is_free,
    locked,
    rowcount,
    run_prebuilt,
)
from storage.repositories import _insert
from storage.tables import InboxRow


class SqlInboxRepository:
    """Incoming requests in the `inbox` table."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def accept(self, requests: Sequence[Received], at: datetime) -> list[bool]:
        """Store each request; False for one whose key is already stored (a redelivery)."""
        first: dict[str, Received] = {}
        for request in requests:
            first.setdefault(request.key, request)  # a repeat within the batch is a redelivery
        if not first:
            return []
        table = InboxRow.__table__
        # One cached statement run as an executemany (SQLAlchemy sends it as multi-row INSERTs
        # with RETURNING): a `.values([...])` statement is compiled anew for every batch, which
        # cost more of the event loop than the rest of the acknowledgement.
        statement = (
            _insert(self._session, table)
            .on_conflict_do_nothing(index_elements=[table.c.key])
            .returning(table.c.key)
        )
        rows = [
            {
                "key": request.key,
                "platform": request.platform,
                "kind": request.kind,
                "payload": request.payload,
                "status": InboxStatus.PENDING.value,
                "attempts": 0,
                "received_at": at,
            }
            for request in first.values()
        ]
        connection = await self._session.connection()
        stored = set((await connection.execute(statement, rows)).scalars())
        results = []
        for request in requests:
            fresh = request.key in stored and first[request.key] is request
            results.append(fresh)
        return results

    async def claim(
        self, owner: str, now: datetime, lease_until: datetime, limit: int
    ) -> list[InboxItem]:
        query = (
            select(InboxRow)
            .where(InboxRow.status == InboxStatus.PENDING.value, lease_is_free(InboxRow, now))
            .order_by(InboxRow.id)
            .limit(limit)
        )
        rows = list(await self._session.scalars(locked(self._session, query)))
        for row in rows:
            row.lease_owner, row.lease_until = owner, lease_until
            row.attempts += 1
        await self._session.flush()
        return [
            InboxItem(
                row.id,
                row.key,
                row.platform,
                row.kind,
                dict(row.payload),
                row.received_at,
                row.attempts,
            )
            for row in rows
        ]

    async def finish(self, item_id: int, at: datetime) -> None:
        await run_prebuilt(self._session, _FINISH, {"item_id": item_id, "at": at})

    async def failed_attempt(self, item_id: int, error: str, give_up: bool) -> None:
        values: dict[str, Any] = {
            "lease_owner": None,
            "lease_until": None,
            "last_error": error[:MAX_ERROR_CHARS],
        }
        if give_up:
            # Logged when given up; forgotten with the run requests (`bot.due`).
            values["status"] = InboxStatus.FAILED.value
            values["finished_at"] = func.coalesce(InboxRow.finished_at, InboxRow.received_at)
        await self._session.execute(
            bulk_update(InboxRow).where(InboxRow.id == item_id).values(values)
        )

    async def release(self, owner: str | None) -> int:
        held = InboxRow.lease_owner.is_not(None) if owner is None else InboxRow.lease_owner == owner
        return await rowcount(
            self._session,
            bulk_update(InboxRow)
            .where(held, InboxRow.status == InboxStatus.PENDING.value)
            .values(lease_owner=None, lease_until=None),
        )

    async def depth(self) -> int:
        query = select(func.count()).where(InboxRow.status == InboxStatus.PENDING.value)
        return int((await self._session.execute(query)).scalar_one())

    async def purge_finished_before(self, before: datetime) -> int:
        return await rowcount(
            self._session,
            delete(InboxRow).where(
                InboxRow.status != InboxStatus.PENDING.value, InboxRow.finished_at < before
            ),
        )


# Run for every request: built once, with bound parameters (item_id, at).
_FINISH = finishing(InboxRow, "item_id", InboxStatus.DONE.value)
