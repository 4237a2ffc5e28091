"""Several replicas on one PostgreSQL database: every message delivered exactly once.

Each "replica" has its own `Database` (engine and connection pool) on the same PostgreSQL
database, as separate processes would; they share only the database and the chat platform.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.clock import Clock, FakeClock, SystemClock
from bot.config.models import FrontlineConfig
from bot.core import Core
from bot.inbox.models import Received
from bot.messages import Conversation, Message, MessageRef, Person
from bot.outbox.models import Outgoing
from bot.outbox.worker import LOOKBACK, DeliveryWorker
from bot.ports import SentLookup
from storage.database import Database

WORKSPACE = "T-REPLICAS"
MESSAGES = 1_000
CHANNELS = 100
REPLICAS = 3
CONCURRENCY = 16
WITHIN_SECONDS = 30.0


@dataclass
class Platform:
    """The chat platform every replica talks to: what arrived, by marker, and who sent it."""

    arrived: Counter[str] = field(default_factory=Counter)
    senders: Counter[str] = field(default_factory=Counter)
    by_channel: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    events: list[tuple[str, str]] = field(default_factory=list)  # (what, marker)
    lookbacks: dict[str, datetime] = field(default_factory=dict)
    expected: int = MESSAGES
    all_arrived: asyncio.Event = field(default_factory=asyncio.Event)

    def arrive(self, sender: str, where: str, marker: str | None) -> MessageRef:
        assert marker is not None, "every new message carries its outbox marker"
        self.arrived[marker] += 1
        self.senders[sender] += 1
        self.by_channel[where].append(int(marker))
        self.events.append(("sent", marker))
        if self.arrived.total() >= self.expected:  # every one, or some twice: go and look
            self.all_arrived.set()
        return MessageRef(Conversation("slack", WORKSPACE, where), f"ts-{marker}")


class ReplicaChat:
    """One replica's connection to the shared platform (a `bot.ports.ChatGateway`)."""

    def __init__(self, platform: Platform, replica: str) -> None:
        self._platform = platform
        self._replica = replica

    async def _network(self) -> None:
        await asyncio.sleep(random.uniform(0, 0.002))  # let the replicas interleave

    async def post(
        self, conversation: Conversation, message: Message, *, marker: str | None = None
    ) -> MessageRef:
        await self._network()
        return self._platform.arrive(self._replica, conversation.channel_id, marker)

    async def reply(
        self, thread: MessageRef, message: Message, *, marker: str | None = None
    ) -> MessageRef:
        await self._network()
        return self._platform.arrive(self._replica, thread.conversation.channel_id, marker)

    async def update(self, ref: MessageRef, message: Message) -> None:
        raise AssertionError("no updates are recorded in these tests")

    async def direct_message(
        self, person: Person, message: Message, *, marker: str | None = None
    ) -> MessageRef | None:
        await self._network()
        return self._platform.arrive(self._replica, f"D-{person.user_id}", marker)

    async def answer(self, person: Person, route: Mapping[str, str], message: Message) -> None:
        raise AssertionError("no answers are recorded in these tests")

    async def find_sent(self, outgoing: Outgoing, marker: str, since: datetime) -> SentLookup:
        self._platform.events.append(("looked up", marker))
        self._platform.lookbacks[marker] = since
        if self._platform.arrived[marker]:
            where = outgoing.channel_id or "dm"
            return SentLookup(True, MessageRef(Conversation("slack", WORKSPACE, where), "found"))
        return SentLookup(known=True)

    async def ephemeral(
        self, conversation: Conversation, person: Person, message: Message, thread_id: str | None
    ) -> None:
        raise AssertionError("the outbox never sends ephemerals")

    async def permalink(self, ref: MessageRef) -> str | None:
        return None


@pytest.fixture
async def replica_databases(
    postgres_database: Database, postgres_url: str
) -> AsyncIterator[list[Database]]:
    """REPLICAS databases on the (emptied) test database, each with its own engine.

    Each pool holds a connection for every delivery a replica has in flight, plus its claim:
    the default pool (5, overflowing to 15) would open and close a connection for nearly
    every message at this concurrency, which is slow enough to dominate the test.
    """
    others = [
        Database(create_async_engine(postgres_url, pool_size=CONCURRENCY + 4, max_overflow=4))
        for _ in range(REPLICAS)
    ]
    yield others
    for database in others:
        await database.dispose()


