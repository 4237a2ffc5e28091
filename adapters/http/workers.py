"""The server's workers: the inbox (stored requests) and the delivery of the outbox.

Both start with the server and stop with it. A graceful stop (SIGTERM, a deploy) first lets
the inbox finish what it is running, so the messages it records join the outbox; then lets
deliveries in flight finish; whatever is left is released in the database for the next start
or another replica. Nothing is cancelled into oblivion: a request or message that did not
finish stays pending.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from adapters.wiring import Runtime

log = logging.getLogger(__name__)
STOP_GRACE_SECONDS = 10.0


def attach_workers(app: web.Application, runtime: Runtime) -> None:
    """Run the inbox and delivery workers while the server is up."""

    async def workers(_: web.Application) -> AsyncIterator[None]:
        if runtime.database.is_sqlite:
            # One process per SQLite file: leases left by a previous run are stale now.
            async with runtime.core.uow() as uow:
                released = await uow.inbox.release(None) + await uow.outbox.release(None)
                await uow.commit()
            if released:
                log.info("took back %d request(s) and message(s) left by the last run", released)
        loop = asyncio.get_running_loop()
        inbox = loop.create_task(runtime.inbox.run(), name="frontline-inbox")
        delivery = loop.create_task(runtime.delivery.run(), name="frontline-delivery")
        try:
            yield
        finally:
            await asyncio.shield(_stop(runtime, inbox, delivery))

    app.cleanup_ctx.append(workers)


async def _stop(runtime: Runtime, *tasks: asyncio.Task[None]) -> None:
    await runtime.inbox.stop(STOP_GRACE_SECONDS)
    await runtime.delivery.stop(STOP_GRACE_SECONDS)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
