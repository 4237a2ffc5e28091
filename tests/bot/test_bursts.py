"""Escalation bursts on the in-memory core: one post for one problem, acknowledged together."""

from __future__ import annotations

from datetime import timedelta

from bot.actions import ActionId
from bot.config.models import FrontlineConfig
from bot.flags.models import FlagStatus
from tests.bot.conftest import WS, World, make_world

BASE = {
    "channels": {"slack": {"escalations": "C-esc"}},
    "managers": {"slack": {"on_duty": ["maria"]}},
}


def burst_world(themes: dict | None = None) -> World:
    return make_world(FrontlineConfig.model_validate({**BASE, "themes": themes or {}}))


async def outage(world: World) -> None:
    await world.flag("ana", "escalate checkout fails for all EU cards ZD-1 sev:high")
    await world.flag("bob", "escalate EU card payments failing at checkout ZD-2")
    await world.flag("eve", "escalate checkout broken for european cards customer:globex")


async def test_an_outage_makes_one_post_with_a_thread_line_per_joined_flag() -> None:
    world = burst_world()
    await outage(world)
    [post] = world.chat.of_kind("post")
    assert "F-1" in post.message.text
    lines = [r.message.text for r in world.chat.of_kind("reply")]
    assert any("F-2" in line and "ZD-2" in line for line in lines)
    assert any("F-3" in line and "globex" in line for line in lines)
    assert "3 customers affected" in world.chat.of_kind("update")[-1].message.text
    answer = await world.answer(
        "eve", await world.flag("eve", "escalate EU cards fail at checkout")
    )
    assert "joined *F-1*" in answer and "4 customers affected" in answer
    assert "the same problem escalated just now" in answer


async def test_acknowledging_the_post_acknowledges_every_joined_flag_and_tells_each_reporter() -> (
    None
):
    world = burst_world()
    await outage(world)
    await world.press("maria", ActionId.ACKNOWLEDGE, "1")
    async with world.core.uow() as uow:
        flags = [await uow.flags.get(WS, n) for n in (1, 2, 3)]
    assert all(
        f is not None and f.acknowledged_by and f.acknowledged_by.user_id == "maria" for f in flags
    )
    told = {dm.person.user_id: dm.message.text for dm in world.chat.of_kind("dm") if dm.person}
    assert set(told) == {"ana", "bob", "eve"}
    assert told["bob"].endswith(
        "was acknowledged by <@maria> with *F-1*, the same problem, within a minute of you "
        "raising it."
    )
    # Each keeps its own customer and update clock.
    assert flags[1] is not None and flags[1].update_due_at is not None
    assert flags[1].customer_refs != flags[0].customer_refs  # type: ignore[union-attr]
    # A flag that joins after the acknowledgement is owned at once.
    await world.flag("tom", "escalate checkout broken for european cards at acme")
    async with world.core.uow() as uow:
        late = await uow.flags.get(WS, 4)
    assert (
        late is not None
        and late.acknowledged_by is not None
        and late.status is FlagStatus.ACKNOWLEDGED
    )


async def test_another_problem_a_more_urgent_one_or_an_old_one_gets_its_own_post() -> None:
    world = burst_world()
    await world.flag("ana", "escalate checkout fails for all EU cards ZD-1")
    await world.flag("bob", "escalate login page is down for everyone ZD-9")
    await world.flag("eve", "escalate EU card payments failing at checkout sev:high")
    world.clock.advance(timedelta(minutes=31))
    await world.flag("tom", "escalate checkout broken for european cards")
    assert len(world.chat.of_kind("post")) == 4


async def test_bursts_can_be_turned_off() -> None:
    world = burst_world({"coalesce_within": "off"})
    await outage(world)
    assert len(world.chat.of_kind("post")) == 3


async def test_the_acknowledger_is_told_truly_who_was_told() -> None:
    world = burst_world()
    await world.flag("ana", "escalate printer on fire ZD-1")
    own = await world.press("ana", ActionId.ACKNOWLEDGE, "1")
    assert own.message.text == "You own *F-1* now."  # nobody else to tell
    await outage(world)
    reply = await world.press("maria", ActionId.ACKNOWLEDGE, "2")
    assert reply.message.text == (
        "You own *F-2* now. The 2 escalations joined to it are yours too; the reporters have "
        "been told."
    )


async def test_the_reporter_acknowledging_their_own_burst_hears_whose_reporters_were_told() -> None:
    world = burst_world()
    await world.flag("ana", "escalate checkout fails for all EU cards ZD-1 sev:high")
    await world.flag("bob", "escalate EU card payments failing at checkout ZD-2")
    reply = await world.press("ana", ActionId.ACKNOWLEDGE, "1")
    assert reply.message.text == (
        "You own *F-1* now. The escalation joined to it is yours too; its reporter has been told."
    )