def replica(database: Database, platform: Platform, name: str, clock: Clock) -> DeliveryWorker:
    core = Core(uow=database.unit_of_work, clock=clock, config=FrontlineConfig())
    return DeliveryWorker(
        core, ReplicaChat(platform, name), owner=name, concurrency=CONCURRENCY, poll_seconds=0.02
    )


async def record(database: Database, outgoing: list[Outgoing], at: datetime) -> list[int]:
    async with database.unit_of_work() as uow:
        ids = [await uow.outbox.add(o, at) for o in outgoing]
        await uow.commit()
    return ids


async def statuses(database: Database) -> dict[str, int]:
    async with database.engine.connect() as connection:
        rows = await connection.execute(text("SELECT status, count(*) FROM outbox GROUP BY 1"))
        return {status: count for status, count in rows}


async def test_three_replicas_deliver_a_thousand_messages_exactly_once(
    replica_databases: list[Database],
) -> None:
    platform = Platform()
    posts = [
        Outgoing.post(
            Conversation("slack", WORKSPACE, f"C{n % CHANNELS:03d}"),
            Message(f"message {n}"),
            purpose="notice",
            flag_id=None,
        )
        for n in range(MESSAGES)
    ]
    ids = await record(replica_databases[0], posts, datetime.now(UTC))
    # As autovacuum would soon: without statistics on a freshly filled outbox, PostgreSQL
    # plans the claim's "first of its order" anti-join as a nested loop over every pending
    # row (about 160 ms a claim at 1,000 rows here, growing with the square of the backlog).
    async with replica_databases[0].engine.begin() as connection:
        await connection.execute(text("ANALYZE outbox"))
    workers = [
        replica(database, platform, f"replica-{n}", SystemClock())
        for n, database in enumerate(replica_databases)
    ]

    runs = [asyncio.create_task(worker.run()) for worker in workers]
    try:
        async with asyncio.timeout(WITHIN_SECONDS):
            await platform.all_arrived.wait()
    finally:
        # Stopping lets each delivery in flight finish recording its outcome.
        await asyncio.gather(*(worker.stop(grace=5.0) for worker in workers))
        for run in runs:
            run.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await run

    twice = sorted(int(marker) for marker, n in platform.arrived.items() if n > 1)
    assert twice == [], f"{len(twice)} delivered more than once, e.g. {twice[:10]}"
    assert set(platform.arrived) == {str(i) for i in ids}
    assert await statuses(replica_databases[2]) == {"sent": MESSAGES}
    # No replica took over another's message: nothing was ever uncertain enough to look up.
    assert [event for event in platform.events if event[0] != "sent"] == []
    # One conversation's messages arrive in the order they were recorded, whoever sent them.
    for channel, markers in platform.by_channel.items():
        assert markers == sorted(markers), f"{channel} out of order"
    # The work really was shared (CONCURRENCY in flight each cannot cover 100 channels).
    assert set(platform.senders) == {worker.owner for worker in workers}
    async with replica_databases[0].unit_of_work() as uow:
        stats = await uow.outbox.stats(datetime.now(UTC))
    assert (stats.pending, stats.due, stats.dead) == (0, 0, 0)


