"""Group commits: many small writes that arrive together share one transaction.

Each caller waits for the commit that holds its write; writes that arrive while a commit runs
go into the next one together. Nothing waits on a timer: alone, a write is committed at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

from bot.ports import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)
T = TypeVar("T")
R = TypeVar("R")
MAX_BATCH = 200

Write = Callable[[UnitOfWork, Sequence[T]], Awaitable[Sequence[R]]]


class GroupCommit(Generic[T, R]):
    """`submit` returns once its item is committed, with what `write` said of it."""

    def __init__(self, uow: UnitOfWorkFactory, write: Write[T, R], what: str) -> None:
        self._uow = uow
        self._write = write
        self._what = what
        self._waiting: list[tuple[T, asyncio.Future[R]]] = []
        self._writer: asyncio.Task[None] | None = None
        self.after_commit: Callable[[], None] | None = None

    async def submit(self, item: T) -> R:
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.get_running_loop().create_task(self._write_all())
        return await future

    async def _write_all(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting[:MAX_BATCH], self._waiting[MAX_BATCH:]
            try:
                async with self._uow() as uow:
                    results = await self._write(uow, [item for item, _ in batch])
                    await uow.commit()
            except Exception as error:
                log.warning("could not store %d %s: %s", len(batch), self._what, error)
                for _, future in batch:
                    if not future.done():
                        future.set_exception(error)
                continue
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)
            if self.after_commit is not None:
                self.after_commit()
