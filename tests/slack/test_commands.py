"""`/flag` and its subcommands through the real endpoint, and the 3-second rule."""

from __future__ import annotations

import time
from urllib.parse import urlencode

import pytest

from tests.slack.driver import AGENT, ESCALATIONS, SlackDriver, fixture
from tests.slack.fake_slack import WORKSPACE_URL


async def test_escalation_is_acknowledged_at_once_then_confirmed_with_id_and_permalink(
    slack: SlackDriver,
) -> None:
    slack.fake.names[AGENT] = "Ana"
    response = await slack.command("escalate checkout fails for all EU cards ZD-9912 sev:high")
    assert response.status == 200
    assert await response.text() == ""  # the ack carries nothing; the answer follows

    await slack.settle()
    post = slack.fake.called("chat.postMessage")[0].params
    assert post["channel"] == ESCALATIONS
    assert post["text"] == "*F-1 · Escalation:* checkout fails for all EU cards"
    fields = "\n".join(f["text"] for b in post["blocks"] if "fields" in b for f in b["fields"])
    assert f"*Reporter*\n<@{AGENT}>" in fields
    assert "<https://support.example.com/tickets/ZD-9912|ZD-9912>" in fields
    assert "🔴 high" in fields and "Waiting for acknowledgement" in fields
    assert "*Raised*\n<!date^" in fields  # Slack renders it live ("… 6 minutes ago")
    buttons = next(b for b in post["blocks"] if b["type"] == "actions")["elements"]
    assert [(b["text"]["text"], b["action_id"], b["value"]) for b in buttons] == [
        ("Acknowledge", "flag_acknowledge", "1"),
        ("Customer updated", "flag_customer_updated", "1"),
        ("Snooze 1h", "flag_snooze", "1"),
        ("Resolve", "flag_resolve", "1"),
    ]
    assert buttons[0]["style"] == "primary" and buttons[3]["style"] == "danger"

    confirmation = slack.fake.called("response_url")[-1].params
    assert confirmation["response_type"] == "ephemeral"
    assert "*F-1* escalated" in confirmation["text"]
    ts = (await slack.post_ts(1)).replace(".", "")
    permalink = f"{WORKSPACE_URL}archives/{ESCALATIONS}/p{ts}"
    assert f"<{permalink}|the escalation post>" in confirmation["text"]
    assert (await slack.flag(1)).reporter.display_name == "Ana"


async def test_a_slow_web_api_never_makes_the_acknowledgement_late(slack: SlackDriver) -> None:
    slack.fake.delay = 2.0
    started = time.monotonic()
    response = await slack.command("escalate refunds are stuck ZD-4411")
    took = time.monotonic() - started
    assert response.status == 200
    assert took < 0.5, f"the ack took {took:.2f}s while Slack's Web API is slow"
    assert slack.fake.called("response_url") == []  # the answer is still on its way

    slack.fake.delay = 0.0
    await slack.settle()
    confirmation = slack.fake.called("response_url")[-1].params["text"]
    assert "*F-1* escalated" in confirmation and "/archives/" in confirmation


async def test_every_subcommand_answers_the_agent_only(slack: SlackDriver) -> None:
    for text in (
        "escalate payment page times out customer:acme",
        "recurring SSO login loops after password reset ZD-1201",
        "help",
        "mine",
        "show F-1",
        "update F-1 told them a fix is coming",
        "snooze F-1 2h",
        "themes",
        "stats",
        "resolve F-2 duplicate of F-1",
    ):
        await slack.command(text)
        await slack.settle()  # one at a time, as a person types them
    answers = slack.answers()
    assert len(answers) == 10
    assert "recorded under theme" in answers[1]
    assert "Frontline — /flag commands" in answers[2]
    assert "`/flag move F-12 #tag|new`" in answers[2] and "`/flag theme #tag ack" in answers[2]
    assert "Your open flags (2)" in answers[3]
    assert "F-1 · Escalation:" in answers[4] and "flagged by" in answers[4]
    assert "Customer update recorded on *F-1*" in answers[5]
    assert "*F-1* snoozed until" in answers[6]
    assert "sso" in answers[7].lower()
    assert answers[9] == "*F-2* resolved."
    assert all(c.params["response_type"] == "ephemeral" for c in slack.fake.called("response_url"))
    flag = await slack.flag(1)
    assert flag.snoozed_until is not None and flag.last_customer_update_at is not None
    # The customer update and the snooze each add a line to the escalation's thread.
    thread_lines = [c for c in slack.fake.called("chat.postMessage") if "thread_ts" in c.params]
    assert [c.params["text"][0] for c in thread_lines] == ["📣", "💤"]


async def test_bad_input_gets_a_specific_message_never_an_error_page(slack: SlackDriver) -> None:
    for text in ("resolve F-99", "snooze F-1 forever", "escalte checkout", "escalate"):
        response = await slack.command(text)
        assert response.status == 200
        await slack.settle()
    answers = slack.answers()
    assert "There is no flag F-99 in this workspace" in answers[0]
    assert "There is no flag F-1" in answers[1] or "not a duration" in answers[1]
    assert "Did you mean `escalate`?" in answers[2]
    assert "Say what happened" in answers[3]
    assert all(a.startswith("⚠️") for a in answers)
    assert await slack.flag_count() == 0


async def test_a_replayed_command_with_the_same_trigger_raises_one_flag(
    slack: SlackDriver,
) -> None:
    form = fixture("slash_command", response_url=slack.fake.response_url())
    body = urlencode(form).encode()
    for _ in range(3):
        assert (await slack.post(body, "application/x-www-form-urlencoded")).status == 200
    await slack.settle()
    assert await slack.flag_count() == 1
    assert len(slack.fake.called("chat.postMessage")) == 1


async def test_a_command_that_cannot_be_stored_gets_a_500_and_nothing_is_done(
    slack: SlackDriver, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def database_down(*_: object) -> bool:
        raise ConnectionError("the database is not answering")

    monkeypatch.setattr(slack.adapter.requests, "store", database_down)
    response = await slack.command("recurring export times out ZD-1")
    # Not acknowledged: Slack tells the agent the command failed, instead of a silent loss.
    assert response.status == 500
    assert "the database is not answering" in caplog.text
    await slack.settle()
    assert await slack.flag_count() == 0 and slack.answers() == []
