"""The flag form card and the "Flag this message" message extension."""

from __future__ import annotations

from typing import Any

from tests.teams.harness import (
    ESCALATIONS,
    MARIA,
    Teams,
    channel_message,
    fixture,
    personal_message,
)


def form_inputs(card: dict[str, Any]) -> dict[str, Any]:
    return {item["id"]: item.get("value") for item in card["body"] if "id" in item}


async def test_flag_alone_sends_the_form_and_submitting_it_raises_a_flag(teams: Teams) -> None:
    status, _ = await teams.send(personal_message("flag"))

    assert status == 200
    [sent] = teams.connector.of("reply")
    form = sent.body["attachments"][0]["content"]
    assert form["version"] == "1.5"
    assert set(form_inputs(form)) == {"kind", "summary", "customer_refs", "severity"}
    [submit] = form["actions"]
    assert submit["type"] == "Action.Execute"

    submission = fixture("invoke-adaptive-card-form")
    submission["value"]["action"]["verb"] = submit["verb"]
    status, body = await teams.send(submission)

    assert status == 200
    assert body["type"] == "application/vnd.microsoft.card.adaptive"
    confirmation = body["value"]["body"][0]["text"]
    assert "**F-1** recorded under theme" in confirmation
    await teams.send(personal_message("flag show F-1"))
    timeline = teams.connector.of("reply")[-1].texts()
    assert "SSO login loops after password reset" in timeline
    assert "ZD-1201, acme" in timeline  # customer:acme reads as the name


async def test_a_form_with_a_problem_comes_back_with_the_answers_kept(teams: Teams) -> None:
    submission = fixture("invoke-adaptive-card-form")
    submission["value"]["action"]["data"].update(
        {"summary": "login broken", "customer_refs": "acme"}
    )

    status, body = await teams.send(submission)

    assert status == 200
    card = body["value"]
    assert "`acme` is not a customer ref" in card["body"][0]["text"]
    assert card["body"][0]["color"] == "Attention"
    inputs = form_inputs(card)
    assert inputs["summary"] == "login broken" and inputs["customer_refs"] == "acme"
    assert inputs["kind"] == "recurring"
    await teams.send(personal_message("flag mine"))
    assert "You have no open flags." in teams.connector.of("reply")[-1].texts()


async def test_flag_this_message_opens_the_form_prefilled_from_the_message(teams: Teams) -> None:
    status, body = await teams.send(fixture("invoke-message-extension-fetch-task"))

    assert status == 200
    task = body["task"]
    assert task["type"] == "continue"
    assert task["value"]["title"] == "Flag this message"
    card = task["value"]["card"]["content"]
    inputs = form_inputs(card)
    assert inputs["summary"] == 'Customer says refunds are stuck in "pending" for 3 days ZD-4471'
    [submit] = card["actions"]
    assert submit["type"] == "Action.Submit"
    assert submit["data"]["source_link"].startswith("https://teams.microsoft.com/l/message/")


async def test_submitting_flag_this_message_escalates_with_a_link_back(teams: Teams) -> None:
    await teams.send(channel_message("flag help", sender=MARIA, channel=ESCALATIONS))

    status, body = await teams.send(fixture("invoke-message-extension-submit-action"))

    assert status == 200
    assert body["task"]["type"] == "message"
    assert "F-1 escalated (🔴 high)" in body["task"]["value"]
    [post] = teams.connector.of("create")
    assert "refunds are stuck" in post.texts() and "ZD-4471" in post.texts()
    await teams.send(personal_message("flag show F-1"))
    timeline = teams.connector.of("reply")[-1].texts()
    assert "[this message](https://teams.microsoft.com/l/message/" in timeline


async def test_a_bad_dialog_submission_keeps_the_dialog_open(teams: Teams) -> None:
    submission = fixture("invoke-message-extension-submit-action")
    submission["value"]["data"].update({"kind": "panic"})

    status, body = await teams.send(submission)

    assert status == 200
    assert body["task"]["type"] == "continue"
    card = body["task"]["value"]["card"]["content"]
    assert "`panic` is not a kind of flag" in card["body"][0]["text"]
    assert form_inputs(card)["summary"].startswith("Customer says refunds are stuck")
    assert teams.connector.of("create") == []
