"""The flag form: from `/flag` alone and from "Flag this message", with errors by the fields."""

from __future__ import annotations

import json
import time

from bot.flags.models import EventKind, FlagKind, Severity
from tests.slack.driver import AGENT, SUPPORT, SlackDriver, fixture
from tests.slack.fake_slack import WORKSPACE_URL


async def test_flag_alone_opens_the_form(slack: SlackDriver) -> None:
    assert (await slack.command("")).status == 200
    await slack.settle()
    opened = slack.fake.called("views.open")[-1].params
    assert opened["trigger_id"].startswith("100000.")
    view = opened["view"]
    assert view["type"] == "modal" and view["callback_id"] == "flag_form"
    inputs = {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}
    assert list(inputs) == ["kind", "summary", "customer_refs", "severity"]
    assert [o["value"] for o in inputs["kind"]["element"]["options"]] == ["recurring", "escalate"]
    assert inputs["severity"]["element"]["initial_option"]["value"] == "normal"
    assert inputs["customer_refs"]["optional"] is True
    metadata = json.loads(view["private_metadata"])
    assert metadata == {
        "channel_id": SUPPORT,
        "response_url": slack.fake.response_url(f"cmd-{AGENT}"),
    }
    assert slack.answers() == []  # the form is the answer


async def test_the_form_does_not_queue_behind_slow_work(slack: SlackDriver) -> None:
    # Slack lets a trigger open a modal for 3 seconds; busy background work must not eat them.
    slack.fake.slow["users.info"] = 2.0
    problems = ("refunds stuck", "login broken", "export empty", "invoices wrong", "search down")
    problems += ("app crashes", "emails late", "sync stalled")  # eight posts, not one burst
    for n, problem in enumerate(problems):
        await slack.command(f"escalate {problem}", user=f"U0AGENT{n:02d}")
    started = time.monotonic()
    await slack.command("   ")
    await slack.fake.wait_for(lambda: bool(slack.fake.called("views.open")), within=1.0)
    assert time.monotonic() - started < 1.0
    slack.fake.slow.clear()
    await slack.settle()
    assert await slack.flag_count() == 8


async def test_a_submitted_form_raises_the_flag_and_confirms(slack: SlackDriver) -> None:
    metadata = json.dumps(
        {"channel_id": SUPPORT, "response_url": slack.fake.response_url(f"form-{AGENT}")}
    )
    submission = fixture("view_submission_flag_form", **{"view.private_metadata": metadata})
    response = await slack.interactive(submission)
    assert response.status == 200 and await response.text() == ""  # the modal closes
    await slack.settle()
    flag = await slack.flag(1)
    assert flag.kind is FlagKind.ESCALATE and flag.severity is Severity.NORMAL
    # Typed text is escaped the way Slack escapes slash-command text.
    assert flag.summary == "Refunds stuck in pending for &gt; 3 days"
    assert [ref.value for ref in flag.customer_refs] == ["ZD-4411"]
    assert "*F-1* escalated" in slack.answers(AGENT)[-1]

    # Submitting the same view again (a double click on Flag) raises nothing more.
    await slack.interactive(submission)
    await slack.settle()
    assert await slack.flag_count() == 1


async def test_form_problems_are_shown_next_to_their_fields(slack: SlackDriver) -> None:
    submission = fixture(
        "view_submission_flag_form",
        **{
            "view.state.values.summary.value.value": "   ",
            "view.state.values.customer_refs.value.value": "ZD-1 not-a-ref",
        },
    )
    response = await slack.interactive(submission)
    assert response.status == 200
    body = await response.json()
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == {"summary", "customer_refs"}
    assert body["errors"]["summary"] == "Say what happened, in a few words."
    assert "`not-a-ref` is not a customer ref" in body["errors"]["customer_refs"]
    await slack.settle()
    assert await slack.flag_count() == 0
    # Fixed and resubmitted (same view), it goes through.
    await slack.interactive(fixture("view_submission_flag_form"))
    await slack.settle()
    assert await slack.flag_count() == 1


