"""OutboxRepository contract: messages round-trip exactly and are claimed in order, paced."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from bot.messages import Button, ButtonStyle, Conversation, Field, Message, MessageRef, Person
from bot.outbox.models import Delivery, DeliveryStatus, Outgoing, OutgoingKind
from bot.ports import OutboxStats, UnitOfWorkFactory
from bot.silence.ladder import ClockKind
from tests.contract.builders import T0, WORKSPACE, channel, make_flag, person
from tests.contract.queue_tables import postgres_database  # noqa: F401 (a fixture)

LEASE = timedelta(seconds=60)
RICH = Message(
    "🚩 *F-12* SSO loops — <@U1> says <https://x.example/a?b=c|ticket> &amp; more",
    fields=(Field("Severity", "high"), Field("Customer", "acme: the big one")),
    buttons=(
        Button("Acknowledge", "flag.ack", "12", ButtonStyle.PRIMARY),
        Button("Resolve", "flag.resolve", "12:x", ButtonStyle.DANGER),
        Button("Snooze", "flag.snooze", "12"),
    ),
    footer="Frontline · F-12",
)


def direct(user_id: str, text: str = "note", *, flag_id: int | None = None) -> Outgoing:
    return Outgoing.direct(person(user_id), Message(text), purpose=text, flag_id=flag_id)


def post(channel_id: str, text: str = "post", *, flag_id: int | None = None) -> Outgoing:
    return Outgoing.post(channel(channel_id), Message(text), purpose=text, flag_id=flag_id)


async def add(uow_factory: UnitOfWorkFactory, *outgoing: Outgoing, at: datetime = T0) -> list[int]:
    async with uow_factory() as uow:
        ids = [await uow.outbox.add(o, at) for o in outgoing]
        await uow.commit()
    return ids


async def claim(
    uow_factory: UnitOfWorkFactory,
    now: datetime = T0,
    *,
    owner: str = "replica-a",
    limit: int = 20,
    busy: frozenset[str] = frozenset(),
) -> list[Delivery]:
    async with uow_factory() as uow:
        batch = await uow.outbox.claim(owner, now, now + LEASE, limit, busy)
        await uow.commit()
    return batch


def ids(batch: list[Delivery]) -> list[int]:
    return [delivery.id for delivery in batch]


async def mark_sent(uow_factory: UnitOfWorkFactory, *delivery_ids: int, at: datetime = T0) -> None:
    async with uow_factory() as uow:
        for delivery_id in delivery_ids:
            ref = MessageRef(channel("C1"), f"ts-{delivery_id}")
            await uow.outbox.mark_sent(delivery_id, ref, at)
        await uow.commit()


async def give_up(
    uow_factory: UnitOfWorkFactory, delivery_id: int, status: DeliveryStatus, at: datetime = T0
) -> None:
    async with uow_factory() as uow:
        await uow.outbox.give_up(delivery_id, status, "channel_not_found", at)
        await uow.commit()


async def retry_later(
    uow_factory: UnitOfWorkFactory,
    delivery_id: int,
    at: datetime,
    *,
    error: str = "timeout",
    uncertain: bool = False,
    counts: bool = True,
) -> None:
    async with uow_factory() as uow:
        await uow.outbox.retry_later(delivery_id, at, error, uncertain=uncertain, counts=counts)
        await uow.commit()


async def status(uow_factory: UnitOfWorkFactory, delivery_id: int) -> DeliveryStatus | None:
    async with uow_factory() as uow:
        return await uow.outbox.get_status(delivery_id)


async def stats(uow_factory: UnitOfWorkFactory, now: datetime = T0) -> OutboxStats:
    async with uow_factory() as uow:
        return await uow.outbox.stats(now)


def every_kind() -> list[Outgoing]:
    ana = Person("slack", WORKSPACE, "U-ana", "Ana Ünïcode")
    teams_person = Person("teams", "tenant-1", "29:bo", "Bo")
    explicit_thread = MessageRef(channel("C-THREAD"), "1700000000.000200", "1700000000.000100")
    return [
        Outgoing.post(channel("C-ESC-1"), RICH, purpose="escalation post", flag_id=11),
        Outgoing.on_flag_post(OutgoingKind.REPLY, channel("C-ESC-2"), 12, Message("thread line")),
        Outgoing.on_flag_post(OutgoingKind.UPDATE, channel("C-ESC-3"), 13, RICH),
        Outgoing(
            OutgoingKind.REPLY,
            "slack",
            WORKSPACE,
            Message("in an explicit thread", footer="f"),
            "ack line",
            ref=explicit_thread,
        ),
        Outgoing(
            OutgoingKind.UPDATE,
            "slack",
            WORKSPACE,
            Message("updated in place"),
            "home card",
            ref=MessageRef(channel("C-HOME"), "1700000000.000300"),
            flag_id=16,
        ),
        replace(
            Outgoing.direct(ana, RICH, purpose="reminder", flag_id=14), while_due=ClockKind.UPDATE
        ),
        Outgoing.answer(
            Person("slack", WORKSPACE, "U-cy", "Cy"),
            Message("🚩 *F-15* is posted: {escalation_post}"),
            {"response_url": "https://hooks.slack.example/r/1?x=y", "channel": "C-SUPPORT"},
            after_post_of=15,
        ),
        Outgoing.answer(Person("slack", WORKSPACE, "U-di"), Message("done"), {}),
        Outgoing.post(
            Conversation("teams", "tenant-1", "19:abc@thread.tacv2"),
            Message("a notice"),
            purpose="failure notice",
            flag_id=None,
        ),
        Outgoing.direct(teams_person, Message("dm"), purpose="digest"),
    ]


async def test_every_kind_of_message_round_trips_exactly(uow_factory: UnitOfWorkFactory) -> None:
    recorded = every_kind()
    assert recorded[0].records_post and recorded[6].links_post  # the builders' flags are kept
    added = await add(uow_factory, *recorded)

    batch = await claim(uow_factory)

    assert len(set(added)) == len(recorded)
    assert ids(batch) == added
    assert [delivery.outgoing for delivery in batch] == recorded
    assert {(d.attempts, d.created_at, d.uncertain, d.last_error) for d in batch} == {
        (0, T0, False, None)
    }
    assert await status(uow_factory, added[0]) is DeliveryStatus.PENDING
    assert await status(uow_factory, max(added) + 1000) is None


async def test_an_uncommitted_add_records_nothing(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        await uow.outbox.add(direct("U1"), T0)
    assert await claim(uow_factory) == []
    assert await stats(uow_factory) == OutboxStats(0, 0, 0, None)


async def test_a_later_message_of_an_order_key_waits_until_the_first_is_finished(
    uow_factory: UnitOfWorkFactory,
) -> None:
    # One order key per flag's post and thread: its post and its thread line go in order.
    thread_line = Outgoing.on_flag_post(OutgoingKind.REPLY, channel("C1"), 1, Message("line"))
    first_sent, second_sent = await add(uow_factory, post("C1", flag_id=1), thread_line)
    first_dead, second_dead = await add(uow_factory, direct("U2"), direct("U2", "second"))
    first_skipped, second_skipped = await add(
        uow_factory, post("C3", flag_id=3), post("C4", flag_id=3)
    )
    heads = [first_sent, first_dead, first_skipped]

    assert ids(await claim(uow_factory)) == heads
    # Nor are they claimable while the first is leased (its lease expired: claimed again).
    assert ids(await claim(uow_factory, T0 + LEASE + timedelta(seconds=1))) == heads

    await mark_sent(uow_factory, first_sent)
    await give_up(uow_factory, first_dead, DeliveryStatus.DEAD)
    await give_up(uow_factory, first_skipped, DeliveryStatus.SKIPPED)

    later = T0 + timedelta(minutes=5)
    assert ids(await claim(uow_factory, later)) == [second_sent, second_dead, second_skipped]
    assert [await status(uow_factory, i) for i in heads] == [
        DeliveryStatus.SENT,
        DeliveryStatus.DEAD,
        DeliveryStatus.SKIPPED,
    ]


async def test_a_first_message_waiting_for_its_retry_holds_back_its_order_key(
    uow_factory: UnitOfWorkFactory,
) -> None:
    first, second = await add(uow_factory, direct("U1", "first"), direct("U1", "second"))
    other = (await add(uow_factory, direct("U2")))[0]
    assert ids(await claim(uow_factory)) == [first, other]
    await mark_sent(uow_factory, other)

    retry_at = T0 + timedelta(seconds=30)
    await retry_later(uow_factory, first, retry_at)

    assert await claim(uow_factory, T0 + timedelta(seconds=29)) == []
    assert (await stats(uow_factory, T0 + timedelta(seconds=29))).due == 0
    # Due at exactly its time; the second still waits behind it.
    assert ids(await claim(uow_factory, retry_at)) == [first]
    await mark_sent(uow_factory, first, at=retry_at)
    assert ids(await claim(uow_factory, retry_at)) == [second]


async def test_what_is_said_to_people_about_a_flag_never_holds_up_its_post_and_thread(
    uow_factory: UnitOfWorkFactory,
) -> None:
    escalation = channel("C-ESC")
    the_post, answer, nudge_dm, overdue, nudge, later_dm = await add(
        uow_factory,
        post("C-ESC", flag_id=1),
        Outgoing.answer(person("U-ana"), Message("flagged"), {}, after_post_of=1),
        direct("U-maria", "nudge 1", flag_id=1),
        Outgoing.flag_post_refresh(escalation, 1),
        Outgoing.on_flag_post(OutgoingKind.REPLY, escalation, 1, Message("nudge")),
        direct("U-maria", "nudge 2", flag_id=1),
    )
    # The answer links the post, so it waits for it; the manager's DM waits for nothing.
    assert ids(await claim(uow_factory)) == [the_post, nudge_dm]
    assert (await stats(uow_factory)).due == 2
    await mark_sent(uow_factory, the_post, nudge_dm)
    assert ids(await claim(uow_factory, owner="replica-b")) == [answer, overdue, later_dm]

    # The reporter's conversation is slow: its answer waits for a retry, and the post's
    # update and thread nudge go on without it.
    await retry_later(uow_factory, answer, T0 + timedelta(minutes=5))
    await mark_sent(uow_factory, overdue, later_dm)
    assert ids(await claim(uow_factory, owner="replica-c")) == [nudge]


async def test_an_answer_linking_a_post_that_was_given_up_is_delivered(
    uow_factory: UnitOfWorkFactory,
) -> None:
    the_post, answer = await add(
        uow_factory,
        post("C-ESC", flag_id=1),
        Outgoing.answer(person("U-ana"), Message("flagged"), {}, after_post_of=1),
    )
    assert ids(await claim(uow_factory)) == [the_post]
    await give_up(uow_factory, the_post, DeliveryStatus.DEAD)
    assert ids(await claim(uow_factory, owner="replica-b")) == [answer]


async def test_one_message_per_pace_key_per_claim_and_busy_pace_keys_are_skipped(
    uow_factory: UnitOfWorkFactory,
) -> None:
    c1_first, c1_second, c1_third = await add(
        uow_factory, post("C1", flag_id=1), post("C1", flag_id=2), post("C1", flag_id=3)
    )
    (c2,) = await add(uow_factory, post("C2", flag_id=4))
    answers = await add(
        uow_factory,
        Outgoing.answer(person("U1"), Message("a"), {}),
        Outgoing.answer(person("U2"), Message("b"), {}),
    )
    assert post("C1").pace_key == "slack:C1"

    first = await claim(uow_factory, busy=frozenset({"slack:C2"}))
    assert ids(first) == [c1_first, *answers]  # answers are not paced

    # The store leaves pacing in flight to the worker: it only skips the keys it is told.
    second = await claim(uow_factory, owner="replica-b", busy=frozenset({"slack:C9"}))
    assert ids(second) == [c1_second, c2]

    third = await claim(uow_factory, owner="replica-c", limit=1)
    assert ids(third) == [c1_third]


async def test_a_backlog_in_one_conversation_does_not_hold_up_the_others(
    uow_factory: UnitOfWorkFactory,
) -> None:
    # Many flags' posts in one channel: separate order keys, one pace key.
    backlog = await add(uow_factory, *(post("C-busy", flag_id=n) for n in range(1, 602)))
    (elsewhere,) = await add(uow_factory, direct("U-elsewhere"))

    # What the worker asks while it is sending to C-busy: anything for another conversation.
    assert ids(await claim(uow_factory, busy=frozenset({"slack:C-busy"}))) == [elsewhere]
    assert ids(await claim(uow_factory, owner="replica-b")) == [backlog[0]]


async def test_claim_respects_the_limit_and_takes_the_oldest_first(
    uow_factory: UnitOfWorkFactory,
) -> None:
    added = await add(uow_factory, *(direct(f"U{n}") for n in range(5)))

    assert ids(await claim(uow_factory, limit=2)) == added[:2]
    assert ids(await claim(uow_factory, limit=2)) == added[2:4]
    assert ids(await claim(uow_factory, limit=2)) == added[4:]
    assert await claim(uow_factory) == []


async def test_a_message_recorded_for_later_is_not_claimed_before_its_time(
    uow_factory: UnitOfWorkFactory,
) -> None:
    (later,) = await add(uow_factory, direct("U1"), at=T0 + timedelta(minutes=1))

    assert await claim(uow_factory, T0 + timedelta(seconds=59)) == []
    assert ids(await claim(uow_factory, T0 + timedelta(minutes=1))) == [later]


async def test_a_claim_that_never_reported_is_retaken_uncertain_after_its_lease(
    uow_factory: UnitOfWorkFactory,
) -> None:
    (message_id,) = await add(uow_factory, direct("U1"))
    (first,) = await claim(uow_factory, owner="dies")
    assert not first.uncertain

    assert await claim(uow_factory, T0 + LEASE, owner="survivor") == []  # still leased
    (retaken,) = await claim(uow_factory, T0 + LEASE + timedelta(seconds=1), owner="survivor")
    assert retaken.id == message_id
    assert retaken.uncertain  # the dead replica may have sent it
    assert retaken.attempts == 0  # a claim alone spends no attempt

    # An attempt that failed surely (nothing was created) clears the doubt and spends one.
    now = T0 + timedelta(minutes=2)
    await retry_later(uow_factory, message_id, now, error="invalid_auth", uncertain=False)
    (clear,) = await claim(uow_factory, now)
    assert (clear.uncertain, clear.attempts, clear.last_error) == (False, 1, "invalid_auth")

    # A rate limit spends nothing; an uncertain failure stays uncertain.
    await retry_later(uow_factory, message_id, now, error="ratelimited", counts=False)
    assert (await claim(uow_factory, now))[0].attempts == 1
    await retry_later(uow_factory, message_id, now, error="timeout", uncertain=True)
    (doubtful,) = await claim(uow_factory, now)
    assert (doubtful.uncertain, doubtful.attempts, doubtful.last_error) == (True, 2, "timeout")


async def test_release_gives_back_one_owners_leases_or_everyones(
    uow_factory: UnitOfWorkFactory,
) -> None:
    added = await add(uow_factory, *(direct(f"U{n}") for n in range(5)))
    await claim(uow_factory, owner="a", limit=2)
    await claim(uow_factory, owner="b", limit=2)
    (sent,) = await claim(uow_factory, owner="c", limit=1)
    await mark_sent(uow_factory, sent.id)

    async with uow_factory() as uow:
        assert await uow.outbox.release("a") == 2
        assert await uow.outbox.release("a") == 0
        await uow.commit()
    released = await claim(uow_factory, owner="d")
    assert ids(released) == added[:2]
    assert all(delivery.uncertain for delivery in released)  # they may have been in flight

    async with uow_factory() as uow:
        assert await uow.outbox.release(None) == 4
        await uow.commit()
    assert ids(await claim(uow_factory, owner="e")) == added[:4]


async def test_mark_sent_and_give_up_finish_a_message(uow_factory: UnitOfWorkFactory) -> None:
    sent, dead, skipped = await add(uow_factory, direct("U1"), direct("U2"), direct("U3"))
    await claim(uow_factory)

    await mark_sent(uow_factory, sent)
    await give_up(uow_factory, dead, DeliveryStatus.DEAD)
    await give_up(uow_factory, skipped, DeliveryStatus.SKIPPED)

    assert [await status(uow_factory, i) for i in (sent, dead, skipped)] == [
        DeliveryStatus.SENT,
        DeliveryStatus.DEAD,
        DeliveryStatus.SKIPPED,
    ]
    assert await claim(uow_factory, T0 + timedelta(hours=1)) == []
    async with uow_factory() as uow:
        assert await uow.outbox.release(None) == 0  # finishing let go of the leases
    assert await stats(uow_factory) == OutboxStats(0, 0, 1, None)


async def test_post_state_is_the_state_of_the_flags_latest_escalation_post(
    uow_factory: UnitOfWorkFactory,
) -> None:
    unrelated_post = Outgoing(OutgoingKind.POST, "slack", WORKSPACE, Message("x"), "x", "C1")
    await add(
        uow_factory,
        Outgoing.on_flag_post(OutgoingKind.REPLY, channel("C1"), 7, Message("line")),
        Outgoing(OutgoingKind.POST, "slack", WORKSPACE, Message("x"), "x", "C2", flag_id=7),
        unrelated_post,
    )
    async with uow_factory() as uow:
        assert await uow.outbox.post_state(7) is None  # no post that becomes the flag's
        assert await uow.outbox.post_state(8) is None

    (first,) = await add(uow_factory, post("C-ESC", flag_id=7))
    async with uow_factory() as uow:
        assert await uow.outbox.post_state(7) is DeliveryStatus.PENDING
    await give_up(uow_factory, first, DeliveryStatus.DEAD)
    async with uow_factory() as uow:
        assert await uow.outbox.post_state(7) is DeliveryStatus.DEAD

    (second,) = await add(uow_factory, post("C-ESC", flag_id=7))  # recorded again
    await mark_sent(uow_factory, second)
    async with uow_factory() as uow:
        assert await uow.outbox.post_state(7) is DeliveryStatus.SENT
        assert await uow.outbox.post_state(8) is None


async def test_stats_count_pending_due_heads_and_dead(uow_factory: UnitOfWorkFactory) -> None:
    assert await stats(uow_factory) == OutboxStats(0, 0, 0, None)
    (sent,) = await add(uow_factory, direct("U0"), at=T0 - timedelta(hours=1))
    await mark_sent(uow_factory, sent)
    head, _behind = await add(uow_factory, direct("U1"), direct("U1", "second"))
    (_waiting,) = await add(uow_factory, direct("U2"), at=T0 + timedelta(seconds=1))
    (retrying,) = await add(uow_factory, direct("U3"), at=T0 + timedelta(seconds=2))
    (dead,) = await add(uow_factory, direct("U4"))
    await retry_later(uow_factory, retrying, T0 + timedelta(minutes=5))
    await give_up(uow_factory, dead, DeliveryStatus.DEAD)

    now = T0 + timedelta(seconds=3)
    # Due: the head of U1 and U2's message; not U1's second, not the retry, not the dead.
    assert await stats(uow_factory, now) == OutboxStats(
        pending=4, due=2, dead=1, oldest_pending_at=T0
    )
    await mark_sent(uow_factory, head)
    assert await stats(uow_factory, now) == OutboxStats(3, 2, 1, T0)
    assert (await stats(uow_factory, T0 + timedelta(minutes=5))).due == 3


async def test_list_stuck_lists_pending_then_dead_oldest_first(
    uow_factory: UnitOfWorkFactory,
) -> None:
    dead_old, sent, pending_old = await add(
        uow_factory, direct("U1", flag_id=5), direct("U2"), post("C1", "escalation post")
    )
    (skipped,) = await add(uow_factory, direct("U3"))
    dead_new, pending_new = await add(
        uow_factory, direct("U4"), direct("U5"), at=T0 + timedelta(minutes=1)
    )
    await mark_sent(uow_factory, sent)
    await give_up(uow_factory, skipped, DeliveryStatus.SKIPPED)
    for dead in (dead_old, dead_new):
        await give_up(uow_factory, dead, DeliveryStatus.DEAD)
    await retry_later(uow_factory, pending_old, T0 + timedelta(minutes=3), error="timeout")

    async with uow_factory() as uow:
        stuck = await uow.outbox.list_stuck(10)
        assert [s.id for s in await uow.outbox.list_stuck(3)] == [s.id for s in stuck[:3]]

    assert [s.id for s in stuck] == [pending_old, pending_new, dead_old, dead_new]
    first, _, dead_first, _ = stuck
    assert (first.platform, first.purpose, first.status, first.attempts) == (
        "slack",
        "escalation post",
        DeliveryStatus.PENDING,
        1,
    )
    assert (first.created_at, first.next_attempt_at, first.last_error, first.flag_id) == (
        T0,
        T0 + timedelta(minutes=3),
        "timeout",
        None,
    )
    assert (dead_first.status, dead_first.last_error, dead_first.flag_id) == (
        DeliveryStatus.DEAD,
        "channel_not_found",
        5,
    )


async def test_retry_now_makes_given_up_or_waiting_messages_due_again(
    uow_factory: UnitOfWorkFactory,
) -> None:
    dead_one, dead_two, waiting, sent, skipped = await add(
        uow_factory, *(direct(f"U{n}") for n in range(5))
    )
    await claim(uow_factory)
    for dead in (dead_one, dead_two):
        await retry_later(uow_factory, dead, T0)
        await give_up(uow_factory, dead, DeliveryStatus.DEAD)
    await retry_later(uow_factory, waiting, T0 + timedelta(hours=1))
    await mark_sent(uow_factory, sent)
    await give_up(uow_factory, skipped, DeliveryStatus.SKIPPED)
    now = T0 + timedelta(minutes=10)

    async with uow_factory() as uow:
        # Sent and skipped messages are not retried, even when named.
        assert await uow.outbox.retry_now([dead_one, waiting, sent, skipped], now) == 2
        await uow.commit()
    assert await status(uow_factory, sent) is DeliveryStatus.SENT
    assert await status(uow_factory, skipped) is DeliveryStatus.SKIPPED
    retried = await claim(uow_factory, now)
    assert ids(retried) == [dead_one, waiting]
    assert [delivery.attempts for delivery in retried] == [0, 0]  # a fresh set of attempts

    async with uow_factory() as uow:
        assert await uow.outbox.retry_now(None, now) == 1  # every dead one: dead_two
        await uow.commit()
    assert ids(await claim(uow_factory, now)) == [dead_two]
    assert await stats(uow_factory, now) == OutboxStats(3, 3, 0, T0)


async def given_up_post(uow_factory: UnitOfWorkFactory) -> int:
    """A Slack post claimed, begun (so uncertain) and then given up: its id."""
    (message_id,) = await add(uow_factory, post("C1", flag_id=1))
    await claim(uow_factory)
    async with uow_factory() as uow:
        await uow.outbox.mark_begun(message_id)
        await uow.commit()
    await give_up(uow_factory, message_id, DeliveryStatus.DEAD)
    return message_id


async def test_a_message_the_admin_retries_is_no_longer_uncertain(
    uow_factory: UnitOfWorkFactory,
) -> None:
    message_id = await given_up_post(uow_factory)

    async with uow_factory() as uow:
        assert await uow.outbox.retry_now([message_id], T0) == 1
        await uow.commit()

    (retried,) = await claim(uow_factory)
    assert not retried.uncertain


async def test_purge_forgets_sent_and_skipped_messages_finished_before_the_cut_off(
    uow_factory: UnitOfWorkFactory,
) -> None:
    old_sent, old_skipped, old_dead, recent_sent, pending = await add(
        uow_factory, *(direct(f"U{n}") for n in range(5))
    )
    await mark_sent(uow_factory, old_sent, at=T0 + timedelta(minutes=1))
    await give_up(uow_factory, old_skipped, DeliveryStatus.SKIPPED, T0 + timedelta(minutes=1))
    await give_up(uow_factory, old_dead, DeliveryStatus.DEAD, T0 + timedelta(minutes=1))
    await mark_sent(uow_factory, recent_sent, at=T0 + timedelta(minutes=10))

    async with uow_factory() as uow:
        assert await uow.outbox.purge_finished_before(T0 + timedelta(minutes=5)) == 2
        await uow.commit()

    assert await status(uow_factory, old_sent) is None
    assert await status(uow_factory, old_skipped) is None
    assert await status(uow_factory, old_dead) is DeliveryStatus.DEAD  # kept for the admin
    assert await status(uow_factory, recent_sent) is DeliveryStatus.SENT
    assert await status(uow_factory, pending) is DeliveryStatus.PENDING


async def test_waiting_post_updates_are_superseded_by_a_newer_one(
    uow_factory: UnitOfWorkFactory,
) -> None:
    def update(text: str, flag_id: int = 7) -> Outgoing:
        return Outgoing.on_flag_post(OutgoingKind.UPDATE, channel("C-ESC"), flag_id, Message(text))

    line = Outgoing.on_flag_post(OutgoingKind.REPLY, channel("C-ESC"), 7, Message("line"))
    first, reply, second, other = await add(
        uow_factory, update("2 affected"), line, update("3 affected"), update("x", flag_id=8)
    )
    async with uow_factory() as uow:
        assert await uow.outbox.supersede_updates(update("").order_key, T0) == 2
        await uow.outbox.record(update("4 affected"), T0)
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.outbox.get_status(first) is DeliveryStatus.SKIPPED
        assert await uow.outbox.get_status(second) is DeliveryStatus.SKIPPED
        assert await uow.outbox.get_status(reply) is DeliveryStatus.PENDING
        assert await uow.outbox.get_status(other) is DeliveryStatus.PENDING
    # The thread line, then the newest update: nothing else about flag 7 is sent.
    batch = await claim(uow_factory)
    texts = [d.outgoing.message.text for d in batch]
    assert "line" in texts and "2 affected" not in texts and "3 affected" not in texts


async def test_where_history_can_be_searched_a_retried_message_is_looked_for_first(
    uow_factory: UnitOfWorkFactory,
) -> None:
    message_id = await given_up_post(uow_factory)

    async with uow_factory() as uow:
        assert await uow.outbox.retry_now([message_id], T0, searchable=("slack",)) == 1
        await uow.commit()

    (retried,) = await claim(uow_factory)
    assert retried.outgoing.platform == "slack" and retried.uncertain


async def test_a_post_is_uncertain_once_its_send_begins_not_once_it_is_claimed(
    uow_factory: UnitOfWorkFactory,
) -> None:
    """A post that cannot be looked up is given up when uncertain: one that only waited for
    its turn when its replica died never left, and is posted by the next one."""
    waited, began = await add(uow_factory, post("C1", flag_id=1), post("C2", flag_id=2))
    await claim(uow_factory, owner="dies", limit=2)
    async with uow_factory() as uow:
        await uow.outbox.mark_begun(began)
        await uow.commit()

    later = T0 + LEASE + timedelta(seconds=1)
    retaken = {d.id: d.uncertain for d in await claim(uow_factory, later, owner="survivor")}
    assert retaken == {waited: False, began: True}


async def test_a_release_clears_the_doubt_of_messages_whose_attempt_never_began(
    uow_factory: UnitOfWorkFactory,
) -> None:
    never_begun, in_flight = await add(uow_factory, direct("U1"), direct("U2"))
    await claim(uow_factory, owner="a", limit=2)  # a claim makes both uncertain

    async with uow_factory() as uow:
        assert await uow.outbox.release("a", unsent=[never_begun]) == 2
        await uow.commit()
    reclaimed = {d.id: d.uncertain for d in await claim(uow_factory, owner="b")}
    assert reclaimed == {never_begun: False, in_flight: True}


async def test_given_up_messages_are_counted_by_platform(uow_factory: UnitOfWorkFactory) -> None:
    teams_dm = Outgoing.direct(
        Person("teams", "T-teams", "29:1"), Message("x"), purpose="x", flag_id=None
    )
    slack_one, slack_two, teams_one, _still_pending = await add(
        uow_factory, direct("U1"), direct("U2"), teams_dm, direct("U3")
    )
    await claim(uow_factory, limit=10)
    for dead in (slack_one, slack_two, teams_one):
        await give_up(uow_factory, dead, DeliveryStatus.DEAD)
    async with uow_factory() as uow:
        assert await uow.outbox.dead_by_platform() == {"slack": 2, "teams": 1}


async def test_a_stuck_message_names_its_flag_by_number(
    database_uow_factory: UnitOfWorkFactory,
) -> None:
    async with database_uow_factory() as uow:
        flag = await uow.flags.add(make_flag(12))
        await uow.commit()
    (message_id,) = await add(database_uow_factory, post("C1", flag_id=flag.id))
    async with database_uow_factory() as uow:
        (stuck,) = await uow.outbox.list_stuck(10)
    assert (stuck.id, stuck.flag_id, stuck.flag_number) == (message_id, flag.id, 12)
