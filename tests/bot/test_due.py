"""Due work: handled request keys are forgotten only after their retention."""

from __future__ import annotations

from datetime import timedelta

from bot.due import run_due_work
from bot.inbox.models import Received
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


async def test_run_requests_and_delivered_messages_are_forgotten_after_a_day(
    world: World,
) -> None:
    await world.flag("ana", "escalate payments down")  # a post, delivered at once
    world.chat.refuse = "channel_not_found"
    await world.flag("ana", "escalate refunds stuck")  # a post given up
    async with world.core.uow() as uow:
        [fresh] = await uow.inbox.accept(
            [Received("slack:T1:trigger:1", "slack", "command", {})], world.clock.now()
        )
        [item] = await uow.inbox.claim("me", world.clock.now(), world.clock.now(), 1)
        await uow.inbox.finish(item.id, world.clock.now())
        await uow.commit()
    world.clock.advance(timedelta(hours=25))
    await run_due_work(world.core)
    async with world.core.uow() as uow:
        stuck = await uow.outbox.list_stuck(10)
        # The stored request's key is forgotten: the same key could be stored again.
        assert await uow.inbox.accept(
            [Received("slack:T1:trigger:1", "slack", "command", {})], world.clock.now()
        ) == [True]
        stats = await uow.outbox.stats(world.clock.now())
    assert fresh
    assert stats.dead == len(stuck) >= 1  # given up: kept for the admin
    assert {s.purpose for s in stuck} >= {"escalation post"}
