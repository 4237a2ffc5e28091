"""SQLite's one write lock, queued in the event loop, with the intake first in line.

Every SQLite transaction here takes the write lock up front (BEGIN IMMEDIATE). Left to SQLite,
writers that find it held poll for it with growing sleeps (its busy handler), so a request
waiting to be acknowledged could sleep tens of milliseconds past the moment the lock came free,
behind the workers' transactions. The gate hands the lock over in the event loop instead, the
moment it is released, and serves transactions that acknowledge requests (the inbox intake)
before the workers'.

Serving the intake first is not enough on its own under a steady stream of requests: when the
intake's commit ends, the requests that arrived meanwhile are not yet queued for the lock (their
group commit is still finishing the last one), so a worker would take it and they would wait
for a whole transaction of the worker's. So while requests are being answered (`urgent_expected`,
counted by the HTTP server), the lock is kept for the intake for a moment after one of its
commits, for at most `max_defer` of a worker's wait: a steady stream of requests slows the
workers down but never stops them.
PostgreSQL has row locks and needs none of this.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

RECHECK_SECONDS = 0.002  # how often a lock kept for the intake looks again


class WriteGate:
    """A FIFO lock with a priority lane; one holder at a time."""

    def __init__(self, *, max_defer: float = 0.1) -> None:
        self.max_defer = max_defer
        self.urgent_expected: Callable[[], bool] = lambda: False
        self._held = False
        self._kept = False  # held for the urgent lane, no holder yet
        self._recheck: asyncio.TimerHandle | None = None
        self._urgent: deque[asyncio.Future[None]] = deque()
        self._normal: deque[tuple[asyncio.Future[None], float]] = deque()

    async def acquire(self, *, urgent: bool = False) -> None:
        if urgent and self._kept:
            self._stop_keeping()
            return
        if not self._held and not self._urgent and not self._normal:
            self._held = True
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (waiter, time.monotonic())
        if urgent:
            self._urgent.append(waiter)
        else:
            self._normal.append(entry)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release()  # handed over just as it was cancelled: pass it on
            elif urgent:
                self._urgent.remove(waiter)
            else:
                self._normal.remove(entry)
            raise

    def release(self, *, urgent: bool = False) -> None:
        """Hand the lock on; `urgent`: the intake's holder is done (see the module's doc)."""
        while self._urgent:
            waiter = self._urgent.popleft()
            if not waiter.done():
                waiter.set_result(None)  # still held: ownership passes to the waiter
                return
        if urgent and self._worth_keeping():
            self._kept = True
            self._recheck = asyncio.get_running_loop().call_later(RECHECK_SECONDS, self._look_again)
            return
        self._hand_to_normal()

    def _worth_keeping(self) -> bool:
        if not self._normal:
            return False  # nobody to keep it from: the next acquire gets it at once anyway
        waited = time.monotonic() - self._normal[0][1]
        return waited < self.max_defer and self.urgent_expected()

    def _look_again(self) -> None:
        self._recheck = None
        if self._kept and not self._worth_keeping():
            self._stop_keeping()
            self._hand_to_normal()
        elif self._kept:
            self._recheck = asyncio.get_running_loop().call_later(RECHECK_SECONDS, self._look_again)

    def _stop_keeping(self) -> None:
        self._kept = False
        if self._recheck is not None:
            self._recheck.cancel()
            self._recheck = None

    def _hand_to_normal(self) -> None:
        while self._normal:
            waiter, _ = self._normal.popleft()
            if not waiter.done():
                waiter.set_result(None)
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
            self.gate.release(urgent=self.urgent)

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
