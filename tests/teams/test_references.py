"""Conversation references: proactive messages after a restart, and places never seen."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from botbuilder.schema import Activity

from adapters.teams.references import ReferenceBook
from bot.clock import FakeClock
from bot.errors import DeliveryError
from bot.messages import Conversation, Message, Person
from tests.fakes.memory import InMemoryUnitOfWorkFactory
from tests.teams.connector import FakeConnector
from tests.teams.harness import (
    ANA,
    ESCALATIONS,
    MARIA,
    START,
    SUPPORT,
    TENANT,
    Teams,
    channel_message,
    fixture,
    personal_message,
    start_teams,
)


async def test_references_survive_a_restart(tmp_path: Path, connector: FakeConnector) -> None:
    first = await start_teams(tmp_path, connector)
    await first.send(personal_message("flag mine"))
    await first.send(channel_message("flag help", sender=MARIA, channel=ESCALATIONS))
    await first.close()
    calls_before = len(connector.calls)

    second = await start_teams(tmp_path, connector)
    try:
        ana = Person("teams", TENANT, ANA["aadObjectId"], "Ana Alvarez")
        await second.runtime.router.direct_message(ana, Message(f"Hi <@{ana.user_id}>"))
        channel = Conversation("teams", TENANT, ESCALATIONS)
        await second.runtime.router.post(channel, Message("Weekly digest is coming"))
    finally:
        await second.close()

    dm, post = connector.calls[calls_before:]
    assert dm.kind == "send" and dm.conversation_id == f"a:{ANA['id']}-personal-chat"
    assert dm.body["text"] == "Hi <at>Ana Alvarez</at>"
    assert dm.body["entities"][0]["mentioned"] == {"id": ANA["id"], "name": "Ana Alvarez"}
    assert post.kind == "create" and post.body["channelData"]["channel"]["id"] == ESCALATIONS


async def test_an_unseen_escalation_channel_gives_the_admin_a_clear_message(
    teams: Teams, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="adapters.teams"):
        status, _ = await teams.send(channel_message("flag escalate refunds stuck ZD-4471"))

    assert status == 200
    # No card was created in the channel; the only conversation opened is the reporter's
    # personal chat, where the failure is told to them.
    [chat] = teams.connector.of("create")
    assert chat.body["isGroup"] is False and {"id": ANA["id"]} in chat.body["members"]
    [notice] = teams.connector.of("send")
    assert "could not deliver the escalation post of your flag **F-1**" in notice.texts()
    answer = teams.connector.of("reply")[-1].texts()
    assert "**F-1** is recorded, but Frontline could not post it to the escalation" in answer
    assert "never been in conversation 19:escalations-channel@thread.tacv2" in caplog.text
    await teams.send(personal_message("flag show F-1"))
    timeline = teams.connector.of("reply")[-1].texts()
    assert "add the Frontline app to the team that has channel" in timeline
    assert "@mention Frontline there once" in timeline


async def test_the_start_up_check_names_unseen_channels(
    tmp_path: Path, connector: FakeConnector, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="adapters.teams"):
        teams = await start_teams(tmp_path, connector)
    await teams.close()

    assert f"never been in the escalations channel {ESCALATIONS}" in caplog.text
    assert "add the Frontline app to that channel's team" in caplog.text


async def test_a_direct_message_opens_a_personal_chat_once(teams: Teams) -> None:
    await teams.send(channel_message("flag help", sender=MARIA, channel=ESCALATIONS))
    maria = Person("teams", TENANT, MARIA["aadObjectId"], "Maria Novak")

    await teams.runtime.router.direct_message(maria, Message("first"))
    await teams.runtime.router.direct_message(maria, Message("second"))

    [opened] = teams.connector.of("create")
    assert opened.body["isGroup"] is False
    assert opened.body["members"] == [{"id": MARIA["id"]}]
    assert opened.body["channelData"] == {"tenant": {"id": TENANT}}
    sent = [c.body["text"] for c in teams.connector.of("send")]
    assert sent == ["first", "second"]


async def test_someone_never_seen_cannot_be_messaged_and_the_hint_says_why(
    teams: Teams,
) -> None:
    stranger = Person("teams", TENANT, "5d7f9b1c-3e5a-4c7e-9b1d-3f5a7c9e1b04", "Lee Park")

    with pytest.raises(DeliveryError) as refused:
        await teams.runtime.router.direct_message(stranger, Message("hello"))

    assert "never seen them" in refused.value.reason
    assert refused.value.admin_hint is not None
    assert "ask Lee Park to open a chat with Frontline" in refused.value.admin_hint
    assert teams.connector.calls == []


async def test_a_conversation_teams_says_frontline_left_is_reported(teams: Teams) -> None:
    await teams.send(channel_message("flag help", sender=MARIA, channel=ESCALATIONS))
    teams.connector.refused_conversations[ESCALATIONS] = (403, "BotNotInConversationRoster")

    with pytest.raises(DeliveryError) as refused:
        await teams.runtime.router.post(
            Conversation("teams", TENANT, ESCALATIONS), Message("hello")
        )

    assert "not in that Teams conversation (BotNotInConversationRoster)" in refused.value.reason
    assert (
        refused.value.admin_hint is not None and "add the Frontline app" in refused.value.admin_hint
    )


async def test_a_nameless_event_does_not_forget_a_known_name(
    tmp_path: Path, connector: FakeConnector
) -> None:
    first = await start_teams(tmp_path, connector)
    await first.send(personal_message("flag mine", sender=MARIA))
    await first.send(fixture("conversation-update-bot-added-to-team"))  # from Maria, no name
    await first.close()

    second = await start_teams(tmp_path, connector)
    try:
        maria = Person("teams", TENANT, MARIA["aadObjectId"], "")
        await second.runtime.router.direct_message(maria, Message(f"<@{maria.user_id}>"))
    finally:
        await second.close()

    assert connector.of("send")[-1].body["text"] == "<at>Maria Novak</at>"


async def test_a_place_is_written_by_every_turn_until_one_that_wrote_it_has_committed() -> None:
    """On PostgreSQL turns run side by side: a turn that skipped writing a conversation down
    because another, still open, had written it could have its answer sent before that one
    committed, and given up as "never been in the conversation"."""
    store = InMemoryUnitOfWorkFactory()
    book = ReferenceBook(store, FakeClock(START))
    activity = Activity().deserialize(
        {**channel_message("flag help"), "serviceUrl": "http://127.0.0.1:1/"}
    )

    async with store() as first:
        written = await book.remember(first, activity)
        await first.rollback()  # a turn that failed: nothing it wrote counts
    assert written
    async with store() as second:
        assert await book.remember(second, activity) == written  # written again, all of it
        await second.commit()
    book.committed(written)
    async with store() as third:
        assert await book.remember(third, activity) == []  # stored for sure: not again
    assert await book.conversation(SUPPORT) is not None
