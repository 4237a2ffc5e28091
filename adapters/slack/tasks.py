"""The work done after Slack has its acknowledgement: tracked, bounded, logged, drained at exit."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger(__name__)
MAX_CONCURRENT = (
    4  # SQLite has one writer, PostgreSQL a per-workspace counter row; more only adds contention
)
DRAIN_SECONDS = 10.0


class BackgroundWork:
    """Runs coroutines as tasks after the ack; keeps them so shutdown can finish or cancel them."""

    def __init__(self, *, max_concurrent: int = MAX_CONCURRENT) -> None:
        self._tasks: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(max_concurrent)
        self._idle = asyncio.Event()
        self._idle.set()

    def spawn(self, work: Coroutine[Any, Any, None], what: str, *, urgent: bool = False) -> None:
        """Start `work` in the background; its failure is logged, never raised.

        Urgent work (opening a modal, which Slack allows only 3 seconds after the click)
        does not queue behind the rest.
        """
        task = asyncio.get_running_loop().create_task(self._run(work, what, urgent))
        self._tasks.add(task)
        self._idle.clear()
        task.add_done_callback(self._forget)

    async def _run(self, work: Coroutine[Any, Any, None], what: str, urgent: bool) -> None:
        try:
            if urgent:
                await work
            else:
                async with self._slots:
                    await work
        except asyncio.CancelledError:
            work.close()  # cancelled while waiting for a slot: never started
            raise
        except Exception:
            log.exception("Slack %s failed", what)

    def _forget(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not self._tasks:
            self._idle.set()

    @property
    def pending(self) -> int:
        return len(self._tasks)

    async def wait_idle(self) -> None:
        """Wait until no work is left (tests use it to see what a request led to)."""
        await self._idle.wait()

    async def drain(self, grace: float = DRAIN_SECONDS) -> None:
        """Let running work finish for up to `grace` seconds, then cancel what is left."""
        if not self._tasks:
            return
        _, still_running = await asyncio.wait(set(self._tasks), timeout=grace)
        for task in still_running:
            task.cancel()
        if still_running:
            log.warning("cancelled %d unfinished Slack task(s) at shutdown", len(still_running))
            await asyncio.gather(*still_running, return_exceptions=True)