async def test_a_replica_that_dies_mid_delivery_is_taken_over_after_its_lease_uncertain(
    replica_databases: list[Database],
) -> None:
    clock = FakeClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    recorded_at = clock.now()
    platform = Platform()
    outgoing = [
        Outgoing.post(
            Conversation("slack", WORKSPACE, f"C{n}"), Message(f"post {n}"), purpose="p", flag_id=n
        )
        for n in range(10)
    ] + [
        Outgoing.direct(Person("slack", WORKSPACE, f"U{n}"), Message(f"dm {n}"), purpose="dm")
        for n in range(10)
    ]
    ids = await record(replica_databases[0], outgoing, recorded_at)

    # The dying replica claims everything with a short lease, sends one message, and is gone.
    dying, first_survivor, second_survivor = replica_databases
    async with dying.unit_of_work() as uow:
        claimed = await uow.outbox.claim(
            "replica-dead", clock.now(), clock.now() + timedelta(seconds=10), 100, frozenset()
        )
        await uow.commit()
    assert sorted(d.id for d in claimed) == ids
    # It began two posts (a post is uncertain from then, a DM from its claim) and sent one.
    async with dying.unit_of_work() as uow:
        await uow.outbox.mark_begun(ids[3])
        await uow.outbox.mark_begun(ids[5])
        await uow.commit()
    sent_before_dying = str(ids[3])
    platform.arrive("replica-dead", "C3", sent_before_dying)
    platform.events.clear()

    survivors = [
        replica(first_survivor, platform, "replica-b", clock),
        replica(second_survivor, platform, "replica-c", clock),
    ]
    clock.advance(timedelta(seconds=10))
    assert [await worker.drain() for worker in survivors] == [0, 0]  # still leased

    clock.advance(timedelta(seconds=1))
    handled = await asyncio.gather(*(worker.drain() for worker in survivors))

    assert sum(handled) == len(ids)
    assert platform.arrived == Counter({str(i): 1 for i in ids})
    # Each taken-over message that may have left was looked up first, and sent only if absent;
    # a post whose send never began was sent without a look-up.
    doubtful = {str(i) for i in ids[10:]} | {str(ids[3]), str(ids[5])}
    for marker in map(str, ids):
        mine = [what for what, m in platform.events if m == marker]
        expected = ["looked up"] if marker == sent_before_dying else ["looked up", "sent"]
        if marker not in doubtful:
            expected = ["sent"]
        assert mine == expected, marker
        if marker in doubtful:
            assert platform.lookbacks[marker] == recorded_at - LOOKBACK
    assert await statuses(first_survivor) == {"sent": len(ids)}
    async with first_survivor.unit_of_work() as uow:
        assert await uow.outbox.release(None) == 0


async def test_replicas_claiming_stored_requests_at_once_never_share_one(
    replica_databases: list[Database],
) -> None:
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    requests = [Received(f"Ev{n}", "slack", "event", {"n": n}) for n in range(300)]
    async with replica_databases[0].unit_of_work() as uow:
        assert await uow.inbox.accept(requests, now) == [True] * len(requests)
        await uow.commit()
    taken: Counter[str] = Counter()

    async def run(database: Database, owner: str) -> None:
        while True:
            async with database.unit_of_work() as uow:
                batch = await uow.inbox.claim(owner, now, now + timedelta(seconds=30), 7)
                await asyncio.sleep(0)  # hold the row locks while the others claim
                await uow.commit()
            if not batch:
                return
            taken.update(item.key for item in batch)
            async with database.unit_of_work() as uow:
                for item in batch:
                    await uow.inbox.finish(item.id, now)
                await uow.commit()

    await asyncio.gather(
        *(
            run(database, f"replica-{n}-{task}")
            for n, database in enumerate(replica_databases)
            for task in range(2)
        )
    )

    assert taken == Counter({r.key: 1 for r in requests})
    async with replica_databases[1].unit_of_work() as uow:
        assert await uow.inbox.depth() == 0


async def test_concurrent_claims_never_share_a_row_nor_pass_the_head_of_an_order_key(
    replica_databases: list[Database],
) -> None:
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    one = Person("slack", WORKSPACE, "U-one")
    # 50 messages to one person (one order key), and one to each of 50 others.
    same = [Outgoing.direct(one, Message(f"{n}"), purpose="same") for n in range(50)]
    spread = [
        Outgoing.direct(Person("slack", WORKSPACE, f"U{n}"), Message("x"), purpose="spread")
        for n in range(50)
    ]
    ids = await record(replica_databases[0], same + spread, now)

    async def claim(database: Database, owner: str) -> list[int]:
        async with database.unit_of_work() as uow:
            batch = await uow.outbox.claim(owner, now, now + timedelta(minutes=1), 40, frozenset())
            await asyncio.sleep(0.01)  # keep the claim open while the other replicas claim
            await uow.commit()
        return [delivery.id for delivery in batch]

    batches = await asyncio.gather(
        *(claim(database, f"replica-{n}") for n, database in enumerate(replica_databases))
    )
    # A replica that lost the race gets what the others left once they have committed.
    batches.append(await claim(replica_databases[0], "replica-late"))

    everything = [delivery_id for batch in batches for delivery_id in batch]
    assert len(everything) == len(set(everything)), f"a row was claimed twice: {batches}"
    assert sorted(everything) == [ids[0], *ids[50:]]  # the head of "same", and every other
