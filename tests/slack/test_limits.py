"""Text over Frontline's limits is answered where it was typed, never refused as malformed."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.flags.commands import MAX_COMMAND_CHARS
from bot.flags.raising import MAX_SUMMARY_CHARS
from tests.slack.driver import AGENT, SlackDriver, fixture
from tests.slack.test_socket_mode import command_envelope, socket_slack  # noqa: F401
from tests.slack.test_unknown_requests import app_lines, inbox_rows

TOO_LONG_5210 = (
    "⚠️ That /flag text is 5,210 characters; Frontline takes at most 4,000 after /flag, so "
    "nothing was done. A flag's summary holds up to 1,000 characters and a note up to 1,000: "
    "say it in a few words and put the details in the ticket."
)


def text_of(length: int) -> str:
    """`/flag escalate …` with `length` characters after `/flag`."""
    words = "checkout fails for every EU card "
    return ("escalate " + words * (length // len(words) + 1))[:length]


@pytest.mark.parametrize("length", [5_210, 45_000])
async def test_an_oversized_flag_is_answered_at_once_and_nothing_is_done(
    slack: SlackDriver, caplog: pytest.LogCaptureFixture, tmp_path: Path, length: int
) -> None:
    caplog.set_level(logging.INFO)
    response = await slack.command(text_of(length))
    assert response.status == 200
    answer = await response.json()
    assert answer["response_type"] == "ephemeral"  # shown only to the agent, right away
    assert f"is {length:,} characters" in answer["text"]
    assert "at most 4,000 after /flag, so nothing was done" in answer["text"]
    if length == 5_210:
        assert answer == {"response_type": "ephemeral", "text": TOO_LONG_5210}
    assert app_lines(caplog) == [
        f"answered a /flag of {length} characters (over 4000); nothing done"
    ]
    await slack.settle()
    assert await slack.flag_count() == 0
    assert inbox_rows(tmp_path) == 0
    assert slack.answers() == []  # the response above was the only answer


async def test_a_flag_at_the_limit_still_reaches_the_core(slack: SlackDriver) -> None:
    response = await slack.command(text_of(MAX_COMMAND_CHARS))
    assert response.status == 200 and await response.text() == ""
    await slack.settle()
    # The command fits; its summary does not, and the core says so.
    assert f"keep it under {MAX_SUMMARY_CHARS}" in slack.answers(AGENT)[-1]
    assert await slack.flag_count() == 0


async def test_an_oversized_flag_over_socket_mode_is_answered_in_the_ack(
    socket_slack: SlackDriver,  # noqa: F811
    tmp_path: Path,
) -> None:
    fake = socket_slack.fake
    await fake.socket_outbox.put(command_envelope(fake, "env-long", text_of(5_210)))
    await fake.wait_for(lambda: any(m.get("envelope_id") == "env-long" for m in fake.socket_inbox))
    ack = next(m for m in fake.socket_inbox if m.get("envelope_id") == "env-long")
    assert ack["payload"] == {"response_type": "ephemeral", "text": TOO_LONG_5210}
    await socket_slack.settle()
    assert await socket_slack.flag_count() == 0
    assert inbox_rows(tmp_path) == 0


async def test_flagging_a_very_long_message_opens_the_form_and_says_it_was_cut(
    slack: SlackDriver,
) -> None:
    # Longer than any text field Frontline otherwise accepts (40,000): still a form, not a 400.
    long_message = "Acme cannot log in. " * 2_250  # 45,000 characters
    shortcut = fixture("message_action", **{"message.text": long_message})
    response = await slack.interactive(shortcut)
    assert response.status == 200
    await slack.settle()
    view = slack.fake.called("views.open")[-1].params["view"]
    summary = next(b for b in view["blocks"] if b.get("block_id") == "summary")
    assert len(summary["element"]["initial_value"]) == MAX_SUMMARY_CHARS
    note = view["blocks"][0]["elements"][0]["text"]
    assert "Its text is 44,999 characters and a summary holds 1,000" in note  # stripped
    assert "the link keeps the rest" in note


async def test_an_oversized_form_summary_is_shown_next_to_its_field(slack: SlackDriver) -> None:
    summary = "x" * 5_000
    submission = fixture(
        "view_submission_flag_form", **{"view.state.values.summary.value.value": summary}
    )
    response = await slack.interactive(submission)
    assert response.status == 200
    assert await response.json() == {
        "response_action": "errors",
        "errors": {
            "summary": "The summary is 5000 characters; keep it under 1000 and put the details "
            "in the ticket."
        },
    }
    await slack.settle()
    assert await slack.flag_count() == 0
