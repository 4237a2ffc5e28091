"""IdempotencyRepository and ConversationReferenceRepository contracts, on every backend."""

from __future__ import annotations

from datetime import timedelta

from bot.ports import UnitOfWorkFactory
from tests.contract.builders import T0


async def test_a_key_can_be_claimed_once(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        assert await uow.idempotency.claim("slack:Ev1", T0) is True
        assert await uow.idempotency.claim("slack:Ev1", T0) is False
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.idempotency.claim("slack:Ev1", T0 + timedelta(seconds=5)) is False
        assert await uow.idempotency.claim("slack:Ev2", T0) is True


async def test_a_rolled_back_claim_can_be_claimed_again(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        assert await uow.idempotency.claim("slack:Ev1", T0) is True
        await uow.rollback()
    async with uow_factory() as uow:
        assert await uow.idempotency.claim("slack:Ev1", T0) is True


async def test_purge_before_forgets_only_older_keys(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        for minute in range(5):
            await uow.idempotency.claim(f"key-{minute}", T0 + timedelta(minutes=minute))
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.idempotency.purge_before(T0 + timedelta(minutes=2)) == 2
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.idempotency.purge_before(T0 + timedelta(minutes=2)) == 0
        assert await uow.idempotency.claim("key-0", T0) is True
        assert await uow.idempotency.claim("key-2", T0) is False


async def test_conversation_references_are_put_replaced_and_read(
    uow_factory: UnitOfWorkFactory,
) -> None:
    first = {"conversation": {"id": "19:abc@thread.tacv2"}, "serviceUrl": "https://smba/1/"}
    second = {"conversation": {"id": "19:abc@thread.tacv2"}, "serviceUrl": "https://smba/2/"}
    async with uow_factory() as uow:
        await uow.conversations.put("teams", "19:abc", first, T0)
        await uow.conversations.put("slack", "19:abc", {"other": True}, T0)
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.conversations.get("teams", "19:abc") == first
        await uow.conversations.put("teams", "19:abc", second, T0 + timedelta(hours=1))
        assert await uow.conversations.get("teams", "19:abc") == second
        await uow.commit()
    async with uow_factory() as uow:
        loaded = await uow.conversations.get("teams", "19:abc")
        assert loaded == second
        assert loaded is not None
        loaded["serviceUrl"] = "mutated by the caller"
        assert await uow.conversations.get("teams", "19:abc") == second
        assert await uow.conversations.get("slack", "19:abc") == {"other": True}
        assert await uow.conversations.get("teams", "unknown") is None
