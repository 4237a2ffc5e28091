"""The silence sweep's due work: flags whose alarm is due, claimed once, on every backend."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.ports import UnitOfWorkFactory
from storage.database import Database
from tests.contract.builders import T0, make_flag

WORKSPACE = "T0001"


async def store_alarms(uow_factory: UnitOfWorkFactory, alarms: list[int | None]) -> None:
    """One flag per entry: its ack alarm `minutes` after T0, or none."""
    async with uow_factory() as uow:
        for number, minutes in enumerate(alarms, 1):
            at = None if minutes is None else T0 + timedelta(minutes=minutes)
            await uow.flags.add(make_flag(number, ack_due_at=at, ack_next_at=at))
        await uow.commit()


async def test_only_due_flags_are_claimed_earliest_first(uow_factory: UnitOfWorkFactory) -> None:
    await store_alarms(uow_factory, [30, None, 10, 20, 90])
    async with uow_factory() as uow:
        due = await uow.flags.claim_due(T0 + timedelta(minutes=30), 10)
        assert [f.number for f in due] == [3, 4, 1]
        assert [f.number for f in await uow.flags.claim_due(T0 + timedelta(minutes=30), 2)] == [
            3,
            4,
        ]
        assert await uow.flags.next_alarm_at() == T0 + timedelta(minutes=10)


async def test_an_alarm_moved_on_is_no_longer_due_and_a_cleared_one_never(
    uow_factory: UnitOfWorkFactory,
) -> None:
    await store_alarms(uow_factory, [10, 20])
    now = T0 + timedelta(minutes=30)
    async with uow_factory() as uow:
        first, second = await uow.flags.claim_due(now, 10)
        first.ack_next_at = now + timedelta(minutes=15)
        second.ack_next_at = None
        await uow.flags.save(first)
        await uow.flags.save(second)
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.flags.claim_due(now, 10) == []
        assert await uow.flags.next_alarm_at() == now + timedelta(minutes=15)
        later = await uow.flags.claim_due(now + timedelta(minutes=15), 10)
        assert [f.number for f in later] == [1]


async def test_concurrent_sweeps_on_postgresql_never_claim_the_same_flag(
    postgres_database: Database,
) -> None:
    factory = postgres_database.unit_of_work
    await store_alarms(factory, list(range(20)))
    now = T0 + timedelta(hours=1)
    holding = asyncio.Event()
    release = asyncio.Event()

    async def first_sweep() -> list[int]:
        async with factory() as uow:
            claimed = [f.number for f in await uow.flags.claim_due(now, 8)]
            holding.set()
            await release.wait()
            return claimed

    task = asyncio.create_task(first_sweep())
    await holding.wait()
    async with factory() as uow:
        second = [f.number for f in await uow.flags.claim_due(now, 50)]
    release.set()
    first = await task
    assert first == list(range(1, 9))
    assert second == list(range(9, 21))  # the held ones are skipped, not waited for


async def test_a_claimed_flag_saved_is_read_back_changed_in_the_same_unit_of_work(
    uow_factory: UnitOfWorkFactory,
) -> None:
    await store_alarms(uow_factory, [10, 20])
    now = T0 + timedelta(minutes=30)
    async with uow_factory() as uow:
        first, second = await uow.flags.claim_due(now, 10)
        first.ack_steps, first.ack_next_at = 1, now + timedelta(hours=2)
        second.summary = "changed after the claim"
        await uow.flags.save(first)
        await uow.flags.save(second)
        # Read before the commit: the claimed flags' changes are written first.
        again = await uow.flags.get(WORKSPACE, 1)
        assert again is not None and again.ack_steps == 1
        assert again.ack_next_at == now + timedelta(hours=2)
        assert [f.number for f in await uow.flags.claim_due(now, 10)] == [2]  # 1 moved on
        await uow.commit()
    async with uow_factory() as uow:
        stored = await uow.flags.get(WORKSPACE, 2)
        assert stored is not None and stored.summary == "changed after the claim"
        assert stored.ack_next_at == T0 + timedelta(minutes=20)  # untouched columns kept


async def test_a_claimed_flag_changed_and_changed_back_is_stored_as_it_ends(
    uow_factory: UnitOfWorkFactory,
) -> None:
    await store_alarms(uow_factory, [10])
    now = T0 + timedelta(minutes=30)
    async with uow_factory() as uow:
        (flag,) = await uow.flags.claim_due(now, 10)
        original = flag.ack_next_at
        flag.ack_next_at = now + timedelta(hours=1)
        await uow.flags.save(flag)
        flag.ack_next_at = original  # back again: the earlier change must not win
        await uow.flags.save(flag)
        await uow.commit()
    async with uow_factory() as uow:
        assert [f.number for f in await uow.flags.claim_due(now, 10)] == [1]


async def test_a_claimed_flag_saved_then_rolled_back_is_unchanged(
    uow_factory: UnitOfWorkFactory,
) -> None:
    await store_alarms(uow_factory, [10])
    now = T0 + timedelta(minutes=30)
    async with uow_factory() as uow:
        (flag,) = await uow.flags.claim_due(now, 10)
        flag.ack_next_at = None
        await uow.flags.save(flag)
        await uow.rollback()
    async with uow_factory() as uow:
        assert [f.number for f in await uow.flags.claim_due(now, 10)] == [1]
