"""App Home: the viewer's open flags and the escalations waiting, with working buttons."""

from __future__ import annotations

import json

from tests.slack.driver import AGENT, MANAGER, SlackDriver, fixture


async def test_opening_home_shows_my_flags_and_what_waits_for_an_owner(slack: SlackDriver) -> None:
    for text in ("escalate checkout fails ZD-9912 sev:high", "recurring SSO loops ZD-1201"):
        await slack.command(text)
        await slack.settle()  # one after the other, so they are F-1 and F-2
    assert (await slack.event(fixture("event_app_home_opened"))).status == 200
    await slack.settle()

    published = slack.fake.called("views.publish")[-1].params
    assert published["user_id"] == AGENT
    view = published["view"]
    assert view["type"] == "home"
    headers = [b["text"]["text"] for b in view["blocks"] if b["type"] == "header"]
    assert headers == ["Your open flags", "Escalations waiting for acknowledgement"]
    text = json.dumps(view["blocks"])
    assert "*F-1* escalation" in text and "*F-2* recurring problem" in text
    assert "customer update due Mon 23 Nov 10:00" in text
    action_blocks = [b["block_id"] for b in view["blocks"] if b["type"] == "actions"]
    assert action_blocks == ["mine-0", "mine-1", "waiting-0"]


async def test_a_home_button_works_and_refreshes_home(slack: SlackDriver) -> None:
    await slack.command("escalate checkout fails for all EU cards ZD-9912")
    await slack.settle()
    assert (await slack.interactive(fixture("block_actions_home"))).status == 200
    await slack.settle()
    flag = await slack.flag(1)
    assert flag.last_customer_update_at is not None
    # No response URL from a Home tab: the answer comes as a direct message.
    dms = [c.params for c in slack.fake.called("chat.postMessage") if c.params["channel"][0] == "D"]
    assert [dm["channel"] for dm in dms] == [f"D{AGENT}"]
    assert "Customer update recorded on *F-1*" in dms[0]["text"]
    assert slack.fake.called("views.publish")[-1].params["user_id"] == AGENT


async def test_resolving_from_home_refreshes_home_after_the_note(slack: SlackDriver) -> None:
    await slack.command("escalate checkout fails for all EU cards")
    await slack.settle()
    press = fixture(
        "block_actions_home",
        **{"actions.0.action_id": "flag_resolve", "user.id": MANAGER},
    )
    await slack.interactive(press)
    await slack.settle()
    opened = slack.fake.called("views.open")[-1].params["view"]
    assert json.loads(opened["private_metadata"]) == {"flag_number": 1, "from_home": True}
    submission = fixture(
        "view_submission_resolve_note",
        **{"view.private_metadata": opened["private_metadata"]},
    )
    await slack.interactive(submission)
    await slack.settle()
    assert (await slack.flag(1)).resolved_by is not None
    assert slack.fake.called("views.publish")[-1].params["user_id"] == MANAGER
    assert slack.answers(MANAGER) == ["*F-1* resolved. Its reporter has been told."]  # by DM


async def test_the_messages_tab_publishes_nothing(slack: SlackDriver) -> None:
    await slack.event(fixture("event_app_home_opened", **{"event.tab": "messages"}))
    await slack.settle()
    assert slack.fake.called("views.publish") == []
