"""The inbox worker: runs each stored request once, whatever crashes in between.

A request is claimed with a lease, run by its platform's handler in one transaction
(`SharedUnitOfWork`) together with the mark that it is done, and committed. A crash before the
commit leaves it pending: it runs again after restart, or on another replica once the lease
expires. A handler that keeps failing is given up after `MAX_ATTEMPTS` and logged.

Requests are claimed a batch at a time (`batch`) and run a few at a time (`concurrency`): under
a backlog one claim serves several requests, instead of a claim per request.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import timedelta

from bot.claiming import Arrivals, ClaimLoop
from bot.core import Core
from bot.inbox.models import InboxItem
from bot.inbox.shared import SharedUnitOfWork
from bot.outage import OutageLog

log = logging.getLogger(__name__)
LEASE = timedelta(seconds=30)
MAX_ATTEMPTS = 5

Handler = Callable[[Core, InboxItem], Awaitable[None]]
"""Runs one request on a core whose units of work are the request's one transaction."""


class InboxWorker:
    """Runs stored requests through the handler registered for their platform."""

    def __init__(
        self,
        core: Core,
        *,
        owner: str,
        handlers: Mapping[str, Handler] | None = None,
        concurrency: int = 2,
        batch: int = 16,
        poll_seconds: float = 1.0,
        arrivals: Arrivals | None = None,
        after_each: Callable[[], None] | None = None,
    ) -> None:
        self._core = core
        self.owner = owner
        self._handlers = dict(handlers or {})
        self._after_each = after_each
        self._arrivals = arrivals
        self._running = asyncio.Semaphore(concurrency)
        self._in_flight: dict[int, asyncio.Task[None]] = {}  # claimed: waiting or running
        self._loop = ClaimLoop(
            claim=self._claim_and_start,
            in_flight=lambda: len(self._in_flight),
            concurrency=max(batch, concurrency),
            poll_seconds=poll_seconds,
            outage=OutageLog(log, "stored requests"),
            arrivals=arrivals,
        )

    def handle(self, platform: str, handler: Handler) -> None:
        """Run `platform`'s requests with `handler`."""
        self._handlers[platform] = handler

    def wake(self) -> None:
        """Look for requests now (one was just stored)."""
        self._loop.wake()

    async def run(self) -> None:
        """Claim and run stored requests until `stop`."""
        await self._loop.run()

    async def stop(self, grace: float = 10.0) -> None:
        """Stop claiming; let claimed requests finish for `grace` seconds; release the rest."""
        await self._loop.halt(grace)
        tasks = list(self._in_flight.values())
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=grace)
            for task in late:
                task.cancel()  # its transaction rolls back; the request stays pending
            await asyncio.gather(*late, return_exceptions=True)
        try:
            async with self._core.uow() as uow:
                released = await uow.inbox.release(self.owner)
                await uow.commit()
        except Exception as error:  # the leases expire by themselves
            log.warning("could not release stored requests at shutdown: %s", error)
            return
        if released:
            log.info("released %d stored request(s) for another replica or restart", released)

    async def _claim_and_start(self, free: int) -> int:
        now = self._core.clock.now()
        async with self._core.uow() as uow:
            batch = await uow.inbox.claim(self.owner, now, now + LEASE, free)
            await uow.commit()
        for item in batch:
            task = asyncio.get_running_loop().create_task(self._run_in_turn(item))
            self._in_flight[item.id] = task
            task.add_done_callback(functools.partial(self._finished, item.id))
        return len(batch)

    def _finished(self, item_id: int, _: object) -> None:
        self._in_flight.pop(item_id, None)
        self._loop.wake()

    async def _run_in_turn(self, item: InboxItem) -> None:
        """Wait for a free slot, and (briefly) for the acknowledgements being answered."""
        async with self._running:
            if self._arrivals is not None:
                await self._arrivals.quiet()
            await self.run_one(item)

    async def run_one(self, item: InboxItem) -> None:
        """Run one request and mark it done, in one transaction."""
        handler = self._handlers.get(item.platform)
        shared = SharedUnitOfWork(self._core.uow())
        try:
            if handler is None:
                log.warning("no handler for stored %s request %d; dropped", item.platform, item.id)
            else:
                await handler(replace(self._core, uow=lambda: shared), item)
            await shared.inbox.finish(item.id, self._core.clock.now())
            await shared.complete()
        except asyncio.CancelledError:
            raise
        except Exception as error:
            give_up = item.attempts >= MAX_ATTEMPTS
            log.exception(
                "stored %s request %d (%s) failed on attempt %d%s",
                item.platform,
                item.id,
                item.kind,
                item.attempts,
                "; giving up" if give_up else "; it will run again",
            )
            await shared.rollback()
            async with self._core.uow() as uow:
                await uow.inbox.failed_attempt(item.id, type(error).__name__, give_up)
                await uow.commit()
        finally:
            await shared.close()
        if self._after_each is not None:
            self._after_each()