async def test_flag_this_message_prefills_the_form_and_links_back(slack: SlackDriver) -> None:
    shortcut = fixture("message_action", response_url=slack.fake.response_url(f"shortcut-{AGENT}"))
    assert (await slack.interactive(shortcut)).status == 200
    await slack.settle()
    view = slack.fake.called("views.open")[-1].params["view"]
    summary = next(b for b in view["blocks"] if b.get("block_id") == "summary")
    assert summary["element"]["initial_value"] == (
        "Acme says SSO login loops after password reset & nobody can get in <@U0AGENT02> ZD-1201"
    )
    assert f"<#{SUPPORT}>" in json.dumps(view["blocks"][0])
    metadata = json.loads(view["private_metadata"])
    assert metadata["message_ts"] == "1700000150.000200"
    assert metadata["thread_ts"] == "1700000100.000100"

    # The agent picks "recurring" and submits what was prefilled.
    values = {
        "kind": {"value": {"type": "radio_buttons", "selected_option": {"value": "recurring"}}},
        "summary": {
            "value": {"type": "plain_text_input", "value": summary["element"]["initial_value"]}
        },
        "customer_refs": {"value": {"type": "plain_text_input", "value": None}},
        "severity": {"value": {"type": "static_select", "selected_option": {"value": "normal"}}},
    }
    submission = fixture(
        "view_submission_flag_form",
        **{"view.private_metadata": view["private_metadata"], "view.state.values": values},
    )
    assert (await slack.interactive(submission)).status == 200
    await slack.settle()

    flag = await slack.flag(1)
    assert flag.kind is FlagKind.RECURRING
    assert (
        flag.summary
        == "Acme says SSO login loops after password reset &amp; nobody can get in <@U0AGENT02>"
    )
    assert [ref.value for ref in flag.customer_refs] == ["ZD-1201"]
    assert flag.origin.thread_id == "1700000100.000100"
    assert flag.origin.message_id == "1700000150.000200"
    link = slack.fake.called("chat.getPermalink")[-1].params
    assert link == {"channel": SUPPORT, "message_ts": "1700000150.000200"}
    async with slack.runtime.core.uow() as uow:
        flagged = (await uow.timeline.list_for(flag.id or 0))[0]
    assert flagged.kind is EventKind.FLAGGED
    assert f"<{WORKSPACE_URL}archives/{SUPPORT}/p1700000150000200|this message>" in flagged.detail
    assert "recorded under theme" in slack.answers(AGENT)[-1]


async def test_an_expired_trigger_tells_the_agent_to_try_again(slack: SlackDriver) -> None:
    slack.fake.refuse("views.open", "expired_trigger_id")
    shortcut = fixture("message_action", response_url=slack.fake.response_url(f"shortcut-{AGENT}"))
    await slack.interactive(shortcut)
    await slack.settle()
    assert slack.answers(AGENT) == ["⚠️ Slack did not open the form in time. Please try again."]


async def test_a_mention_in_a_thread_flags_from_there(slack: SlackDriver) -> None:
    mention = fixture("event_app_mention")
    for retry in (None, 1, 2, 3):  # Slack retries: the same event_id four times
        assert (await slack.event(mention, retry=retry)).status == 200
    await slack.settle()
    assert await slack.flag_count() == 1
    flag = await slack.flag(1)
    assert flag.summary == "payment page times out"
    assert [ref.label for ref in flag.customer_refs] == ["customer:acme"]
    assert flag.origin.thread_id == "1700000350.000100"
    assert len(slack.fake.called("chat.postMessage")) == 1
    answer = slack.fake.called("chat.postEphemeral")[-1].params
    assert answer["thread_ts"] == "1700000350.000100" and "*F-1* escalated" in answer["text"]


async def test_mentions_that_are_not_commands(slack: SlackDriver) -> None:
    in_thread = fixture("event_app_mention", **{"event.text": "<@U0FRONTBOT> thanks!"})
    await slack.event(in_thread)  # thread chatter: left to the thread-reply path
    channel = fixture(
        "event_app_mention",
        **{"event.text": "<@U0FRONTBOT>", "event.thread_ts": None, "event_id": "Ev0MENTION02"},
    )
    await slack.event(channel)
    await slack.settle()
    assert slack.answers(AGENT) == [
        "The flag form opens from `/flag` or from a message's “Flag this message” shortcut. "
        "Here, write it out: `@Frontline flag escalate <what happened> [customer ref] [sev:high]`."
    ]
