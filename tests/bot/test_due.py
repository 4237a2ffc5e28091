"""Due work: handled request keys are forgotten only after their retention."""

from __future__ import annotations

from datetime import timedelta

from bot.due import run_due_work
from tests.bot.conftest import World


async def test_request_keys_are_kept_for_a_day_then_forgotten(world: World) -> None:
    async with world.core.uow() as uow:
        assert await uow.idempotency.claim("slack:event:Ev1", world.clock.now())
        await uow.commit()
    world.clock.advance(timedelta(hours=23))
    await run_due_work(world.core)
    async with world.core.uow() as uow:
        assert not await uow.idempotency.claim("slack:event:Ev1", world.clock.now())
    world.clock.advance(timedelta(hours=2))
    await run_due_work(world.core)
    async with world.core.uow() as uow:
        assert await uow.idempotency.claim("slack:event:Ev1", world.clock.now())
