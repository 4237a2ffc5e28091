"""The inbox and outbox as /metrics and /healthz show them, read from the database."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from aiohttp import web

from adapters.wiring import Runtime
from bot.ports import OutboxStats

log = logging.getLogger(__name__)
READ_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class QueueState:
    inbox_depth: int
    outbox: OutboxStats
    oldest_age_seconds: float
    dead_by_platform: dict[str, int]


class QueueReader:
    """Reads the queues' state; None when the database does not answer."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime

    async def read(self) -> QueueState | None:
        core = self._runtime.core
        now = core.clock.now()
        try:
            async with asyncio.timeout(READ_TIMEOUT_SECONDS), core.uow() as uow:
                depth = await uow.inbox.depth()
                outbox = await uow.outbox.stats(now)
                dead = await uow.outbox.dead_by_platform()
        except Exception as error:  # the health check reports the database on its own
            log.warning("could not read the inbox and outbox: %s", type(error).__name__)
            return None
        oldest = outbox.oldest_pending_at
        age = max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0
        return QueueState(depth, outbox, age, dead)


QUEUES_KEY = web.AppKey("queues", QueueReader)
