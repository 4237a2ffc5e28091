"""Group chats: commands by @mention, and an escalation "channel" that is a group chat."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.teams.connector import FakeConnector
from tests.teams.harness import (
    GROUP_CHAT,
    MARIA,
    Teams,
    card_press,
    channel_message,
    group_chat_message,
    start_teams,
)


@pytest.fixture
async def chat_escalations(tmp_path: Path, connector: FakeConnector) -> AsyncIterator[Teams]:
    config = f'channels:\n  teams:\n    escalations: "{GROUP_CHAT}"\n'
    harness = await start_teams(tmp_path, connector, config=config)
    yield harness
    await harness.close()


async def test_a_group_chat_command_needs_the_mention(teams: Teams) -> None:
    status, _ = await teams.send(group_chat_message("flag mine", mention=False))
    assert status == 200
    assert teams.connector.calls == []

    await teams.send(group_chat_message("flag mine"))

    [answer] = teams.connector.of("reply")
    assert answer.conversation_id == GROUP_CHAT
    assert "You have no open flags." in answer.texts()


async def test_escalations_posted_to_a_group_chat_are_updated_there(
    chat_escalations: Teams,
) -> None:
    teams = chat_escalations
    await teams.send(group_chat_message("flag help", sender=MARIA))

    await teams.send(channel_message("flag escalate VIP cannot log in ZD-7"))

    [post] = [c for c in teams.connector.of("send") if c.conversation_id == GROUP_CHAT]
    assert "VIP cannot log in" in post.texts()
    message_id = post.result["id"]
    press = card_press(
        "flag_acknowledge",
        {"action_id": "flag_acknowledge", "value": "1"},
        root=message_id,
        channel=GROUP_CHAT,
    )
    press["conversation"] = {"isGroup": True, "conversationType": "groupChat", "id": GROUP_CHAT}
    status, body = await teams.send(press)

    assert status == 200 and body["value"].startswith("You own F-1 now")
    [update] = teams.connector.of("update")
    assert (update.conversation_id, update.activity_id) == (GROUP_CHAT, message_id)
    [line] = [c for c in teams.connector.of("send") if "✅ Acknowledged" in c.texts()]
    assert line.conversation_id == GROUP_CHAT
