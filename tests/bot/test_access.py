"""Who may see a flag's words and who may change it (bot.access), on the in-memory core."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pytest

from bot import dispatch
from bot.actions import ActionId
from bot.config.models import FrontlineConfig
from bot.errors import NotAllowed
from bot.flags.models import FlagStatus
from bot.messages import Conversation, MessageRef, Person
from tests.bot.conftest import WS, World, make_world, person, where


@dataclass
class FakeDirectory:
    """Who is in which channel, as the platform would say."""

    members: dict[str, set[str]] = field(default_factory=dict)
    asked: list[tuple[str, str]] = field(default_factory=list)

    async def is_member(self, who: Person, conversation: Conversation) -> bool:
        self.asked.append((who.user_id, conversation.channel_id))
        return who.user_id in self.members.get(conversation.channel_id, set())


def world_with(who: str, directory: FakeDirectory) -> World:
    config = FrontlineConfig.model_validate(
        {
            "channels": {"slack": {"escalations": "C-esc"}},
            "managers": {"slack": {"on_duty": ["maria"]}},
            "acknowledgement": {"who": who},
        }
    )
    world = make_world(config)
    world.core = replace(world.core, directory=directory)
    return world


async def command(world: World, who: str, text: str, channel: str = "C-elsewhere") -> str:
    reply = await dispatch.handle_command(
        world.core, actor=person(who), where=where(channel), text=text
    )
    return reply.message.text


async def stored_status(world: World) -> tuple[FlagStatus, object]:
    async with world.core.uow() as uow:
        flag = await uow.flags.get(WS, 1)
    assert flag is not None
    return flag.status, flag.snoozed_until


@pytest.mark.parametrize("who", ["managers", "anyone"])
async def test_a_stranger_elsewhere_changes_nothing_and_is_told_who_can(who: str) -> None:
    world = world_with(who, FakeDirectory())
    await world.flag("ana", "escalate refunds stuck ZD-7", channel="C-private")
    before = await stored_status(world)
    for text in ("snooze F-1 14d", "update F-1 told them", "resolve F-1 done"):
        with pytest.raises(NotAllowed) as refused:
            await command(world, "eve", text)
        expected = {
            "managers": "only its reporter, its owner or an on-duty manager can.",
            "anyone": "only its reporter, its owner, an on-duty manager, or someone in the "
            "escalation channel or in the conversation where it was raised can.",
        }[who]
        assert f"You cannot change *F-1*: {expected}" in refused.value.user_message
        assert "Nothing was changed." in refused.value.user_message
    elsewhere = MessageRef(Conversation("slack", WS, "D-eve"), "1.2")  # a button in a DM
    with pytest.raises(NotAllowed):
        await world.press("eve", ActionId.ACKNOWLEDGE, "1", on=elsewhere)
    assert await stored_status(world) == before


async def test_the_reporter_and_the_on_duty_managers_may_change_it_from_anywhere() -> None:
    world = world_with("managers", FakeDirectory())
    await world.flag("ana", "escalate refunds stuck ZD-7", channel="C-private")
    assert "snoozed" in await command(world, "ana", "snooze F-1 1h")
    assert "resolved" in await command(world, "maria", "resolve F-1 done")


async def test_with_who_anyone_people_in_the_escalation_channel_or_where_it_was_raised_may() -> (
    None
):
    directory = FakeDirectory({"C-esc": {"tom"}, "C-private": {"lee"}})
    world = world_with("anyone", directory)
    await world.flag("ana", "escalate refunds stuck ZD-7", channel="C-private")
    assert "snoozed" in await command(world, "tom", "snooze F-1 1h")  # asked the platform
    assert ("tom", "C-esc") in directory.asked
    assert "Customer update recorded" in await command(world, "lee", "update F-1")
    # Acting from the place itself needs no question: a button on the post.
    reply = await world.press("zoe", ActionId.ACKNOWLEDGE, "1")
    assert "You own *F-1* now" in reply.message.text
    with pytest.raises(NotAllowed):
        await command(world, "eve", "resolve F-1")


async def test_with_who_managers_people_in_the_channels_may_not() -> None:
    world = world_with("managers", FakeDirectory({"C-esc": {"tom"}}))
    await world.flag("ana", "escalate refunds stuck ZD-7", channel="C-private")
    with pytest.raises(NotAllowed):
        await world.press("tom", ActionId.ACKNOWLEDGE, "1")


async def test_show_withholds_the_words_from_people_outside_its_places() -> None:
    world = world_with("anyone", FakeDirectory({"C-esc": {"tom"}}))
    await world.flag("ana", "escalate acme payroll data exposed ZD-7", channel="C-private")
    await world.press("maria", ActionId.ACKNOWLEDGE, "1")

    withheld = await command(world, "eve", "show F-1")
    assert "acme" not in withheld and "ZD-7" not in withheld
    assert withheld.startswith("*F-1* was raised in a conversation you are not in")
    assert "owner <@maria>, acknowledged" in withheld
    for who, channel in (
        ("tom", "C-elsewhere"),
        ("ana", "C-x"),
        ("maria", "C-x"),
        ("lee", "C-private"),
    ):
        assert "acme payroll data exposed" in await command(world, who, "show F-1", channel)


async def test_themes_and_home_withhold_words_too() -> None:
    world = world_with("anyone", FakeDirectory())
    await world.flag("ana", "recurring acme payroll export broken ZD-1", channel="C-private")
    await world.flag("ana", "escalate acme payroll data exposed ZD-7", channel="C-private")
    themes = await command(world, "eve", "themes")
    assert (
        "acme" not in themes and "a theme first raised in a conversation you are not in" in themes
    )
    assert "acme payroll" in (await command(world, "ana", "themes")).lower()

    from bot.home import home_view

    home = await home_view(world.core, viewer=person("eve"))
    [waiting] = home.awaiting_ack
    assert "acme" not in waiting.text and waiting.buttons == ()
