"""The inbox worker on the in-memory core: claims a batch at a time, runs a few at a time,
runs each request once, and gives back at shutdown what it claimed but did not run."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.core import Core
from bot.inbox.models import InboxItem, InboxStatus, Received
from bot.inbox.worker import InboxWorker
from tests.bot.conftest import World
from tests.settle import eventually


async def stored(world: World, count: int) -> None:
    requests = [Received(f"key-{n}", "test", "command", {"n": n}) for n in range(count)]
    async with world.core.uow() as uow:
        await uow.inbox.accept(requests, world.clock.now())
        await uow.commit()


def entries(world: World) -> list[Any]:
    return list(world.store.store.committed.inbox.values())


class Handler:
    """Records which requests ran and how many ran at once; each waits for `go`."""

    def __init__(self) -> None:
        self.ran: list[int] = []
        self.running = 0
        self.most = 0
        self.go = asyncio.Event()

    async def __call__(self, core: Core, item: InboxItem) -> None:
        self.running += 1
        self.most = max(self.most, self.running)
        try:
            await self.go.wait()
            self.ran.append(item.payload["n"])
        finally:
            self.running -= 1


async def test_a_backlog_is_claimed_a_batch_at_a_time_and_run_a_few_at_a_time(
    world: World,
) -> None:
    await stored(world, 20)
    handler = Handler()
    worker = InboxWorker(world.core, owner="w1", handlers={"test": handler}, concurrency=2, batch=8)
    task = asyncio.create_task(worker.run())
    try:
        await eventually(lambda: handler.running == 2)
        await asyncio.sleep(0.05)
        claimed = [e for e in entries(world) if e.lease_owner == "w1"]
        assert len(claimed) == 8  # one claim for the batch, not one per request
        assert handler.running == 2  # of which two run at once
        handler.go.set()
        await eventually(lambda: len(handler.ran) == 20)
        assert sorted(handler.ran) == list(range(20))  # each once
        assert handler.most == 2
        await eventually(lambda: all(e.status is InboxStatus.DONE for e in entries(world)))
    finally:
        await worker.stop(grace=1)
        task.cancel()


async def test_shutdown_gives_back_the_claimed_requests_that_did_not_run(world: World) -> None:
    await stored(world, 6)
    handler = Handler()
    worker = InboxWorker(world.core, owner="w1", handlers={"test": handler}, concurrency=1, batch=6)
    task = asyncio.create_task(worker.run())
    await eventually(lambda: handler.running == 1)
    await worker.stop(grace=0.05)  # the one running is cut short; its transaction rolls back
    task.cancel()
    assert handler.ran == []
    assert all(e.status is InboxStatus.PENDING and e.lease_owner is None for e in entries(world))
