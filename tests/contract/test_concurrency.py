"""Many handlers writing at once: no lock errors, no duplicate numbers, on every backend."""

from __future__ import annotations

import asyncio

from bot.ports import UnitOfWorkFactory
from tests.contract.builders import WORKSPACE, make_flag

WRITERS = 50


async def test_concurrent_writers_get_distinct_consecutive_numbers(
    uow_factory: UnitOfWorkFactory,
) -> None:
    async def raise_flag() -> int:
        async with uow_factory() as uow:
            # Read before writing: a deferred SQLite transaction that does this fails with
            # "database is locked" under contention instead of waiting its turn.
            await uow.flags.list_open(WORKSPACE)
            number = await uow.flags.next_number(WORKSPACE)
            # Yield mid-transaction so the writers really interleave.
            await asyncio.sleep(0)
            await uow.flags.add(make_flag(number))
            await uow.commit()
        return number

    reserved = await asyncio.gather(*(raise_flag() for _ in range(WRITERS)))

    async with uow_factory() as uow:
        stored = await uow.flags.list_open(WORKSPACE)
    assert sorted(reserved) == list(range(1, WRITERS + 1))
    assert sorted(flag.number for flag in stored) == list(range(1, WRITERS + 1))


async def test_concurrent_claims_of_one_key_succeed_once(uow_factory: UnitOfWorkFactory) -> None:
    async def handle_delivery() -> bool:
        async with uow_factory() as uow:
            claimed = await uow.idempotency.claim("slack:Ev-retried", make_flag(1).created_at)
            await asyncio.sleep(0)
            await uow.commit()
        return claimed

    results = await asyncio.gather(*(handle_delivery() for _ in range(20)))
    assert results.count(True) == 1
