"""Managers acknowledge in the thread: button, reply words, reactions — each exactly once."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from aiohttp.test_utils import TestClient, TestServer

from adapters.http.serve import build_server_app
from bot.clock import FakeClock
from bot.config.settings import Settings
from bot.flags.models import EventKind
from tests.slack.conftest import CONFIG, _driver
from tests.slack.driver import (
    AGENT,
    ESCALATIONS,
    MANAGER,
    OTHER_MANAGER,
    SUPPORT,
    SlackDriver,
    fixture,
)
from tests.slack.fake_slack import FakeSlack


async def escalate(slack: SlackDriver) -> str:
    await slack.command("escalate checkout fails for all EU cards ZD-9912 sev:high")
    await slack.settle()
    return await slack.post_ts(1)


async def test_the_acknowledge_button_updates_the_post_in_place(slack: SlackDriver) -> None:
    root = await escalate(slack)
    assert (await slack.press("flag_acknowledge", 1)).status == 200
    await slack.settle()
    flag = await slack.flag(1)
    assert flag.acknowledged_by is not None and flag.acknowledged_by.user_id == MANAGER
    assert slack.fake.called("chat.update")[-1].params["ts"] == root
    answer = slack.fake.called("response_url")[-1].params
    assert answer["name"] == f"press-{MANAGER}" and "You own *F-1* now" in answer["text"]
    assert answer["replace_original"] is False  # the post keeps its buttons for others


async def test_a_double_clicked_button_acknowledges_once(slack: SlackDriver) -> None:
    await escalate(slack)
    # Two payloads a moment apart, straddling a click window boundary, with fresh triggers.
    await slack.press("flag_acknowledge", 1, action_ts="1700000104.900000")
    await slack.press("flag_acknowledge", 1, action_ts="1700000105.200000")
    await slack.settle()
    assert len(slack.fake.called("chat.update")) == 1
    assert len(slack.answers(MANAGER)) == 1
    async with slack.runtime.core.uow() as uow:
        events = await uow.timeline.list_for((await slack.flag(1)).id or 0)
    assert [e.kind for e in events].count(EventKind.ACKNOWLEDGED) == 1


@pytest.mark.parametrize("words", ["ack", "ON IT", "Mine, looking now", "<@U0FRONTBOT> ack"])
async def test_thread_replies_that_acknowledge(slack: SlackDriver, words: str) -> None:
    root = await escalate(slack)
    reply = fixture("event_message_thread_reply", **{"event.thread_ts": root, "event.text": words})
    await slack.event(reply)
    await slack.settle()
    assert (await slack.flag(1)).acknowledged_by is not None


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"event.text": "thanks, looking"}, "not an acknowledgement word"),
        ({"event.bot_id": "B0OTHERBOT"}, "written by a bot"),
        ({"event.subtype": "message_changed"}, "an edit"),
        ({"event.thread_ts": None}, "not in a thread"),
    ],
)
async def test_other_messages_acknowledge_nothing(
    slack: SlackDriver, changes: dict[str, object], why: str
) -> None:
    root = await escalate(slack)
    reply = fixture("event_message_thread_reply", **{"event.thread_ts": root, **changes})
    assert (await slack.event(reply)).status == 200
    await slack.settle()
    assert (await slack.flag(1)).acknowledged_by is None, why
    assert slack.fake.called("chat.update") == []


@pytest.mark.parametrize("reaction", ["white_check_mark", "eyes", "white_check_mark::skin-tone-3"])
async def test_a_check_or_eyes_reaction_on_the_post_acknowledges(
    slack: SlackDriver, reaction: str
) -> None:
    root = await escalate(slack)
    event = fixture("event_reaction_added", **{"event.item.ts": root, "event.reaction": reaction})
    await slack.event(event)
    await slack.settle()
    assert (await slack.flag(1)).acknowledged_by is not None
    async with slack.runtime.core.uow() as uow:
        events = await uow.timeline.list_for((await slack.flag(1)).id or 0)
    acknowledged = next(e for e in events if e.kind is EventKind.ACKNOWLEDGED)
    assert acknowledged.detail.startswith(f"via :{reaction.split('::')[0]}: reaction")


async def test_other_reactions_and_other_messages_are_ignored(slack: SlackDriver) -> None:
    root = await escalate(slack)
    await slack.event(
        fixture("event_reaction_added", **{"event.item.ts": root, "event.reaction": "tada"})
    )
    await slack.event(
        fixture("event_reaction_added", **{"event.item.ts": "1.000001", "event_id": "Ev0OTHER"})
    )
    await slack.settle()
    assert (await slack.flag(1)).acknowledged_by is None
    assert slack.fake.called("chat.update") == []


async def test_a_retried_event_acknowledges_once(slack: SlackDriver) -> None:
    root = await escalate(slack)
    reply = fixture("event_message_thread_reply", **{"event.thread_ts": root})
    for retry in (None, 1, 2, 3):
        assert (await slack.event(reply, retry=retry)).status == 200
    await slack.settle()
    assert len(slack.fake.called("chat.update")) == 1
    assert len(slack.answers(MANAGER)) == 1


async def test_acknowledgement_words_come_from_the_configuration(
    slack_settings: Callable[..., Settings], fake_slack: FakeSlack, clock: FakeClock
) -> None:
    config = CONFIG + "acknowledgement:\n  words: [taking it]\n"
    app = await build_server_app(slack_settings(config), clock=clock)
    async with TestClient(TestServer(app)) as http:
        slack = _driver(http, app, fake_slack, clock)
        root = await escalate(slack)
        for event_id, text in (("Ev1", "ack"), ("Ev2", "Taking it!")):
            reply = fixture(
                "event_message_thread_reply",
                **{"event.thread_ts": root, "event.text": text, "event_id": event_id},
            )
            await slack.event(reply)
            await slack.settle()
            acknowledged = (await slack.flag(1)).acknowledged_by is not None
            assert acknowledged is (text != "ack")
        assert slack.answers(AGENT)[-1].startswith("Your escalation *F-1*")


async def test_someone_outside_the_flags_channels_cannot_read_nor_change_it(
    slack: SlackDriver,
) -> None:
    # F-1 is raised in #support; OTHER_MANAGER is in neither #support nor #escalations.
    slack.fake.channel_members = {SUPPORT: [AGENT], ESCALATIONS: [MANAGER]}
    await slack.command("escalate acme payroll data exposed ZD-7")
    await slack.settle()

    await slack.command("show F-1", user=OTHER_MANAGER, channel="C0RANDOM01")
    await slack.command("snooze F-1 14d", user=OTHER_MANAGER, channel="C0RANDOM01")
    await slack.settle()
    answers = slack.answers(OTHER_MANAGER)[-2:]  # the two run in either order
    [shown] = [a for a in answers if "was raised in a conversation you are not in" in a]
    [refused] = [a for a in answers if "You cannot change *F-1*" in a]
    assert "acme" not in shown and "acme" not in refused
    assert (await slack.flag(1)).snoozed_until is None
    asked = {c.params["channel"] for c in slack.fake.called("conversations.members")}
    assert {SUPPORT, ESCALATIONS} <= asked
