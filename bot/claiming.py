"""The loop both workers run: claim work in batches from the database until stopped."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from bot.outage import OutageLog


class ClaimLoop:
    """Calls `claim(free_slots)` whenever it is worth it; `wake` cuts the poll wait short."""

    def __init__(
        self,
        *,
        claim: Callable[[int], Awaitable[int]],
        in_flight: Callable[[], int],
        concurrency: int,
        poll_seconds: float,
        outage: OutageLog,
    ) -> None:
        self._claim = claim
        self._in_flight = in_flight
        self._concurrency = concurrency
        self._poll = poll_seconds
        self._outage = outage
        self._wake = asyncio.Event()
        self.stopping = False

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self.stopping = True
        self._wake.set()

    async def run(self) -> None:
        while not self.stopping:
            busy = self._in_flight()
            free = self._concurrency - busy
            # Claim in batches: a claim looks at the whole queue, so claiming one at a time
            # as each slot frees would cost a query per item under a backlog.
            if busy and free < max(1, self._concurrency // 4):
                await self._sleep()
                continue
            try:
                claimed = await self._claim(free)
            except Exception as error:
                self._outage.failed(error)
                claimed = 0
            else:
                self._outage.recovered()
            if claimed < free:
                await self._sleep()  # all there was; more comes with `wake` or the poll

    async def _sleep(self) -> None:
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), self._poll)
