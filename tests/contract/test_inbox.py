"""InboxRepository contract: stored once per key, leased oldest first, finished once."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot.inbox.models import InboxItem, Received
from bot.ports import UnitOfWorkFactory
from tests.contract.builders import T0
from tests.contract.queue_tables import postgres_database  # noqa: F401 (a fixture)

LEASE = timedelta(seconds=30)


def request(key: str, **payload: Any) -> Received:
    return Received(key, "slack", "event", {"key": key, **payload})


async def accept(
    uow_factory: UnitOfWorkFactory, *requests: Received, at: datetime = T0
) -> list[bool]:
    async with uow_factory() as uow:
        stored = await uow.inbox.accept(list(requests), at)
        await uow.commit()
    return stored


async def claim(
    uow_factory: UnitOfWorkFactory,
    owner: str = "replica-a",
    now: datetime = T0,
    limit: int = 10,
    lease: timedelta = LEASE,
) -> list[InboxItem]:
    async with uow_factory() as uow:
        items = await uow.inbox.claim(owner, now, now + lease, limit)
        await uow.commit()
    return items


async def depth(uow_factory: UnitOfWorkFactory) -> int:
    async with uow_factory() as uow:
        return await uow.inbox.depth()


async def finish(uow_factory: UnitOfWorkFactory, item_id: int, at: datetime = T0) -> None:
    async with uow_factory() as uow:
        await uow.inbox.finish(item_id, at)
        await uow.commit()


def keys(items: list[InboxItem]) -> list[str]:
    return [item.key for item in items]


async def test_accept_stores_each_key_once_within_and_across_batches(
    uow_factory: UnitOfWorkFactory,
) -> None:
    first = await accept(
        uow_factory,
        request("Ev1", text="hello ✓"),
        request("Ev2"),
        request("Ev1", text="a redelivery"),
    )
    again = await accept(uow_factory, request("Ev2", text="again"), request("Ev3"))

    assert first == [True, True, False]
    assert again == [False, True]
    assert await depth(uow_factory) == 3
    items = await claim(uow_factory)
    assert keys(items) == ["Ev1", "Ev2", "Ev3"]
    # The first delivery is the one kept, exactly as received.
    assert items[0].payload == {"key": "Ev1", "text": "hello ✓"}
    assert (items[0].platform, items[0].kind, items[0].received_at) == ("slack", "event", T0)
    assert items[1].payload == {"key": "Ev2"}


async def test_an_uncommitted_accept_stores_nothing(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        assert await uow.inbox.accept([request("Ev1")], T0) == [True]
    assert await depth(uow_factory) == 0
    assert await accept(uow_factory, request("Ev1")) == [True]


async def test_claim_leases_oldest_first_up_to_the_limit_and_counts_attempts(
    uow_factory: UnitOfWorkFactory,
) -> None:
    await accept(uow_factory, request("Ev1"), request("Ev2"), at=T0)
    await accept(uow_factory, request("Ev3"), at=T0 + timedelta(seconds=1))

    first = await claim(uow_factory, "replica-a", T0 + timedelta(seconds=1), limit=2)
    assert keys(first) == ["Ev1", "Ev2"]
    assert [item.attempts for item in first] == [1, 1]
    assert first[0].id < first[1].id

    # Leased rows are skipped by everyone, the owner included.
    later = T0 + timedelta(seconds=20)
    second = await claim(uow_factory, "replica-b", later, limit=10)
    assert keys(second) == ["Ev3"]
    assert second[0].received_at == T0 + timedelta(seconds=1)
    assert await claim(uow_factory, "replica-a", later) == []
    assert await depth(uow_factory) == 3  # leased requests still wait to be run

    # At the instant a lease ends it is still held; just after, the row is claimable again.
    first_lease_end = T0 + timedelta(seconds=1) + LEASE
    assert await claim(uow_factory, "replica-c", first_lease_end) == []
    retaken = await claim(uow_factory, "replica-c", first_lease_end + timedelta(seconds=1))
    assert keys(retaken) == ["Ev1", "Ev2"]  # Ev3's lease (taken later) still holds
    assert [item.attempts for item in retaken] == [2, 2]
    assert [item.id for item in retaken] == [item.id for item in first]


async def test_a_finished_request_is_never_claimed_again(uow_factory: UnitOfWorkFactory) -> None:
    await accept(uow_factory, request("Ev1"), request("Ev2"))
    first, _second = await claim(uow_factory)

    await finish(uow_factory, first.id, T0 + timedelta(seconds=2))

    assert await depth(uow_factory) == 1
    after_leases = T0 + timedelta(hours=1)
    assert keys(await claim(uow_factory, "replica-b", after_leases)) == ["Ev2"]
    assert await accept(uow_factory, request("Ev1")) == [False]  # its key is still known


async def test_a_failed_attempt_is_released_at_once_or_given_up_for_good(
    uow_factory: UnitOfWorkFactory,
) -> None:
    await accept(uow_factory, request("Ev1"), request("Ev2"))
    retried, abandoned = await claim(uow_factory)

    async with uow_factory() as uow:
        await uow.inbox.failed_attempt(retried.id, "KeyError", give_up=False)
        await uow.inbox.failed_attempt(abandoned.id, "ValueError", give_up=True)
        await uow.commit()

    # Released without waiting for the lease to expire; the given-up one never comes back.
    again = await claim(uow_factory, "replica-b", T0)
    assert keys(again) == ["Ev1"]
    assert again[0].attempts == 2
    assert await depth(uow_factory) == 1
    assert await claim(uow_factory, "replica-c", T0 + timedelta(seconds=10)) == []
    # Once replica-b's lease ends, only the released request comes back.
    assert keys(await claim(uow_factory, "replica-c", T0 + timedelta(hours=1))) == ["Ev1"]
    assert await accept(uow_factory, request("Ev2")) == [False]


async def test_release_gives_back_one_owners_leases_or_everyones(
    uow_factory: UnitOfWorkFactory,
) -> None:
    await accept(uow_factory, *(request(f"Ev{n}") for n in range(1, 6)))
    assert keys(await claim(uow_factory, "replica-a", limit=2)) == ["Ev1", "Ev2"]
    assert keys(await claim(uow_factory, "replica-b", limit=2)) == ["Ev3", "Ev4"]
    done = await claim(uow_factory, "replica-c", limit=1)
    await finish(uow_factory, done[0].id)

    async with uow_factory() as uow:
        assert await uow.inbox.release("replica-a") == 2
        assert await uow.inbox.release("replica-a") == 0
        assert await uow.inbox.release("nobody") == 0
        await uow.commit()
    released = await claim(uow_factory, "replica-d", T0)
    assert keys(released) == ["Ev1", "Ev2"]
    assert [item.attempts for item in released] == [2, 2]

    async with uow_factory() as uow:
        # replica-b's two and replica-d's two; the finished one holds no lease.
        assert await uow.inbox.release(None) == 4
        await uow.commit()
    assert keys(await claim(uow_factory, "replica-e", T0)) == ["Ev1", "Ev2", "Ev3", "Ev4"]
    assert await depth(uow_factory) == 4


async def test_purge_forgets_requests_finished_before_the_cut_off(
    uow_factory: UnitOfWorkFactory,
) -> None:
    await accept(uow_factory, request("Ev-old"), request("Ev-recent"), request("Ev-pending"))
    old, recent, _ = await claim(uow_factory)
    await finish(uow_factory, old.id, T0 + timedelta(minutes=1))
    await finish(uow_factory, recent.id, T0 + timedelta(minutes=10))

    async with uow_factory() as uow:
        assert await uow.inbox.purge_finished_before(T0 + timedelta(minutes=5)) == 1
        await uow.commit()

    assert await depth(uow_factory) == 1  # the pending request is never purged
    # The purged key is forgotten; the recent one is still recognised as a redelivery.
    assert await accept(uow_factory, request("Ev-old"), request("Ev-recent")) == [True, False]
    async with uow_factory() as uow:
        assert await uow.inbox.purge_finished_before(T0 + timedelta(minutes=5)) == 0
        assert await uow.inbox.purge_finished_before(T0 + timedelta(hours=1)) == 1
        await uow.commit()
    assert await accept(uow_factory, request("Ev-recent")) == [True]
