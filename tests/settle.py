"""Waiting until a running server has done what the requests so far asked of it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from adapters.wiring import Runtime


async def settled(runtime: Runtime, within: float = 10.0) -> None:
    """Wait until no stored request waits and no message due now is undelivered."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        async with runtime.core.uow() as uow:
            waiting = await uow.inbox.depth()
            outbox = await uow.outbox.stats(runtime.core.clock.now())
        busy = runtime.delivery.in_flight
        if waiting == 0 and outbox.due == 0 and busy == 0:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(
                f"not settled: {waiting} request(s), {outbox.due} message(s) due, {busy} sending"
            )
        await asyncio.sleep(0.01)


async def eventually(check: Callable[[], bool], within: float = 10.0) -> None:
    """Wait until `check()` holds: for what a server's scheduler sends on its own time."""
    async with asyncio.timeout(within):
        # Polling on purpose: the fake platforms record calls; they have no event to wait on.
        while not check():  # noqa: ASYNC110
            await asyncio.sleep(0.02)
