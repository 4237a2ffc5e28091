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


async def test_while_requests_are_answered_the_intake_keeps_the_lock() -> None:
    gate = WriteGate(max_defer=5.0)
    answering = True
    gate.urgent_expected = lambda: answering
    await gate.acquire(urgent=True)  # the intake's commit
    worker = asyncio.create_task(gate.acquire())
    await asyncio.sleep(0)
    gate.release(urgent=True)
    await asyncio.sleep(0.02)
    assert not worker.done()  # kept: the next batch of requests is about to store itself
    await asyncio.wait_for(gate.acquire(urgent=True), 0.1)  # and gets it at once
    gate.release(urgent=True)
    answering = False  # no request left: the worker gets it at the next look
    await asyncio.wait_for(worker, 1)
    gate.release()


async def test_a_worker_waits_for_the_intake_at_most_max_defer() -> None:
    gate = WriteGate(max_defer=0.05)
    gate.urgent_expected = lambda: True  # a stream that never stops
    await gate.acquire(urgent=True)
    worker = asyncio.create_task(gate.acquire())
    await asyncio.sleep(0)
    gate.release(urgent=True)
    await asyncio.wait_for(worker, 1)  # handed over once it had waited 50 ms
    intake = asyncio.create_task(gate.acquire(urgent=True))
    await asyncio.sleep(0.01)
    assert not intake.done()  # the worker holds it now
    gate.release()
    await asyncio.wait_for(intake, 1)
    gate.release(urgent=True)


async def test_with_no_request_being_answered_the_worker_gets_the_lock_at_once() -> None:
    gate = WriteGate(max_defer=5.0)
    await gate.acquire(urgent=True)
    worker = asyncio.create_task(gate.acquire())
    await asyncio.sleep(0)
    gate.release(urgent=True)
    await asyncio.sleep(0)
    assert worker.done()
    gate.release()
