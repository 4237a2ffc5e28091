"""Reactions compared by name: characters, `:names:` and Teams types, in config and in use."""

from __future__ import annotations

import pytest

from bot import dispatch
from bot.config import parse_config
from bot.config.models import FrontlineConfig
from bot.errors import ConfigError
from bot.flags.models import EventKind
from bot.messages import Conversation
from bot.reactions import reaction_name
from tests.bot.conftest import WS, make_world, person

SKIN_TONE = "\U0001f3fd"
JOINER = "\u200d"
EMOJI_STYLE = "\ufe0f"


@pytest.mark.parametrize(
    ("reaction", "name"),
    [
        ("✅", "white_check_mark"),
        (":white_check_mark:", "white_check_mark"),
        ("White_Check_Mark", "white_check_mark"),
        ("✔" + EMOJI_STYLE, "heavy_check_mark"),
        ("☑" + EMOJI_STYLE, "ballot_box_with_check"),
        ("👀", "eyes"),
        ("👍", "+1"),
        ("👍" + SKIN_TONE, "+1"),
        ("+1::skin-tone-3", "+1"),
        (":+1::skin-tone-3:", "+1"),
        ("🙋", "raising_hand"),
        ("🙋" + SKIN_TONE, "raising_hand"),
        ("🙋" + SKIN_TONE + JOINER + "♀" + EMOJI_STYLE, "woman-raising-hand"),
        # Teams' reaction types
        ("like", "+1"),
        ("heart", "heart"),
        ("laugh", "laughing"),
        ("surprised", "open_mouth"),
        ("sad", "cry"),
        ("angry", "angry"),
        # Teams' types for other emoji: code points, then a name
        ("2705_whiteheavycheckmark", "white_check_mark"),
        ("1f440_eyes", "eyes"),
        ("1f64b-1f3fd-200d-2640-fe0f_womanraisinghand", "woman-raising-hand"),
        ("1f4cc_pushpin", "pushpin"),  # not in the table: Teams' own name
        # Names it does not know stay as they are: custom emoji, other scripts.
        ("partyparrot", "partyparrot"),
        ("了解", "了解"),
    ],
)
def test_a_reaction_is_known_by_its_name(reaction: str, name: str) -> None:
    assert reaction_name(reaction) == name


def test_naming_twice_changes_nothing() -> None:
    for reaction in ("✅", "like", ":eyes:", "👍" + SKIN_TONE, "tada"):
        assert reaction_name(reaction_name(reaction)) == reaction_name(reaction)


def test_configured_reactions_may_be_characters_and_are_kept_as_names() -> None:
    woman_raising_hand = "🙋" + JOINER + "♀" + EMOJI_STYLE
    config = parse_config(
        "acknowledgement:\n"
        f"  reactions: ['✅', '👀', ':+1:', like, Heavy_Check_Mark, '{woman_raising_hand}']\n"
    )

    assert config.acknowledgement.reactions == (
        "white_check_mark",
        "eyes",
        "+1",
        "+1",
        "heavy_check_mark",
        "woman-raising-hand",
    )


@pytest.mark.parametrize(
    ("written", "problem"),
    [
        ("'🦄'", "'🦄' is an emoji Frontline cannot name; write its name, like eyes"),
        ("'::'", "'::' is not a reaction name; write it like eyes"),
    ],
)
def test_check_config_says_which_reaction_it_cannot_take(written: str, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(f"acknowledgement:\n  reactions: [{written}]\n")

    assert any(problem in line for line in caught.value.problems)


@pytest.mark.parametrize(
    ("configured", "arriving", "acks"),
    [
        (None, "✅", True),
        (None, "👀" + EMOJI_STYLE, True),
        (None, ":white_check_mark:", True),
        (None, "✔" + EMOJI_STYLE, False),
        (["✔️"], "heavy_check_mark", True),
        (["👍"], "like", True),  # Teams reports 👍 as `like`
        (["like"], "+1::skin-tone-2", True),  # Slack reports it as `+1`
        (["like"], "👍" + SKIN_TONE, True),
        (["heart"], "like", False),
    ],
)
async def test_a_reaction_acknowledges_whichever_form_arrives(
    configured: list[str] | None, arriving: str, acks: bool
) -> None:
    settings: dict[str, object] = {"channels": {"slack": {"escalations": "C-esc"}}}
    if configured is not None:
        settings["acknowledgement"] = {"reactions": configured}
    world = make_world(FrontlineConfig.model_validate(settings))
    await world.flag("ana", "escalate payments down")

    reply = await dispatch.handle_reaction(
        world.core,
        actor=person("maria"),
        conversation=Conversation("slack", WS, "C-esc"),
        message_id="m1",
        reaction=arriving,
    )

    assert (reply is not None) is acks
    async with world.core.uow() as uow:
        flag = await uow.flags.get(WS, 1)
        assert flag is not None and flag.id is not None
        assert (flag.acknowledged_by is not None) is acks
        if acks:
            events = await uow.timeline.list_for(flag.id)
            [acknowledged] = [e for e in events if e.kind is EventKind.ACKNOWLEDGED]
            assert acknowledged.detail.startswith(f"via :{reaction_name(arriving)}: reaction")
