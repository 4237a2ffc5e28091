"""Storing verified requests before they are acknowledged, many to a commit under load.

Each request waits for the commit that stores it; requests arriving while a commit runs go
into the next one together, so a burst costs a few commits instead of one per request.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from bot.core import Core
from bot.inbox.models import Received

log = logging.getLogger(__name__)
MAX_BATCH = 200


class Intake:
    """`store` returns once the request is committed to the inbox (False: a redelivery)."""

    def __init__(self, core: Core, *, on_stored: Callable[[], None] | None = None) -> None:
        self._core = core
        self._on_stored = on_stored
        self._waiting: list[tuple[Received, asyncio.Future[bool]]] = []
        self._writer: asyncio.Task[None] | None = None

    def notify(self, on_stored: Callable[[], None]) -> None:
        """Call `on_stored` after each commit (to wake the inbox worker)."""
        self._on_stored = on_stored

    async def store(self, request: Received) -> bool:
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting.append((request, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.get_running_loop().create_task(self._write())
        return await future

    async def _write(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting[:MAX_BATCH], self._waiting[MAX_BATCH:]
            try:
                async with self._core.uow() as uow:
                    stored = await uow.inbox.accept([r for r, _ in batch], self._core.clock.now())
                    await uow.commit()
            except Exception as error:
                log.warning("could not store %d request(s): %s", len(batch), type(error).__name__)
                for _, future in batch:
                    if not future.done():
                        future.set_exception(error)
                continue
            for (_, future), fresh in zip(batch, stored, strict=True):
                if not future.done():
                    future.set_result(fresh)
            if self._on_stored is not None:
                self._on_stored()
