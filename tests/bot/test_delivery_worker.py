"""The delivery worker on the in-memory store: retries, rate limits, reports, reconciliation, order.

Each test records messages in the outbox, runs `worker.drain()` (everything due now, one at a
time) and moves a `FakeClock` to make retries due.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import FakeClock
from bot.config.models import FrontlineConfig
from bot.core import Core
from bot.errors import DeliveryError
from bot.flags.models import EventKind, Flag
from bot.messages import Conversation, Message, MessageRef, Person
from bot.outbox import worker as worker_module
from bot.outbox.models import (
    POST_LINK,
    Delivery,
    DeliveryStatus,
    Outgoing,
    OutgoingKind,
    StuckDelivery,
)
from bot.outbox.outcomes import FAILURE_NOTICE, post_failed_answer
from bot.outbox.worker import LEASE, LOOKBACK, DeliveryWorker, RetryPolicy
from bot.ports import SentLookup
from tests.contract.builders import WORKSPACE, make_flag
from tests.fakes.memory import InMemoryUnitOfWorkFactory
from tests.fakes.queues import OutboxEntry

ESCALATIONS = Conversation("slack", WORKSPACE, "C-esc")
TRIAGE = "C-triage"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
AGENT = Person("slack", WORKSPACE, "U-ana", "Ana")
POLICY = RetryPolicy(max_attempts=4, first_backoff=10.0, max_backoff=60.0)


@dataclass
class Call:
    kind: str  # post | reply | update | dm | answer
    message: Message
    marker: str | None
    target: str  # the channel, thread root or user the call was for
    ref: MessageRef | None = None  # what the platform returned, when it succeeded


@dataclass
class ScriptedChat:
    """A `ChatGateway` that fails as scripted, and records every call and lookup."""

    calls: list[Call] = field(default_factory=list)
    failures: dict[str, list[DeliveryError]] = field(default_factory=dict)
    always: dict[str, DeliveryError] = field(default_factory=dict)
    lookup: SentLookup = field(default_factory=lambda: SentLookup(known=True))
    lookups: list[tuple[str, datetime]] = field(default_factory=list)
    _next: int = 0

    def fail(self, kind: str, *errors: DeliveryError) -> None:
        """Fail the next calls of `kind`, one error each."""
        self.failures.setdefault(kind, []).extend(errors)

    def delivered(self, kind: str | None = None) -> list[Call]:
        return [c for c in self.calls if c.ref is not None and kind in (None, c.kind)]

    def attempts(self, kind: str) -> int:
        return sum(c.kind == kind for c in self.calls)

    def _call(
        self, kind: str, message: Message, marker: str | None, target: str, where: Conversation
    ) -> MessageRef:
        call = Call(kind, message, marker, target)
        self.calls.append(call)
        queued = self.failures.get(kind)
        if queued:
            raise queued.pop(0)
        if kind in self.always:
            raise self.always[kind]
        self._next += 1
        call.ref = MessageRef(where, f"m{self._next}")
        return call.ref

    async def post(
        self, conversation: Conversation, message: Message, *, marker: str | None = None
    ) -> MessageRef:
        return self._call("post", message, marker, conversation.channel_id, conversation)

    async def reply(
        self, thread: MessageRef, message: Message, *, marker: str | None = None
    ) -> MessageRef:
        ref = self._call("reply", message, marker, thread.thread_root, thread.conversation)
        return MessageRef(ref.conversation, ref.message_id, thread.thread_root)

    async def update(self, ref: MessageRef, message: Message) -> None:
        self._call("update", message, None, ref.message_id, ref.conversation)

    async def direct_message(
        self, person: Person, message: Message, *, marker: str | None = None
    ) -> MessageRef | None:
        where = Conversation(person.platform, person.workspace_id, f"D-{person.user_id}")
        return self._call("dm", message, marker, person.user_id, where)

    async def answer(self, person: Person, route: Mapping[str, str], message: Message) -> None:
        where = Conversation(person.platform, person.workspace_id, "answer")
        self._call("answer", message, None, person.user_id, where)

    async def find_sent(self, outgoing: Outgoing, marker: str, since: datetime) -> SentLookup:
        self.lookups.append((marker, since))
        return self.lookup

    async def permalink(self, ref: MessageRef) -> str | None:
        return f"https://chat.example/{ref.conversation.channel_id}/{ref.message_id}"


@dataclass
class Bench:
    core: Core
    chat: ScriptedChat
    clock: FakeClock
    store: InMemoryUnitOfWorkFactory
    worker: DeliveryWorker

    async def record(self, *outgoing: Outgoing) -> list[int]:
        async with self.core.uow() as uow:
            ids = [await uow.outbox.add(o, self.clock.now()) for o in outgoing]
            await uow.commit()
        return ids

    async def add_flag(self, *, post: MessageRef | None = None) -> Flag:
        async with self.core.uow() as uow:
            flag = await uow.flags.add(make_flag(1, post=post))
            await uow.commit()
        return flag

    async def reload(self, flag: Flag) -> Flag:
        assert flag.id is not None
        async with self.core.uow() as uow:
            stored = await uow.flags.get_by_id(flag.id)
        assert stored is not None
        return stored

    async def events(self, flag: Flag) -> list[tuple[EventKind, str]]:
        assert flag.id is not None
        async with self.core.uow() as uow:
            return [(e.kind, e.detail) for e in await uow.timeline.list_for(flag.id)]

    async def status(self, delivery_id: int) -> DeliveryStatus | None:
        async with self.core.uow() as uow:
            return await uow.outbox.get_status(delivery_id)

    async def stuck(self, delivery_id: int) -> StuckDelivery:
        async with self.core.uow() as uow:
            found = [s for s in await uow.outbox.list_stuck(100) if s.id == delivery_id]
        assert found, f"outbox message {delivery_id} is not stuck"
        return found[0]

    def outbox(self) -> list[OutboxEntry]:
        """Everything recorded in the outbox, oldest first (committed state)."""
        return sorted(self.store.store.committed.outbox.values(), key=lambda e: e.id)

    def notices(self) -> list[Outgoing]:
        return [e.outgoing for e in self.outbox() if e.outgoing.purpose == FAILURE_NOTICE]


def make_bench(*, triage: str | None = TRIAGE, policy: RetryPolicy = POLICY) -> Bench:
    clock = FakeClock(START)
    store = InMemoryUnitOfWorkFactory()
    channels = {"escalations": ESCALATIONS.channel_id, "triage": triage}
    config = FrontlineConfig.model_validate({"channels": {"slack": channels}})
    core = Core(uow=store, clock=clock, config=config)
    chat = ScriptedChat()
    worker = DeliveryWorker(core, chat, owner="replica-test", policy=policy)
    return Bench(core, chat, clock, store, worker)


@pytest.fixture
def bench() -> Bench:
    return make_bench()


def escalation_post(flag: Flag) -> Outgoing:
    return Outgoing.post(
        ESCALATIONS, Message("🚩 escalation"), purpose="escalation post", flag_id=flag.id
    )


def on_post(kind: OutgoingKind, flag: Flag, text: str) -> Outgoing:
    assert flag.id is not None
    return Outgoing.on_flag_post(kind, ESCALATIONS, flag.id, Message(text))


def notice(text: str = "heads up") -> Outgoing:
    return Outgoing.post(ESCALATIONS, Message(text), purpose="notice", flag_id=None)


def server_error(*, uncertain: bool = False) -> DeliveryError:
    return DeliveryError("server error", retryable=True, uncertain=uncertain)


async def test_a_retryable_failure_is_retried_after_a_growing_backoff_counting_attempts(
    bench: Bench,
) -> None:
    (message_id,) = await bench.record(notice())
    bench.chat.fail("post", server_error(), server_error())

    assert await bench.worker.drain() == 1
    first = await bench.stuck(message_id)
    wait = first.next_attempt_at - bench.clock.now()
    assert timedelta(seconds=5) <= wait <= timedelta(seconds=10)  # 10 s, with jitter
    assert (first.status, first.attempts, first.last_error) == (
        DeliveryStatus.PENDING,
        1,
        "server error",
    )
    assert await bench.worker.drain() == 0  # not due yet
    assert bench.chat.attempts("post") == 1

    bench.clock.set(first.next_attempt_at)
    assert await bench.worker.drain() == 1
    second = await bench.stuck(message_id)
    assert (
        timedelta(seconds=10) <= second.next_attempt_at - bench.clock.now() <= timedelta(seconds=20)
    )
    assert second.attempts == 2

    bench.clock.set(second.next_attempt_at)
    assert await bench.worker.drain() == 1
    assert await bench.status(message_id) is DeliveryStatus.SENT
    assert bench.chat.attempts("post") == 3
    assert [c.marker for c in bench.chat.delivered()] == [str(message_id)]


async def test_a_rate_limit_waits_retry_after_and_spends_no_attempt() -> None:
    bench = make_bench(policy=RetryPolicy(max_attempts=2, first_backoff=1.0))
    (message_id,) = await bench.record(notice())
    limited = [DeliveryError("ratelimited", retry_after=30) for _ in range(3)]
    bench.chat.fail("post", *limited)

    for attempt in range(1, 4):
        assert await bench.worker.drain() == 1
        stuck = await bench.stuck(message_id)
        assert stuck.next_attempt_at == bench.clock.now() + timedelta(seconds=30)
        assert (stuck.status, stuck.attempts) == (DeliveryStatus.PENDING, 0)
        bench.clock.advance(timedelta(seconds=29))
        assert await bench.worker.drain() == 0
        assert bench.chat.attempts("post") == attempt
        bench.clock.advance(timedelta(seconds=1))

    # Three rate limits, with only two attempts allowed: none of them counted.
    assert await bench.worker.drain() == 1
    assert await bench.status(message_id) is DeliveryStatus.SENT


async def test_a_permanent_refusal_is_given_up_at_once_and_reported(bench: Bench) -> None:
    flag = await bench.add_flag()
    (post_id,) = await bench.record(escalation_post(flag))
    bench.chat.fail("post", DeliveryError("not_in_channel", admin_hint="invite the bot to #esc"))

    assert await bench.worker.drain() == 3  # the post, then the two notices about it

    assert await bench.status(post_id) is DeliveryStatus.DEAD
    assert (await bench.reload(flag)).post is None
    assert await bench.events(flag) == [
        (EventKind.DELIVERY_FAILED, "escalation post: not_in_channel (invite the bot to #esc)")
    ]
    dm, triage = bench.chat.delivered("dm"), bench.chat.delivered("post")
    assert [c.target for c in dm] == [flag.reporter.user_id]
    assert "could not deliver the escalation post of your flag *F-1*" in dm[0].message.text
    assert "It was reported in the triage channel." in dm[0].message.text
    assert [c.target for c in triage] == [TRIAGE]
    assert "Fix: invite the bot to #esc" in triage[0].message.text
    assert f"`frontline outbox retry {post_id}`" in triage[0].message.text
    assert bench.chat.attempts("post") == 2  # the refused post was not tried again


async def test_a_failed_dm_to_the_reporter_only_goes_on_the_timeline_when_no_triage() -> None:
    bench = make_bench(triage=None)
    flag = await bench.add_flag()
    (dm_id,) = await bench.record(
        Outgoing.direct(flag.reporter, Message("reminder"), purpose="reminder", flag_id=flag.id)
    )
    bench.chat.fail("dm", DeliveryError("user_not_found"))

    assert await bench.worker.drain() == 1

    assert await bench.status(dm_id) is DeliveryStatus.DEAD
    assert await bench.events(flag) == [(EventKind.DELIVERY_FAILED, "reminder: user_not_found")]
    assert bench.notices() == []


async def test_without_a_triage_channel_the_reporter_is_asked_to_tell_the_admin() -> None:
    bench = make_bench(triage=None)
    flag = await bench.add_flag()
    await bench.record(escalation_post(flag))
    bench.chat.fail("post", DeliveryError("not_in_channel"))

    await bench.worker.drain()

    (dm,) = bench.chat.delivered("dm")
    assert "could not deliver the escalation post of your flag *F-1*" in dm.message.text
    assert "Tell your Frontline admin." in dm.message.text
    assert "triage" not in dm.message.text
    assert bench.chat.delivered("post") == []


async def test_a_failure_notice_that_fails_is_never_notified_again(bench: Bench) -> None:
    flag = await bench.add_flag()
    await bench.record(escalation_post(flag))
    bench.chat.always = {kind: DeliveryError("account_inactive") for kind in ("post", "dm")}

    assert await bench.worker.drain() == 3
    assert await bench.worker.drain() == 0

    entries = bench.outbox()
    assert [e.status for e in entries] == [DeliveryStatus.DEAD] * 3
    assert [e.outgoing.kind for e in entries[1:]] == [OutgoingKind.DIRECT, OutgoingKind.POST]
    assert len(bench.notices()) == 2
    assert [kind for kind, _ in await bench.events(flag)] == [EventKind.DELIVERY_FAILED]


async def test_a_message_out_of_attempts_is_given_up_and_reported() -> None:
    bench = make_bench(policy=RetryPolicy(max_attempts=3, first_backoff=1.0))
    flag = await bench.add_flag()
    (post_id,) = await bench.record(escalation_post(flag))
    bench.chat.fail("post", *(server_error() for _ in range(3)))

    for _ in range(2):
        assert await bench.worker.drain() == 1
        assert await bench.status(post_id) is DeliveryStatus.PENDING
        bench.clock.advance(timedelta(minutes=1))
    assert await bench.worker.drain() == 3  # the last attempt, and its two notices

    assert await bench.status(post_id) is DeliveryStatus.DEAD
    assert bench.chat.attempts("post") == 4  # three at the post, one notice to triage
    assert await bench.events(flag) == [
        (EventKind.DELIVERY_FAILED, "escalation post: server error")
    ]
    assert len(bench.notices()) == 2


async def test_an_uncertain_message_found_on_the_platform_is_marked_sent_not_sent_again(
    bench: Bench,
) -> None:
    flag = await bench.add_flag()
    (post_id,) = await bench.record(escalation_post(flag))
    bench.chat.fail("post", server_error(uncertain=True))
    found = MessageRef(ESCALATIONS, "1700000000.000900")
    bench.chat.lookup = SentLookup(known=True, ref=found)

    assert await bench.worker.drain() == 1
    assert bench.chat.lookups == []  # the first attempt had nothing to look for
    bench.clock.advance(timedelta(minutes=1))
    assert await bench.worker.drain() == 1

    assert bench.chat.lookups == [(str(post_id), START - LOOKBACK)]
    assert bench.chat.attempts("post") == 1
    assert await bench.status(post_id) is DeliveryStatus.SENT
    assert (await bench.reload(flag)).post == found  # the found post became the flag's post
    assert [kind for kind, _ in await bench.events(flag)] == [EventKind.POSTED]


async def test_an_uncertain_post_that_cannot_be_looked_up_is_given_up_not_posted_twice(
    bench: Bench,
) -> None:
    flag = await bench.add_flag()
    (post_id,) = await bench.record(escalation_post(flag))
    bench.chat.fail("post", server_error(uncertain=True))
    bench.chat.lookup = SentLookup(known=False)

    assert await bench.worker.drain() == 1
    bench.clock.advance(timedelta(minutes=1))
    assert await bench.worker.drain() == 3  # given up, and reported

    assert await bench.status(post_id) is DeliveryStatus.DEAD
    assert [c.target for c in bench.chat.calls if c.kind == "post"] == ["C-esc", TRIAGE]
    ((kind, detail),) = await bench.events(flag)
    assert kind is EventKind.DELIVERY_FAILED
    assert "may or may not have shown it" in detail
    assert f"frontline outbox retry {post_id}" in detail


async def test_an_uncertain_direct_message_that_cannot_be_looked_up_is_sent_again(
    bench: Bench,
) -> None:
    (dm_id,) = await bench.record(
        Outgoing.direct(Person("slack", WORKSPACE, "U7"), Message("hi"), purpose="reminder")
    )
    bench.chat.fail("dm", server_error(uncertain=True))
    bench.chat.lookup = SentLookup(known=False)

    await bench.worker.drain()
    bench.clock.advance(timedelta(minutes=1))
    await bench.worker.drain()

    assert [marker for marker, _ in bench.chat.lookups] == [str(dm_id)]
    assert bench.chat.attempts("dm") == 2
    assert [c.marker for c in bench.chat.delivered("dm")] == [str(dm_id)]
    assert await bench.status(dm_id) is DeliveryStatus.SENT


async def test_a_message_whose_sender_crashed_is_looked_up_before_it_is_sent_again(
    bench: Bench,
) -> None:
    begun, waiting = await bench.record(notice("one"), notice("two"))
    async with bench.core.uow() as uow:  # a replica claims both, begins one, and dies
        now = bench.clock.now()
        await uow.outbox.claim("replica-gone", now, now + LEASE, 10, frozenset())
        await uow.outbox.mark_begun(begun)
        await uow.commit()

    assert await bench.worker.drain() == 0  # its lease still holds
    bench.clock.advance(LEASE + timedelta(seconds=1))
    assert await bench.worker.drain() == 2

    # The one whose send had begun is looked for first; the other never left: sent at once.
    assert [marker for marker, _ in bench.chat.lookups] == [str(begun)]
    assert [c.marker for c in bench.chat.delivered("post")] == [str(begun), str(waiting)]


async def test_thread_lines_of_a_post_that_never_arrived_are_skipped(bench: Bench) -> None:
    flag = await bench.add_flag()
    post_id, reply_id, update_id = await bench.record(
        escalation_post(flag),
        on_post(OutgoingKind.REPLY, flag, "acknowledged"),
        on_post(OutgoingKind.UPDATE, flag, "card, acknowledged"),
    )
    bench.chat.fail("post", DeliveryError("channel_not_found"))

    await bench.worker.drain()

    assert await bench.status(post_id) is DeliveryStatus.DEAD
    assert await bench.status(reply_id) is DeliveryStatus.SKIPPED
    assert await bench.status(update_id) is DeliveryStatus.SKIPPED
    assert bench.chat.attempts("reply") == bench.chat.attempts("update") == 0


async def test_thread_lines_wait_for_their_post_then_follow_it_in_order(bench: Bench) -> None:
    flag = await bench.add_flag()
    assert flag.id is not None
    answer = Outgoing.answer(
        flag.reporter, Message(f"🚩 *F-1* is in {POST_LINK}."), {}, after_post_of=flag.id
    )
    ids = await bench.record(
        escalation_post(flag),
        on_post(OutgoingKind.REPLY, flag, "first line"),
        on_post(OutgoingKind.UPDATE, flag, "card, updated"),
        on_post(OutgoingKind.REPLY, flag, "second line"),
        answer,
    )
    bench.chat.fail("post", server_error())

    assert await bench.worker.drain() == 1
    assert [c.kind for c in bench.chat.calls] == ["post"]  # the rest wait behind the post
    bench.clock.advance(timedelta(minutes=1))
    assert await bench.worker.drain() == 5

    post = (await bench.reload(flag)).post
    assert post is not None
    assert [(c.kind, c.target, c.marker) for c in bench.chat.calls[1:]] == [
        ("post", "C-esc", str(ids[0])),
        ("reply", post.message_id, str(ids[1])),
        ("update", post.message_id, None),
        ("reply", post.message_id, str(ids[3])),
        ("answer", flag.reporter.user_id, None),
    ]
    assert bench.chat.calls[-1].message.text == (
        f"🚩 *F-1* is in <https://chat.example/C-esc/{post.message_id}|the escalation post>."
    )
    assert [kind for kind, _ in await bench.events(flag)] == [EventKind.POSTED]


async def test_an_answer_about_a_post_that_was_given_up_says_the_post_failed(
    bench: Bench,
) -> None:
    flag = await bench.add_flag()
    assert flag.id is not None
    answer = Outgoing.answer(
        flag.reporter, Message(f"posted: {POST_LINK}"), {"response_url": "u"}, after_post_of=flag.id
    )
    await bench.record(escalation_post(flag), answer)
    bench.chat.fail("post", DeliveryError("channel_not_found"))

    await bench.worker.drain()

    (answered,) = bench.chat.delivered("answer")
    assert answered.message == post_failed_answer(flag, reported=True)
    assert "so managers may not have seen it: tell one yourself" in answered.message.text
    assert "It was reported in the triage channel." in answered.message.text
    assert "F-1" in answered.message.text and POST_LINK not in answered.message.text


async def test_a_post_already_adopted_by_the_flag_is_not_posted_again(bench: Bench) -> None:
    adopted = MessageRef(ESCALATIONS, "1700000000.000500")
    flag = await bench.add_flag(post=adopted)
    (post_id,) = await bench.record(escalation_post(flag))

    assert await bench.worker.drain() == 1

    assert bench.chat.calls == []
    assert await bench.status(post_id) is DeliveryStatus.SENT
    assert (await bench.reload(flag)).post == adopted


async def test_the_admins_retry_of_a_post_that_may_or_may_not_have_shown_posts_it(
    bench: Bench,
) -> None:
    flag = await bench.add_flag()
    (post_id,) = await bench.record(escalation_post(flag))
    bench.chat.fail("post", server_error(uncertain=True))
    bench.chat.lookup = SentLookup(known=False)
    await bench.worker.drain()
    bench.clock.advance(timedelta(minutes=1))
    await bench.worker.drain()
    assert await bench.status(post_id) is DeliveryStatus.DEAD

    # `frontline outbox retry <id>`, as the admin hint says, once the admin saw it is missing.
    async with bench.core.uow() as uow:
        assert await uow.outbox.retry_now([post_id], bench.clock.now()) == 1
        await uow.commit()
    await bench.worker.drain()

    assert await bench.status(post_id) is DeliveryStatus.SENT
    assert [c.marker for c in bench.chat.delivered("post") if c.target == "C-esc"] == [str(post_id)]


class _Hanging:
    """A pacer whose turn never comes, or a send that never answers."""

    def __init__(self) -> None:
        self.never = asyncio.Event()

    @contextlib.asynccontextmanager
    async def turn(self, conversation_id: str) -> AsyncIterator[None]:
        await self.never.wait()
        yield


async def test_a_graceful_stop_releases_what_never_began_as_certain_and_a_send_as_uncertain(
    bench: Bench,
) -> None:
    hanging = _Hanging()
    paced = DeliveryWorker(bench.core, bench.chat, owner="replica-test", pacers={"slack": hanging})
    waiting, sending = await bench.record(
        notice("waits for its turn"),
        Outgoing.answer(AGENT, Message("answer"), {"response_url": "https://x"}),
    )

    async def never_answers(*_: object) -> None:
        await hanging.never.wait()

    bench.chat.answer = never_answers  # type: ignore[method-assign, assignment]
    running = asyncio.create_task(paced.run())
    for _ in range(100):
        if paced.in_flight == 2:
            break
        await asyncio.sleep(0.01)
    assert paced.in_flight == 2
    await paced.stop(grace=0.05)
    running.cancel()
    await asyncio.gather(running, return_exceptions=True)

    entries = {e.id: e for e in bench.outbox()}
    assert entries[waiting].lease_owner is None and entries[sending].lease_owner is None
    assert entries[waiting].uncertain is False  # never sent: no look-up needed
    assert entries[sending].uncertain is True  # it may have reached the platform


async def test_an_attempt_is_cut_off_before_its_lease_could_pass_to_another_replica(
    bench: Bench, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert LEASE.total_seconds() > worker_module.ATTEMPT_LIMIT_SECONDS
    monkeypatch.setattr(worker_module, "ATTEMPT_LIMIT_SECONDS", 0.05)
    (message_id,) = await bench.record(notice())
    hanging = asyncio.Event()

    async def never_answers(*_: object, **__: object) -> MessageRef:
        await hanging.wait()
        raise AssertionError("unreachable")

    bench.chat.post = never_answers  # type: ignore[method-assign]
    await bench.worker.drain()

    (entry,) = bench.outbox()
    assert entry.id == message_id and entry.status is DeliveryStatus.PENDING
    assert entry.uncertain and entry.attempts == 1  # looked for before it is sent again
    assert entry.last_error is not None and "took over" in entry.last_error


async def test_a_claim_under_way_when_a_graceful_stop_begins_is_released_with_the_rest(
    bench: Bench,
) -> None:
    hanging = _Hanging()
    paced = DeliveryWorker(bench.core, bench.chat, owner="replica-test", pacers={"slack": hanging})
    (waiting,) = await bench.record(notice("claimed just as the stop begins"))
    claiming, go_on = asyncio.Event(), asyncio.Event()
    claim = paced._claim

    async def slow_claim(*, limit: int) -> list[Delivery]:
        claiming.set()
        await go_on.wait()
        return await claim(limit=limit)

    paced._claim = slow_claim  # type: ignore[method-assign]
    running = asyncio.create_task(paced.run())
    await asyncio.wait_for(claiming.wait(), 5)
    stopping = asyncio.create_task(paced.stop(grace=0.05))
    await asyncio.sleep(0.01)  # the stop has begun while the claim is still under way
    go_on.set()
    await asyncio.wait_for(stopping, 5)
    running.cancel()
    await asyncio.gather(running, return_exceptions=True)

    (entry,) = [e for e in bench.outbox() if e.id == waiting]
    assert entry.lease_owner is None  # released, not left to its lease
    assert entry.uncertain is False  # it never began: sent after the restart without a doubt
