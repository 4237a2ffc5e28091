"""The whole escalation loop in Slack: flag → post → ack in the thread → resolve with a note."""

from __future__ import annotations

import json
from datetime import timedelta

from bot.flags.models import EventKind, FlagStatus
from tests.slack.driver import (
    AGENT,
    ESCALATIONS,
    MANAGER,
    OTHER_MANAGER,
    SlackDriver,
    fixture,
)


async def test_escalate_ack_by_reply_then_resolve_with_a_note(slack: SlackDriver) -> None:
    await slack.command("escalate checkout fails for all EU cards ZD-9912 sev:high")
    await slack.settle()
    root = await slack.post_ts(1)

    # A manager replies "On it" in the thread six minutes later.
    slack.clock.advance(timedelta(minutes=6))
    reply = fixture(
        "event_message_thread_reply",
        **{"event.thread_ts": root, "event.user": MANAGER, "event.text": "On it"},
    )
    assert (await slack.event(reply)).status == 200
    await slack.settle()

    update = slack.fake.called("chat.update")[-1].params
    assert update["channel"] == ESCALATIONS and update["ts"] == root
    assert f"Acknowledged by <@{MANAGER}> after 6 min" in json.dumps(update["blocks"])
    assert "flag_acknowledge" not in json.dumps(update["blocks"])  # the button is gone
    thread = [c.params for c in slack.fake.called("chat.postMessage") if c.params.get("thread_ts")]
    assert thread[-1]["thread_ts"] == root
    assert thread[-1]["text"] == f"✅ Acknowledged by <@{MANAGER}> after 6 min."
    assert slack.fake.called("conversations.open")[-1].params["users"] == AGENT
    posted = [c.params for c in slack.fake.called("chat.postMessage")]
    [reporter_dm] = [p for p in posted if p["channel"] == f"D{AGENT}"]
    assert "was acknowledged by" in reporter_dm["text"]
    manager_answer = slack.fake.called("chat.postEphemeral")[-1].params
    assert manager_answer["user"] == MANAGER and manager_answer["thread_ts"] == root
    assert "You own *F-1* now" in manager_answer["text"]

    # A second manager's ✅ is recorded on the timeline; the first stays the owner.
    updates_before = len(slack.fake.called("chat.update"))
    reaction = fixture(
        "event_reaction_added",
        **{"event.item.ts": root, "event.user": OTHER_MANAGER, "event_id": "Ev0REACTTOM"},
    )
    await slack.event(reaction)
    await slack.settle()
    assert len(slack.fake.called("chat.update")) == updates_before
    assert "already acknowledged by" in slack.answers(OTHER_MANAGER)[-1]

    # Resolve: the button asks for a note in a modal, the submission resolves.
    assert (await slack.press("flag_resolve", 1, post_ts=root)).status == 200
    await slack.settle()
    opened = slack.fake.called("views.open")[-1].params
    assert opened["view"]["callback_id"] == "flag_resolve_note"
    metadata = json.loads(opened["view"]["private_metadata"])
    assert metadata["flag_number"] == 1 and metadata["channel_id"] == ESCALATIONS
    assert (await slack.flag(1)).status is not FlagStatus.RESOLVED  # not before the note

    submission = fixture(
        "view_submission_resolve_note",
        **{"view.private_metadata": opened["view"]["private_metadata"]},
    )
    response = await slack.interactive(submission)
    assert response.status == 200 and await response.text() == ""  # closes the modal
    await slack.settle()

    flag = await slack.flag(1)
    assert flag.status is FlagStatus.RESOLVED and flag.resolved_by is not None
    assert flag.resolution_note == "Card processor fixed; refunds re-run &amp; customer told"
    final = slack.fake.called("chat.update")[-1].params
    assert f"Resolved by <@{MANAGER}>" in json.dumps(final["blocks"])
    assert not [b for b in final["blocks"] if b["type"] == "actions"]
    assert "was resolved by" in slack.answers(AGENT)[-1]

    async with slack.runtime.core.uow() as uow:
        events = [e.kind for e in await uow.timeline.list_for(flag.id or 0)]
    assert events.count(EventKind.ACKNOWLEDGED) == 1
    assert EventKind.ACK_REPEATED in events and EventKind.RESOLVED in events
