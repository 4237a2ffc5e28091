"""The silence clocks: deadlines in business time, reminders, the nudge ladder, exactly once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.actions import ActionId
from bot.config.models import FrontlineConfig
from bot.due import run_due_work
from bot.flags.models import EventKind, Flag
from bot.silence.wording import due_words
from tests.bot.conftest import World, make_world

MONDAY_9 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def config(**overrides: object) -> FrontlineConfig:
    return FrontlineConfig.model_validate(
        {
            "channels": {"slack": {"escalations": "C-esc", "triage": "C-triage"}},
            "managers": {"slack": {"group": "S0MGR", "on_duty": ["maria", "dev"]}},
            "severities": {"high": {"max_nudges": 2}, "normal": {"max_nudges": 1}},
            **overrides,
        }
    )


def at(world: World, when: datetime) -> None:
    world.clock.set(when)


async def stored(world: World, number: int) -> Flag:
    async with world.core.uow() as uow:
        flag = await uow.flags.get("T1", number)
    assert flag is not None
    return flag


async def events(world: World, number: int) -> list[tuple[EventKind, str]]:
    flag = await stored(world, number)
    assert flag.id is not None
    async with world.core.uow() as uow:
        return [(e.kind, e.detail) for e in await uow.timeline.list_for(flag.id)]


def replies(world: World) -> list[str]:
    return [s.message.text for s in world.chat.of_kind("reply")]


def dms(world: World) -> list[tuple[str, str]]:
    return [(s.person.user_id, s.message.text) for s in world.chat.of_kind("dm") if s.person]


async def test_an_unacknowledged_escalation_climbs_the_ladder_once_per_step() -> None:
    world = make_world(config())
    await world.flag("ana", "escalate checkout down sev:high")  # 24/7, ack within 15m
    posts_before = len(world.chat.of_kind("update"))

    at(world, MONDAY_9 + timedelta(minutes=14))
    await run_due_work(world.core)
    assert replies(world) == []

    at(world, MONDAY_9 + timedelta(minutes=15))
    await run_due_work(world.core)
    await run_due_work(world.core)  # a second sweep at the same moment sends nothing more
    assert len(replies(world)) == 1
    nudge = world.chat.of_kind("reply")[0].message
    assert nudge.text.startswith("⏰ <!subteam^S0MGR> *F-1* is still waiting for a manager")
    assert "(nudge 1 of 2)" in nudge.text
    assert [b.action_id for b in nudge.buttons] == [ActionId.ACKNOWLEDGE]
    # The post says it is overdue, updated in place.
    update = world.chat.of_kind("update")[posts_before:][-1].message
    assert any("overdue since" in f.value for f in update.fields)

    at(world, MONDAY_9 + timedelta(minutes=30))
    await run_due_work(world.core)
    assert len(replies(world)) == 2 and "(nudge 2 of 2)" in replies(world)[1]
    at(world, MONDAY_9 + timedelta(minutes=45))
    await run_due_work(world.core)
    assert sorted(user for user, _ in dms(world)) == ["dev", "maria"]
    assert all("*F-1* (checkout down) is still waiting for a manager" in t for _, t in dms(world))
    # The post is one click away (its permalink, looked up when the DM is sent).
    assert all("It is in <https://chat.example/C-esc/" in t for _, t in dms(world))
    at(world, MONDAY_9 + timedelta(minutes=60))
    await run_due_work(world.core)
    at(world, MONDAY_9 + timedelta(hours=5))
    await run_due_work(world.core)
    assert len(dms(world)) == 4  # two rounds of DMs to two managers, then the ladder ends
    assert (await stored(world, 1)).alarm_at is None

    kinds = [kind for kind, _ in await events(world, 1)]
    assert kinds.count(EventKind.ACK_OVERDUE) == 1
    nudges = [detail for kind, detail in await events(world, 1) if kind is EventKind.NUDGED]
    assert nudges[0] == "for the acknowledgement, mentioned <!subteam^S0MGR> in the thread (1 of 2)"
    assert nudges[-1].startswith("for the acknowledgement, direct message to the on-duty managers")
    assert len(nudges) == 4


async def test_acknowledging_stops_the_ladder() -> None:
    world = make_world(config())
    await world.flag("ana", "escalate checkout down sev:high")
    at(world, MONDAY_9 + timedelta(minutes=15))
    await run_due_work(world.core)
    await world.press("maria", ActionId.ACKNOWLEDGE, "1")
    sent = len(world.chat.sent)
    at(world, MONDAY_9 + timedelta(hours=3))
    await run_due_work(world.core)
    assert len(world.chat.sent) == sent
    assert (await stored(world, 1)).alarm_at is None


async def test_a_missed_customer_update_reminds_the_owner_then_the_managers() -> None:
    world = make_world(config())
    await world.flag("ana", "escalate refunds stuck ZD-7")  # normal: update every 4h
    await world.press("maria", ActionId.ACKNOWLEDGE, "1")
    at(world, MONDAY_9 + timedelta(hours=3, minutes=59))
    await run_due_work(world.core)
    reminders = [t for t in replies(world) if t.startswith("⏰")]
    assert reminders == []

    at(world, MONDAY_9 + timedelta(hours=4))  # 13:00
    await run_due_work(world.core)
    reminder = world.chat.of_kind("reply")[-1].message
    assert reminder.text.startswith("⏰ <@maria> The customer on *F-1* (ZD-7) has not heard")
    assert "an update was due Mon 23 Nov 13:00" in reminder.text
    assert [b.action_id for b in reminder.buttons] == [
        ActionId.CUSTOMER_UPDATED,
        ActionId.SNOOZE,
    ]
    # Ignored: an hour later (normal's ack_within) the managers group, then the on-duty DMs.
    at(world, MONDAY_9 + timedelta(hours=5))
    await run_due_work(world.core)
    assert (
        "<!subteam^S0MGR> *F-1* has a customer (ZD-7) due an update since Mon 23 Nov 13:00 "
        "(promise: every 4h); its owner was reminded. Can someone help?"
    ) in replies(world)[-1]
    at(world, MONDAY_9 + timedelta(hours=6))
    await run_due_work(world.core)
    assert sorted(u for u, t in dms(world) if t.startswith("⏰")) == ["dev", "maria"]
    # A manager who updated the customer themselves settles it from the DM.
    to_managers = [s.message for s in world.chat.of_kind("dm") if s.message.text.startswith("⏰")]
    assert {tuple(b.action_id for b in m.buttons) for m in to_managers} == {
        (ActionId.CUSTOMER_UPDATED, ActionId.SNOOZE)
    }

    # The update stops the clock, and the silence is on the timeline (no person named in it).
    at(world, MONDAY_9 + timedelta(hours=6, minutes=30))
    await world.press("maria", ActionId.CUSTOMER_UPDATED, "1")
    flag = await stored(world, 1)
    assert flag.silent_since is None and flag.update_steps == 0
    assert (
        flag.update_next_at
        == flag.update_due_at
        == MONDAY_9 + timedelta(days=1, hours=2, minutes=30)
    )
    timeline = await events(world, 1)
    assert (EventKind.UPDATE_OVERDUE, "promise: every 4h (normal)") in timeline
    update_nudges = [d for k, d in timeline if k is EventKind.NUDGED and "customer update" in d]
    assert update_nudges[0] == "for the customer update, mentioned <!subteam^S0MGR> in the thread"
    assert (EventKind.CUSTOMER_UPDATED, "") in timeline
    [breach] = world.store.store.committed.breaches  # for the flow digest: no person in it
    assert breach.started_at == MONDAY_9 + timedelta(hours=4)
    assert breach.ended_at == MONDAY_9 + timedelta(hours=6, minutes=30)


async def test_business_hours_friday_afternoon_is_due_monday_and_nothing_fires_at_night() -> None:
    friday = datetime(2026, 11, 27, 16, 56, tzinfo=UTC)
    world = make_world(config())
    world.clock.set(friday)
    reply = await world.flag("ana", "escalate invoices wrong ZD-9")
    flag = await stored(world, 1)
    assert flag.update_due_at == datetime(2026, 11, 30, 12, 56, tzinfo=UTC)
    assert flag.ack_due_at == datetime(2026, 11, 30, 9, 56, tzinfo=UTC)
    assert "due an update by Mon 30 Nov 12:56 (every 4h, business hours)" in reply.message.text

    for hours in (1, 4, 12, 40, 60):
        world.clock.set(friday + timedelta(hours=hours))
        await run_due_work(world.core)
    assert not [t for t in replies(world) if t.startswith("⏰")]
    world.clock.set(datetime(2026, 11, 30, 9, 56, tzinfo=UTC))
    await run_due_work(world.core)
    assert replies(world)[-1].startswith("⏰ <!subteam^S0MGR> *F-1* is still waiting")


async def test_a_step_that_comes_due_after_hours_waits_for_the_morning_unmarked() -> None:
    world = make_world(config())
    world.clock.set(datetime(2026, 11, 23, 16, 0, tzinfo=UTC))
    await world.flag("ana", "escalate exports slow")  # normal: ack within 1h → 17:00
    world.clock.set(datetime(2026, 11, 23, 17, 30, tzinfo=UTC))  # the sweep comes late
    await run_due_work(world.core)
    assert replies(world) == []
    assert (await stored(world, 1)).ack_next_at == datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    world.clock.set(datetime(2026, 11, 24, 9, 0, 10, tzinfo=UTC))
    await run_due_work(world.core)
    assert len(replies(world)) == 1 and "while Frontline was down" not in replies(world)[0]


async def test_after_downtime_each_due_step_is_sent_once_marked_late_never_a_burst() -> None:
    world = make_world(config())
    await world.flag("ana", "escalate checkout down sev:high")  # ack due 09:15, 24/7
    world.clock.set(MONDAY_9 + timedelta(hours=3))  # the server was down until noon
    await run_due_work(world.core)
    assert len(replies(world)) == 1 and dms(world) == []
    assert "_This was due at Mon 23 Nov 09:15, while Frontline was down._" in replies(world)[0]
    assert (await stored(world, 1)).ack_next_at == MONDAY_9 + timedelta(hours=3, minutes=15)
    assert any("late, due Mon 23 Nov 09:15" in d for _, d in await events(world, 1))


async def test_one_person_with_several_overdue_flags_gets_one_grouped_reminder() -> None:
    world = make_world(config())
    for n in (1, 2, 3):
        await world.flag("ana", f"escalate account {n} locked ZD-{n}")
        await world.press("maria", ActionId.ACKNOWLEDGE, str(n))
    before = len(replies(world))
    world.clock.set(MONDAY_9 + timedelta(hours=4))
    await run_due_work(world.core)
    assert len(replies(world)) == before  # no thread reminders: one DM instead
    to_maria = [t for user, t in dms(world) if user == "maria"]
    assert len(to_maria) == 1
    assert to_maria[0].startswith("⏰ 3 customers are waiting for an update from you:")
    assert to_maria[0].endswith(
        "Update each one, then press that flag's *Customer updated* (or `/flag update F-1`, "
        "and so on)."
    )
    buttons = world.chat.of_kind("dm")[-1].message.buttons
    assert [b.label for b in buttons][:2] == ["F-1: Customer updated", "F-1: Snooze 1h"]
    assert len(buttons) == 6
    for n in (1, 2, 3):
        reminded = [d for k, d in await events(world, n) if k is EventKind.REMINDED]
        assert reminded == ["<@maria>, by direct message with 2 other flags"]
    for hours in (5, 6):  # a thread nudge each, then the managers, one message for the three
        world.clock.set(MONDAY_9 + timedelta(hours=hours))
        await run_due_work(world.core)
    [to_dev] = [t for user, t in dms(world) if user == "dev"]
    assert to_dev.splitlines()[0] == "⏰ 3 flags need a manager:"
    assert to_dev.splitlines()[1] == (
        "• *F-1* (account 1 locked) has a customer (ZD-1) due an update since Mon 23 Nov 13:00 "
        "(promise: every 4h); its owner was reminded"
    )
    assert to_dev.splitlines()[-1] == "Each one's timeline: `/flag show F-1`, and so on."
    [dev_message] = [
        s.message for s in world.chat.of_kind("dm") if s.person and s.person.user_id == "dev"
    ]
    assert [b.label for b in dev_message.buttons][::2] == [
        "F-1: Customer updated",
        "F-2: Customer updated",
        "F-3: Customer updated",
    ]


async def test_snooze_holds_reminders_until_it_ends_and_says_when_they_resume() -> None:
    world = make_world(config())
    await world.flag("ana", "escalate refunds stuck ZD-7")  # update due 13:00
    await world.press("maria", ActionId.ACKNOWLEDGE, "1")
    world.clock.set(MONDAY_9 + timedelta(hours=3))  # 12:00
    reply = await world.flag("maria", "snooze F-1 3h")
    assert reply.message.text == "*F-1* snoozed until Mon 23 Nov 15:00; reminders resume then."
    world.clock.set(MONDAY_9 + timedelta(hours=4))
    await run_due_work(world.core)
    assert not [t for t in replies(world) if t.startswith("⏰")]
    world.clock.set(MONDAY_9 + timedelta(hours=6))
    await run_due_work(world.core)
    assert replies(world)[-1].startswith("⏰ <@maria> The customer on *F-1*")


async def test_whoever_acknowledges_an_overdue_flag_is_reminded_before_the_managers() -> None:
    world = make_world(config())
    await world.flag("ana", "escalate refunds stuck ZD-7")  # update due 13:00
    world.clock.set(MONDAY_9 + timedelta(hours=4, minutes=1))
    await run_due_work(world.core)
    assert replies(world)[-1].startswith("⏰ <@ana> The customer on *F-1*")  # the reporter
    await world.press("maria", ActionId.ACKNOWLEDGE, "1")
    world.clock.set(MONDAY_9 + timedelta(hours=6))  # the next step
    await run_due_work(world.core)
    assert replies(world)[-1].startswith("⏰ <@maria> The customer on *F-1*")  # the new owner
    kinds = [kind for kind, _ in await events(world, 1)]
    assert kinds.count(EventKind.UPDATE_OVERDUE) == 1


async def test_a_snooze_ending_on_an_overdue_update_marks_it_overdue_once() -> None:
    world = make_world(config())
    await world.flag("ana", "escalate refunds stuck ZD-7")  # update due 13:00
    await world.press("maria", ActionId.ACKNOWLEDGE, "1")
    world.clock.set(MONDAY_9 + timedelta(hours=4, minutes=5))  # overdue, reminded
    await run_due_work(world.core)
    await world.flag("maria", "snooze F-1 30m")
    world.clock.set(MONDAY_9 + timedelta(hours=4, minutes=40))  # the snooze has ended
    await run_due_work(world.core)
    kinds = [kind for kind, _ in await events(world, 1)]
    assert kinds.count(EventKind.UPDATE_OVERDUE) == 1
    assert kinds.count(EventKind.REMINDED) == 2  # reminded again when the snooze ended


async def test_a_snooze_that_ends_before_the_deadline_says_nothing_changes() -> None:
    world = make_world(config())
    await world.flag("ana", "escalate refunds stuck ZD-7")  # update due 13:00
    reply = await world.flag("ana", "snooze F-1 1h")
    assert "Its next customer update is due Mon 23 Nov 13:00 anyway" in reply.message.text
    assert "Nudges to acknowledge it go on until a manager does." in reply.message.text
    [line] = [r.message.text for r in world.chat.of_kind("reply") if "Snoozed" in r.message.text]
    assert line.endswith("the next customer update is due later anyway, so nothing is held.")


async def test_snoozing_past_the_next_business_day_says_so() -> None:
    world = make_world(config())
    world.clock.set(datetime(2026, 11, 27, 10, 0, tzinfo=UTC))  # Friday
    await world.flag("ana", "escalate refunds stuck ZD-7")
    reply = await world.flag("ana", "snooze F-1 4d")
    assert "That is past the next business day." in reply.message.text
    short = await world.flag("ana", "snooze F-1 2h")
    assert "past the next business day" not in short.message.text
    evening = await world.flag("ana", "snooze F-1 8h")
    assert evening.message.text.startswith(
        "*F-1* snoozed until Fri 27 Nov 18:00; reminders resume Mon 30 Nov 09:00, in business "
        "hours."
    )


async def test_a_flag_whose_post_was_never_delivered_reminds_by_direct_message() -> None:
    world = make_world(config())
    world.chat.refuse = "channel_not_found"  # the escalation post is given up
    await world.flag("ana", "escalate refunds stuck ZD-7")
    world.chat.refuse = None
    world.clock.set(MONDAY_9 + timedelta(hours=4))
    await run_due_work(world.core)
    reminders = [t for user, t in dms(world) if user == "ana" and t.startswith("⏰")]
    assert len(reminders) == 1 and "The customer on *F-1* (ZD-7)" in reminders[0]
    assert not [t for t in replies(world) if t.startswith("⏰")]


def test_an_update_that_has_just_fallen_due_reads_under_a_minute_overdue() -> None:
    due = MONDAY_9 + timedelta(hours=4)
    assert due_words(due, due, UTC) == "*overdue by under a minute*"
    assert due_words(due, due + timedelta(minutes=25), UTC) == "*overdue by 25 min*"
    assert due_words(due, due - timedelta(hours=1), UTC) == "due Mon 23 Nov 13:00"


async def test_a_nudge_held_up_by_an_outage_is_dropped_once_the_flag_is_acknowledged() -> None:
    world = make_world(config())
    await world.flag("ana", "escalate checkout down sev:high")  # ack within 15m, 24/7
    world.chat.down = True
    at(world, MONDAY_9 + timedelta(minutes=15))
    await run_due_work(world.core)  # the thread nudge waits for the platform
    assert not [t for t in replies(world) if t.startswith("⏰")]

    world.chat.down = False
    await world.press("maria", ActionId.ACKNOWLEDGE, "1")
    at(world, MONDAY_9 + timedelta(minutes=20))
    await world.store.store.run_after_commit()  # what the outbox holds is delivered
    # The platform is back, the flag is acknowledged: nobody is told it is still waiting.
    assert not [t for t in replies(world) if t.startswith("⏰")]
    assert any(t.startswith("✅ Acknowledged by") for t in replies(world))
