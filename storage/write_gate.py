"""SQLite's one write lock, queued in the event loop, with the intake first in line.

Every SQLite transaction here takes the write lock up front (BEGIN IMMEDIATE). Left to SQLite,
writers that find it held poll for it with growing sleeps (its busy handler), so a request
waiting to be acknowledged could sleep tens of milliseconds past the moment the lock came free,
behind the workers' transactions. The gate hands the lock over in the event loop instead, the
moment it is released, and serves transactions that acknowledge requests (the inbox intake)
before the workers': an acknowledgement waits for at most the one transaction running.
PostgreSQL has row locks and needs none of this.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession


class WriteGate:
    """A FIFO lock with a priority lane; one holder at a time."""

    def __init__(self) -> None:
        self._held = False
        self._urgent: deque[asyncio.Future[None]] = deque()
        self._normal: deque[asyncio.Future[None]] = deque()

    async def acquire(self, *, urgent: bool = False) -> None:
        if not self._held and not self._urgent and not self._normal:
            self._held = True
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        (self._urgent if urgent else self._normal).append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release()  # handed over just as it was cancelled: pass it on
            else:
                (self._urgent if urgent else self._normal).remove(waiter)
            raise

    def release(self) -> None:
        for lane in (self._urgent, self._normal):
            while lane:
                waiter = lane.popleft()
                if not waiter.done():
                    waiter.set_result(None)  # still held: ownership passes to the waiter
                    return
        self._held = False


class GatedSession(AsyncSession):
    """An AsyncSession that takes the gate at its first statement and gives it back when its
    transaction ends (commit, rollback, close): a unit of work that waits on the network before
    touching the database holds nothing meanwhile."""

    gate: WriteGate | None = None
    urgent: bool = False
    _holds: bool = False

    async def _enter(self) -> None:
        if self.gate is not None and not self._holds:
            await self.gate.acquire(urgent=self.urgent)
            self._holds = True

    def _leave(self) -> None:
        if self._holds and self.gate is not None:
            self._holds = False
            self.gate.release()

    async def execute(self, *args: Any, **kwargs: Any) -> Any:
        await self._enter()
        return await super().execute(*args, **kwargs)

    async def scalars(self, *args: Any, **kwargs: Any) -> Any:
        await self._enter()
        return await super().scalars(*args, **kwargs)

    async def scalar(self, *args: Any, **kwargs: Any) -> Any:
        await self._enter()
        return await super().scalar(*args, **kwargs)

    async def get(self, *args: Any, **kwargs: Any) -> Any:
        await self._enter()
        return await super().get(*args, **kwargs)

    async def connection(self, *args: Any, **kwargs: Any) -> Any:
        await self._enter()
        return await super().connection(*args, **kwargs)

    async def flush(self, *args: Any, **kwargs: Any) -> None:
        await self._enter()
        await super().flush(*args, **kwargs)

    async def commit(self) -> None:
        try:
            await super().commit()
        finally:
            self._leave()

    async def rollback(self) -> None:
        try:
            await super().rollback()
        finally:
            self._leave()

    async def close(self) -> None:
        try:
            await super().close()
        finally:
            self._leave()
