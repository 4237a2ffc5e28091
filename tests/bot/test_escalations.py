"""Escalation flow in the core: post, acknowledge three ways, idempotency, resolve."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot import dispatch
from bot.actions import ActionId
from bot.config.models import FrontlineConfig
from bot.errors import FlagNotFound, InvalidState, NotAllowed, UsageError
from bot.flags.models import EventKind, FlagStatus
from bot.messages import Conversation, Person, Where
from tests.bot.conftest import WS, World, make_world, person, where


async def events(world: World, number: int) -> list[EventKind]:
    async with world.core.uow() as uow:
        flag = await uow.flags.get(WS, number)
        assert flag is not None and flag.id is not None
        return [e.kind for e in await uow.timeline.list_for(flag.id)]


async def stored(world: World, number: int):  # type: ignore[no-untyped-def]
    async with world.core.uow() as uow:
        return await uow.flags.get(WS, number)


async def test_escalate_posts_in_the_escalation_channel_and_confirms(world: World) -> None:
    reply = await world.flag("ana", "escalate checkout fails for all EU cards ZD-9912 sev:high")
    answer = await world.answer("ana", reply)
    assert "F-1" in answer
    # Delivered after the post, with a link to it.
    assert "<https://chat.example/C-esc/m1|the escalation post>" in answer
    [post] = world.chat.of_kind("post")
    assert post.conversation == Conversation("slack", WS, "C-esc")
    assert "checkout fails for all EU cards" in post.message.text
    fields = {f.label: f.value for f in post.message.fields}
    assert fields["Reporter"] == "<@ana>"
    assert fields["Customer"] == "ZD-9912"
    assert "high" in fields["Severity"]
    assert "Waiting for acknowledgement" in fields["Status"]
    # rendered live by Slack ("… 6 minutes ago"), as a fixed time elsewhere
    assert fields["Raised"] == (
        "<!date^1795424400^{date_short_pretty} {time} ({ago})|Mon 23 Nov 09:00>"
    )
    assert [b.label for b in post.message.buttons] == [
        "Acknowledge",
        "Customer updated",
        "Snooze 1h",
        "Resolve",
    ]
    assert post.message.footer == (
        "To acknowledge: press *Acknowledge*, reply `ack` or `on it`, or react ✅. "
        "Timeline: `/flag show F-1`"
    )
    flag = await stored(world, 1)
    assert flag.post is not None and flag.post.message_id == "m1"
    # high severity: update every hour (the default policy)
    assert flag.update_due_at == world.clock.now() + timedelta(hours=1)
    assert await events(world, 1) == [EventKind.FLAGGED, EventKind.POSTED]


async def test_ticket_refs_link_through_the_template() -> None:
    world = make_world(
        FrontlineConfig.model_validate(
            {
                "channels": {"slack": {"escalations": "C-esc"}},
                "tickets": {"url_template": "https://acme.zendesk.com/agent/tickets/{number}"},
            }
        )
    )
    await world.flag("ana", "escalate refund stuck ZD-9912")
    [post] = world.chat.of_kind("post")
    fields = {f.label: f.value for f in post.message.fields}
    assert fields["Customer"] == "<https://acme.zendesk.com/agent/tickets/9912|ZD-9912>"


async def test_button_ack_updates_post_threads_a_line_and_tells_reporter(world: World) -> None:
    await world.flag("ana", "escalate payments down ZD-1")
    world.clock.advance(timedelta(minutes=6))
    reply = await world.press("maria", ActionId.ACKNOWLEDGE, "1")
    assert "You own *F-1*" in reply.message.text
    [update] = world.chat.of_kind("update")
    assert update.ref is not None and update.ref.message_id == "m1"
    status = {f.label: f.value for f in update.message.fields}["Status"]
    assert status == "✅ Acknowledged by <@maria> after 6 min"
    assert "Acknowledge" not in [b.label for b in update.message.buttons]
    [line] = world.chat.of_kind("reply")
    assert line.ref is not None and line.ref.thread_id == "m1"
    assert line.message.text == "✅ Acknowledged by <@maria> after 6 min."
    [dm] = world.chat.of_kind("dm")
    assert dm.person is not None and dm.person.user_id == "ana"
    assert "acknowledged by <@maria> after 6 min" in dm.message.text
    flag = await stored(world, 1)
    assert flag.status is FlagStatus.ACKNOWLEDGED
    assert flag.acknowledged_by.user_id == "maria"


async def test_second_ack_is_recorded_but_first_acknowledger_stays_owner(world: World) -> None:
    await world.flag("ana", "escalate payments down")
    await world.press("maria", ActionId.ACKNOWLEDGE, "1")
    sent_before = len(world.chat.sent)
    reply = await world.press("tom", ActionId.ACKNOWLEDGE, "1")
    assert "already acknowledged by <@maria>" in reply.message.text
    assert len(world.chat.sent) == sent_before  # no second update, thread line or DM
    flag = await stored(world, 1)
    assert flag.acknowledged_by.user_id == "maria"
    assert (await events(world, 1)).count(EventKind.ACK_REPEATED) == 1
    # the owner pressing again (a double click) records nothing more
    again = await world.press("maria", ActionId.ACKNOWLEDGE, "1")
    assert "already own" in again.message.text
    assert (await events(world, 1)).count(EventKind.ACK_REPEATED) == 1


@pytest.mark.parametrize(
    ("text", "acks"),
    [
        ("ack", True),
        ("On it", True),
        ("mine!", True),
        ("on it, checking the gateway", True),
        ("<@UBOT> ack", True),
        ("acknowledged later maybe", False),
        ("not mine", False),
        ("looking", False),
    ],
)
async def test_thread_reply_acks_only_with_ack_words(world: World, text: str, acks: bool) -> None:
    await world.flag("ana", "escalate payments down")
    thread = Where(Conversation("slack", WS, "C-esc"), "m1", "m9")
    reply = await dispatch.handle_thread_reply(
        world.core, actor=person("maria"), where=thread, text=text
    )
    assert (reply is not None) is acks
    flag = await stored(world, 1)
    assert (flag.acknowledged_by is not None) is acks
    if acks:
        assert "via reply" in str(await _details(world, 1))


async def _details(world: World, number: int) -> list[str]:
    async with world.core.uow() as uow:
        flag = await uow.flags.get(WS, number)
        return [e.detail for e in await uow.timeline.list_for(flag.id)]  # type: ignore[union-attr,arg-type]


async def test_reply_in_an_unrelated_thread_is_ignored(world: World) -> None:
    await world.flag("ana", "escalate payments down")
    elsewhere = Where(Conversation("slack", WS, "C-random"), "m1")
    reply = await dispatch.handle_thread_reply(
        world.core, actor=person("maria"), where=elsewhere, text="ack"
    )
    assert reply is None
    assert (await stored(world, 1)).acknowledged_by is None


@pytest.mark.parametrize(
    ("emoji", "acks"), [("white_check_mark", True), (":eyes:", True), ("tada", False)]
)
async def test_reaction_on_root_acks(world: World, emoji: str, acks: bool) -> None:
    await world.flag("ana", "escalate payments down")
    reply = await dispatch.handle_reaction(
        world.core,
        actor=person("maria"),
        conversation=Conversation("slack", WS, "C-esc"),
        message_id="m1",
        reaction=emoji,
    )
    assert (reply is not None) is acks
    assert ((await stored(world, 1)).acknowledged_by is not None) is acks


async def test_managers_only_policy_refuses_others() -> None:
    world = make_world(
        FrontlineConfig.model_validate(
            {
                "channels": {"slack": {"escalations": "C-esc"}},
                "acknowledgement": {"who": "managers"},
                "managers": {"slack": {"on_duty": ["maria"]}},
            }
        )
    )
    await world.flag("ana", "escalate payments down")
    with pytest.raises(NotAllowed):
        await world.press("tom", ActionId.ACKNOWLEDGE, "1")
    await world.press("maria", ActionId.ACKNOWLEDGE, "1")
    assert (await stored(world, 1)).acknowledged_by.user_id == "maria"


async def test_resolve_updates_post_stops_clock_and_tells_reporter(world: World) -> None:
    await world.flag("ana", "escalate payments down ZD-1")
    world.clock.advance(timedelta(hours=2))
    reply = await world.flag("maria", "resolve F-1 rolled back")
    assert reply.message.text == "*F-1* resolved. Its reporter has been told."
    update = world.chat.of_kind("update")[-1]
    status = {f.label: f.value for f in update.message.fields}["Status"]
    assert status == "✔️ Resolved by <@maria> after 2h: rolled back"
    assert update.message.buttons == ()
    assert world.chat.of_kind("reply")[-1].message.text == "✔️ Resolved by <@maria>: rolled back"
    assert world.chat.of_kind("dm")[-1].message.text == (
        "Your escalation *F-1* (payments down) was resolved by <@maria>: rolled back"
    )
    flag = await stored(world, 1)
    assert flag.status is FlagStatus.RESOLVED and flag.update_due_at is None
    with pytest.raises(InvalidState, match="already resolved by <@maria>"):
        await world.flag("ana", "resolve F-1")
    with pytest.raises(InvalidState):
        await world.press("tom", ActionId.ACKNOWLEDGE, "1")


async def test_reporter_resolving_own_flag_gets_no_dm(world: World) -> None:
    await world.flag("ana", "escalate payments down")
    reply = await world.flag("ana", "resolve F-1")
    assert reply.message.text == "*F-1* resolved."  # nobody else to tell
    assert world.chat.of_kind("reply")[-1].message.text == "✔️ Resolved by <@ana>."
    assert world.chat.of_kind("dm") == []


async def test_unknown_flag_id_changes_nothing(world: World) -> None:
    with pytest.raises(FlagNotFound, match="There is no flag F-12"):
        await world.flag("ana", "resolve F-12")
    with pytest.raises(FlagNotFound):
        await world.press("ana", ActionId.ACKNOWLEDGE, "12")
    assert world.chat.sent == []


async def test_customer_update_restarts_clock_and_snooze_holds_it(world: World) -> None:
    await world.flag("ana", "escalate payments down ZD-1")  # normal: update every 4h
    world.clock.advance(timedelta(hours=3))
    await world.press("maria", ActionId.CUSTOMER_UPDATED, "1")
    flag = await stored(world, 1)
    assert flag.last_customer_update_at == world.clock.now()
    assert flag.update_due_at == world.clock.now() + timedelta(hours=4)
    assert "Customer updated by <@maria>" in world.chat.of_kind("reply")[-1].message.text
    await world.flag("maria", "snooze F-1 1d")
    flag = await stored(world, 1)
    assert flag.snoozed_until == world.clock.now() + timedelta(days=1)
    # The promise stays as it was; the reminders wait for the end of the snooze.
    assert flag.update_due_at == world.clock.now() + timedelta(hours=4)
    assert flag.update_next_at == flag.snoozed_until
    assert (await events(world, 1))[-2:] == [EventKind.CUSTOMER_UPDATED, EventKind.SNOOZED]


async def test_refused_post_keeps_the_flag_and_says_why(world: World) -> None:
    world.chat.refuse = "not_in_channel"
    reply = await world.flag("ana", "escalate payments down")
    answer = await world.answer("ana", reply)
    assert "is recorded, but Frontline could not post it to the escalation channel" in answer
    flag = await stored(world, 1)
    assert flag is not None and flag.post is None
    assert await events(world, 1) == [EventKind.FLAGGED, EventKind.DELIVERY_FAILED]
    details = await _details(world, 1)
    assert "not_in_channel" in details[1] and "invite the bot" in details[1]


async def test_without_escalation_channel_the_flag_is_kept_and_the_fix_named() -> None:
    world = make_world(FrontlineConfig.model_validate({}))
    reply = await world.flag("ana", "escalate payments down")
    assert world.chat.of_kind("post") == []  # never posted where no manager looks
    assert reply.message.text == (
        "🚩 *F-1* is recorded, but posting it to the escalation channel failed, so no manager "
        "has seen it: tell one yourself, and tell your Frontline admin. `/flag show F-1` says why."
    )
    details = await _details(world, 1)
    assert "no escalation channel is configured for slack" in details[-1]
    assert "set channels.slack.escalations in frontline.yml" in details[-1]


async def test_flag_numbers_are_per_workspace(world: World) -> None:
    await world.flag("ana", "escalate a")
    await world.flag("ana", "recurring b")
    other = person("zed")
    other = type(other)("slack", "T2", "zed", "Zed")
    reply = await dispatch.handle_command(
        world.core, actor=other, where=Where(Conversation("slack", "T2", "C1")), text="recurring c"
    )
    assert "*F-1*" in reply.message.text


@pytest.mark.parametrize(
    "text",
    [
        "mine is broken too, same error for customer:acme",
        "Ack — can't take it, @tom?",
        "on it? who is on it",
        "ack that we need more info",
    ],
)
async def test_replies_that_merely_start_with_an_ack_word_do_not_acknowledge(
    world: World, text: str
) -> None:
    await world.flag("ana", "escalate payments down")
    thread = Where(Conversation("slack", WS, "C-esc"), "m1", "m9")
    reply = await dispatch.handle_thread_reply(
        world.core, actor=person("bob"), where=thread, text=text
    )
    assert reply is None
    assert (await stored(world, 1)).acknowledged_by is None
    assert world.chat.of_kind("update") == []


async def test_a_flag_is_only_reachable_from_its_own_platform(world: World) -> None:
    await world.flag("ana", "escalate payments down")
    intruder = Person("teams", WS, "mallory", "Mallory")
    with pytest.raises(FlagNotFound):
        await dispatch.handle_command(
            world.core,
            actor=intruder,
            where=Where(Conversation("teams", WS, "19:x")),
            text="resolve F-1 pwned",
        )
    with pytest.raises(FlagNotFound):
        await dispatch.handle_action(
            world.core, actor=intruder, action_id=ActionId.ACKNOWLEDGE, value="1"
        )
    assert (await stored(world, 1)).is_open


@pytest.mark.parametrize("value", ["99999999999999999999999", "-1", "1e3", "١٢", ""])
async def test_out_of_range_button_values_are_usage_errors(world: World, value: str) -> None:
    await world.flag("ana", "escalate payments down")
    with pytest.raises(UsageError):
        await world.press("maria", ActionId.ACKNOWLEDGE, value)


async def test_control_characters_in_names_are_cleaned_before_storing(world: World) -> None:
    odd = Person("slack", WS, "ana", "An\x00a\ud800\u200b")
    await dispatch.handle_command(world.core, actor=odd, where=where(), text="recurring x")
    async with world.core.uow() as uow:
        flag = await uow.flags.get(WS, 1)
    assert flag is not None and flag.reporter.display_name == "Ana"


async def test_resolving_can_be_narrowed_to_reporter_owner_and_managers() -> None:
    world = make_world(
        FrontlineConfig.model_validate(
            {
                "channels": {"slack": {"escalations": "C-esc"}},
                "acknowledgement": {"who": "managers"},
                "managers": {"slack": {"on_duty": ["maria"]}},
            }
        )
    )
    await world.flag("ana", "escalate payments down")
    with pytest.raises(NotAllowed, match="reporter, its owner or an on-duty manager"):
        await world.flag("tom", "resolve F-1")
    await world.flag("ana", "resolve F-1")
    assert not (await stored(world, 1)).is_open


async def test_the_owner_is_told_when_someone_else_resolves(world: World) -> None:
    await world.flag("ana", "escalate payments down")
    await world.press("maria", ActionId.ACKNOWLEDGE, "1")
    reply = await world.flag("ana", "resolve F-1 customer confirmed")
    assert reply.message.text == "*F-1* resolved. Its owner has been told."
    [dm] = [d for d in world.chat.of_kind("dm") if d.person and d.person.user_id == "maria"]
    assert dm.message.text == (
        "The escalation you own, *F-1* (payments down), was resolved by <@ana>: customer confirmed"
    )
    await world.flag("ana", "escalate login down")
    await world.press("maria", ActionId.ACKNOWLEDGE, "2")
    reply = await world.flag("tom", "resolve F-2")
    assert reply.message.text == "*F-2* resolved. Its reporter and owner have been told."


async def test_the_post_says_the_ways_to_acknowledge_as_configured() -> None:
    world = make_world(
        FrontlineConfig.model_validate(
            {
                "channels": {"slack": {"escalations": "C-esc"}},
                "acknowledgement": {"words": ["mine"], "reactions": ["eyes"]},
            }
        )
    )
    await world.flag("ana", "escalate payments down")
    [post] = world.chat.of_kind("post")
    assert post.message.footer is not None
    assert post.message.footer.startswith(
        "To acknowledge: press *Acknowledge*, reply `mine`, or react 👀."
    )


async def test_a_post_update_shows_the_flag_as_it_stands_when_delivered(world: World) -> None:
    await world.flag("ana", "escalate payments down ZD-1")
    drain = world.store.store.after_commit
    world.store.store.after_commit = None  # Slack is away: updates queue up in the outbox
    world.clock.advance(timedelta(minutes=6))
    await world.press("maria", ActionId.ACKNOWLEDGE, "1")
    world.clock.advance(timedelta(hours=1))
    await world.flag("maria", "resolve F-1 rolled back")
    assert world.chat.of_kind("update") == []
    assert drain is not None
    await drain()
    updates = world.chat.of_kind("update")
    assert updates, "the queued updates were delivered"
    for update in updates:  # none shows the stale "Acknowledged" state recorded first
        status = {f.label: f.value for f in update.message.fields}["Status"]
        assert status == "✔️ Resolved by <@maria> after 1h 6m: rolled back"
