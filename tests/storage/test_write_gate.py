"""SQLite's write lock handed over in the event loop, acknowledgements first."""

from __future__ import annotations

import asyncio

import pytest

from storage.write_gate import WriteGate


async def test_one_holder_at_a_time_urgent_waiters_first_then_in_order() -> None:
    gate = WriteGate()
    order: list[str] = []

    async def hold(name: str, *, urgent: bool = False) -> None:
        await gate.acquire(urgent=urgent)
        order.append(name)
        await asyncio.sleep(0)
        gate.release()

    await gate.acquire()  # a worker's transaction runs
    tasks = [
        asyncio.create_task(hold("worker-1")),
        asyncio.create_task(hold("worker-2")),
        asyncio.create_task(hold("intake", urgent=True)),
    ]
    await asyncio.sleep(0)
    assert order == []  # all wait for the holder
    gate.release()
    await asyncio.gather(*tasks)
    assert order == ["intake", "worker-1", "worker-2"]


async def test_a_cancelled_waiter_neither_holds_nor_blocks_the_gate() -> None:
    gate = WriteGate()
    await gate.acquire()
    waiting = asyncio.create_task(gate.acquire())
    later = asyncio.create_task(gate.acquire())
    await asyncio.sleep(0)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    gate.release()
    await asyncio.wait_for(later, 1)  # the next waiter got it
    gate.release()
    await asyncio.wait_for(gate.acquire(), 1)  # and it is free again after
