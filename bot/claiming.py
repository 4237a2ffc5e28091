"""The loop both workers run: claim work in batches from the database until stopped.

The workers share the event loop with the requests they work off, and a platform holds
Frontline to a fast acknowledgement (Slack: 3 s, and retries after), while the work after it
can wait a moment: so a claim waits for a moment when no request is being answered
(`Arrivals`), for at most `Arrivals.max_wait`, so that a steady stream of requests slows the
work down but never stops it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from bot.outage import OutageLog

# How long work waits for a quiet moment. Under a steady stream of overlapping requests it
# sets the work's share of the event loop: two requests run per wait (the inbox worker's
# concurrency). bench/slack_ack.py, medians of 3 in the same hour: at 0.1 s the
# acknowledgements at saturation reached 0.63x / 0.59x the bolt-only baseline (SQLite /
# PostgreSQL), p99 at 200/s 39.6 / 34.4 ms; at 0.25 s 0.73x / 0.70x, 36.0 / 30.3 ms, and the
# last answer of the 200/s phase no later (50.3 / 52.0 s against 49.3 / 54.8 s).
MAX_WAIT_SECONDS = 0.25


class Arrivals:
    """How many incoming requests are being answered; `quiet` waits until none is."""

    def __init__(self, max_wait: float = MAX_WAIT_SECONDS) -> None:
        self.max_wait = max_wait
        self._answering = 0
        self._quiet = asyncio.Event()
        self._quiet.set()

    def begin(self) -> None:
        self._answering += 1
        self._quiet.clear()

    def end(self) -> None:
        self._answering -= 1
        if self._answering <= 0:
            self._answering = 0
            self._quiet.set()

    @property
    def answering(self) -> int:
        return self._answering

    async def quiet(self) -> None:
        """Return when no request is being answered, or after `max_wait` seconds."""
        if self._answering:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._quiet.wait(), self.max_wait)


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
        arrivals: Arrivals | None = None,
        settle_seconds: float = 0.0,
    ) -> None:
        self._claim = claim
        # Woken while work is in flight, wait this long first: the wakes of work finishing
        # together then share one claim instead of a claim each (most of which find nothing).
        self._settle = settle_seconds
        self._arrivals = arrivals
        self._in_flight = in_flight
        self._concurrency = concurrency
        self._poll = poll_seconds
        self._outage = outage
        self._wake = asyncio.Event()
        self.stopping = False
        self._ended = asyncio.Event()
        self._ended.set()  # not running

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self.stopping = True
        self._wake.set()

    async def halt(self, within: float) -> None:
        """Stop claiming, and wait (up to `within` seconds) for a claim under way to end.

        What that claim took is then in flight, where a graceful stop finishes or releases it;
        otherwise it would be claimed after the release, its lease left to expire and its
        messages taken for possibly sent (a post on a platform without history is then given
        up, not posted)."""
        self.stop()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._ended.wait(), within)

    async def run(self) -> None:
        self._ended.clear()
        try:
            await self._run()
        finally:
            self._ended.set()

    async def _run(self) -> None:
        while not self.stopping:
            busy = self._in_flight()
            free = self._concurrency - busy
            # Claim in batches: a claim looks at the whole queue, so claiming one at a time
            # as each slot frees would cost a query per item under a backlog.
            if busy and free < max(1, self._concurrency // 4):
                await self._sleep()
                continue
            if busy and self._settle:
                await asyncio.sleep(self._settle)
                if self.stopping:
                    break
                free = self._concurrency - self._in_flight()
            if self._arrivals is not None:
                await self._arrivals.quiet()
                if self.stopping:
                    break
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
