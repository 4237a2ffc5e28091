"""Many handlers writing at once: no lock errors, no duplicate numbers, on every backend."""

from __future__ import annotations

import asyncio

import pytest

from bot import dispatch
from bot.clock import FakeClock
from bot.config.models import FrontlineConfig
from bot.core import Core
from bot.messages import Where
from bot.ports import UnitOfWorkFactory
from storage.database import Database
from tests.contract.builders import T0, WORKSPACE, channel, make_flag, person

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


async def test_numbers_reserved_apart_are_distinct_and_never_reused(
    uow_factory: UnitOfWorkFactory,
) -> None:
    async def raise_recurring(keep: bool) -> int | None:
        async with uow_factory() as uow:
            # First, as raising a recurring flag does: before the transaction holds anything.
            number = await uow.flags.reserve_number(WORKSPACE)
            await uow.flags.list_open(WORKSPACE)
            await asyncio.sleep(0)
            await uow.flags.add(make_flag(number))
            if not keep:
                return None  # rolled back: on PostgreSQL its number stays used, a gap
            await uow.commit()
        return number

    kept = await asyncio.gather(*(raise_recurring(keep=n % 5 != 0) for n in range(WRITERS)))
    committed = [number for number in kept if number is not None]
    async with uow_factory() as uow:
        numbers = sorted(flag.number for flag in await uow.flags.list_open(WORKSPACE))
    assert sorted(committed) == numbers and len(set(numbers)) == WRITERS - WRITERS // 5
    latest = await raise_recurring(keep=True)
    assert latest is not None and latest > max(numbers)  # never a number given before


async def test_a_number_reserved_apart_is_kept_when_its_flag_rolls_back_on_postgresql(
    postgres_database: Database,
) -> None:
    factory = postgres_database.unit_of_work
    async with factory() as recurring:
        first = await recurring.flags.reserve_number(WORKSPACE)
        await recurring.rollback()
    async with factory() as uow:
        assert await uow.flags.next_number(WORKSPACE) == first + 1  # a gap, never reused
        await uow.commit()


async def test_concurrent_claims_of_one_key_succeed_once(uow_factory: UnitOfWorkFactory) -> None:
    async def handle_delivery() -> bool:
        async with uow_factory() as uow:
            claimed = await uow.idempotency.claim("slack:Ev-retried", make_flag(1).created_at)
            await asyncio.sleep(0)
            await uow.commit()
        return claimed

    results = await asyncio.gather(*(handle_delivery() for _ in range(20)))
    assert results.count(True) == 1


async def flagged_at_once(core: Core, kind: str, texts: list[str]) -> None:
    """`/flag <kind> <text>` by one agent per text, all at once; none may fail."""
    replies = await asyncio.gather(
        *(
            dispatch.handle_command(
                core,
                actor=person(f"U{n}", f"Agent {n}"),
                where=Where(channel("C-SUPPORT")),
                text=f"{kind} {text} ZD-{n}",
            )
            for n, text in enumerate(texts, 1)
        ),
        return_exceptions=True,
    )
    assert [r for r in replies if isinstance(r, BaseException)] == []


async def test_escalations_of_one_outage_raised_at_once_share_one_post(
    database_uow_factory: UnitOfWorkFactory,
) -> None:
    """Side by side, each sees the ones before it: one lead, the rest joined."""
    config = FrontlineConfig.model_validate({"channels": {"slack": {"escalations": "C-esc"}}})
    uow_factory = database_uow_factory
    core = Core(uow=uow_factory, clock=FakeClock(T0), config=config)
    texts = [  # each pair at least 0.95 alike, so any arrival order makes one lead
        "checkout fails for EU cards",
        "checkout failing for EU cards",
        "EU cards fail at checkout",
        "checkout fails for all EU cards",
        "EU card checkout fails",
    ]
    await flagged_at_once(core, "escalate", texts)
    async with uow_factory() as uow:
        flags = await uow.flags.list_open(WORKSPACE)
    leads = [f for f in flags if f.joined_to is None]
    assert len(leads) == 1 and leads[0].joined_count == len(texts) - 1


@pytest.mark.parametrize(
    "texts",
    [
        [f"CSV export has no date column{tail}" for tail in ("", " at all", " any more", "!", ".")],
        [f"refund stuck {where} #refunds-stuck" for where in ("in EU", "in US", "for cards", "x")],
    ],
    ids=["same new problem", "same new tag"],
)
async def test_one_new_problem_flagged_at_once_makes_one_theme(
    database_uow_factory: UnitOfWorkFactory, texts: list[str]
) -> None:
    """Side by side (two workers, or replicas on PostgreSQL): the later flags wait for the
    first one's theme and join it, instead of failing on its name or starting a twin."""
    core = Core(uow=database_uow_factory, clock=FakeClock(T0), config=FrontlineConfig())
    await flagged_at_once(core, "recurring", texts)
    async with database_uow_factory() as uow:
        flags = await uow.flags.list_open(WORKSPACE)
        themes = await uow.themes.list_all(WORKSPACE)
    assert len(flags) == len(texts)
    assert len(themes) == 1, [t.slug for t in themes]
    assert {flag.theme_id for flag in flags} == {themes[0].id}
