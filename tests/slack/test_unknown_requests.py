"""Signed Slack requests Frontline has no listener for: 200, one log line, nothing stored."""

from __future__ import annotations

import json
import logging
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from aiohttp import ClientResponse

from adapters.slack.signature import signed_headers
from adapters.slack.unhandled import describe
from tests.slack.driver import SlackDriver, fixture
from tests.slack.test_socket_mode import socket_slack  # noqa: F401  (the fixture)

FORM = "application/x-www-form-urlencoded"
TYPED = "my customer's card 4111 leaks"  # what a person typed: never in the log


def _event(event_type: str) -> dict[str, Any]:
    return fixture("event_app_mention", event_id=f"Ev-{event_type}", **{"event.type": event_type})


# (what is sent, how the one log line names it)
UNKNOWN: dict[str, tuple[dict[str, Any], str]] = {
    "event": (_event("member_joined_channel"), "event member_joined_channel"),
    "view-submission": (
        fixture(
            "view_submission_flag_form",
            **{"view.callback_id": "old_survey", "view.private_metadata": TYPED},
        ),
        "view_submission of view old_survey",
    ),
    "message-shortcut": (
        fixture("message_action", callback_id="summarise_message", **{"message.text": TYPED}),
        "message_action summarise_message",
    ),
    "global-shortcut": (
        {**fixture("message_action", callback_id="new_ticket"), "type": "shortcut"},
        "shortcut new_ticket",
    ),
    "view-closed": (
        {**fixture("view_submission_flag_form"), "type": "view_closed"},
        "view_closed of view flag_form",
    ),
    "block-suggestion": (
        {**fixture("block_actions_message"), "type": "block_suggestion", "action_id": "pick"},
        "block_suggestion pick",
    ),
    "command": (
        fixture("slash_command", command="/other", text=TYPED),
        "command /other",
    ),
}


async def send(slack: SlackDriver, payload: dict[str, Any]) -> ClientResponse:
    if payload.get("type") == "event_callback":
        return await slack.event(payload)
    if "command" in payload:
        return await slack.post(urlencode(payload).encode(), FORM)
    return await slack.interactive(payload)


def inbox_rows(tmp_path: Path) -> int:
    """Every request ever stored, run or not (the server's SQLite file, read directly)."""
    with sqlite3.connect(tmp_path / "frontline.db") as database:
        return int(database.execute("SELECT count(*) FROM inbox").fetchone()[0])


def app_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    """What Frontline and Bolt logged (aiohttp's access log has a line for every request)."""
    return [r.getMessage() for r in caplog.records if r.name != "aiohttp.access"]


@pytest.mark.parametrize("case", list(UNKNOWN))
async def test_an_unknown_request_is_acknowledged_and_logged_once(
    slack: SlackDriver, caplog: pytest.LogCaptureFixture, tmp_path: Path, case: str
) -> None:
    payload, named = UNKNOWN[case]
    caplog.set_level(logging.INFO)
    response = await send(slack, payload)
    assert response.status == 200, await response.text()
    assert await response.text() == ""  # Slack shows nothing and retries nothing
    lines = app_lines(caplog)
    assert lines == [f"acknowledged a Slack {named} that Frontline does not handle; nothing done"]
    assert "[Suggestion]" not in caplog.text and TYPED not in caplog.text
    await slack.settle()
    assert inbox_rows(tmp_path) == 0
    assert slack.fake.methods() == ["auth.test"]  # only the start-up check reached Slack


async def test_an_unknown_request_with_a_bad_signature_is_still_refused(
    slack: SlackDriver, tmp_path: Path
) -> None:
    body = json.dumps(_event("member_joined_channel")).encode()
    forged = signed_headers("not-the-secret", body)
    response = await slack.post(body, "application/json", headers=forged, signed=False)
    assert response.status == 401
    await slack.settle()
    assert inbox_rows(tmp_path) == 0


async def test_a_button_frontline_does_not_know_is_still_answered(
    slack: SlackDriver, caplog: pytest.LogCaptureFixture
) -> None:
    # A button of an old message: the core says so, rather than Slack's ⚠️ or silence.
    caplog.set_level(logging.INFO)
    response = await slack.press("old_button", 1, post_ts="1700000000.000100")
    assert response.status == 200
    await slack.settle()
    assert "[Suggestion]" not in caplog.text
    assert slack.answers() == [
        "⚠️ That button is not one Frontline knows; it may be from an old message."
    ]


@pytest.mark.parametrize(
    ("envelope_type", "payload", "named"),
    [
        ("events_api", _event("member_joined_channel"), "event member_joined_channel"),
        (
            "interactive",
            fixture("view_submission_flag_form", **{"view.callback_id": "old_survey"}),
            "view_submission of view old_survey",
        ),
        (
            "interactive",
            {**fixture("view_submission_flag_form"), "type": "view_closed"},
            "view_closed of view flag_form",
        ),
    ],
    ids=["event", "view-submission", "view-closed"],
)
async def test_socket_mode_acknowledges_unknown_requests_the_same_way(
    socket_slack: SlackDriver,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
    envelope_type: str,
    payload: dict[str, Any],
    named: str,
) -> None:
    fake = socket_slack.fake
    caplog.set_level(logging.INFO, logger="adapters")
    envelope = {"envelope_id": "env-unknown", "type": envelope_type, "payload": payload}
    await fake.socket_outbox.put(envelope)
    await fake.wait_for(
        lambda: any(m.get("envelope_id") == "env-unknown" for m in fake.socket_inbox)
    )
    acks = [m for m in fake.socket_inbox if m.get("envelope_id") == "env-unknown"]
    assert acks == [{"envelope_id": "env-unknown"}]  # acknowledged, with nothing to show
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("adapters")]
    assert lines == [f"acknowledged a Slack {named} that Frontline does not handle; nothing done"]
    assert "[Suggestion]" not in caplog.text
    await socket_slack.settle()
    assert inbox_rows(tmp_path) == 0


def test_the_log_line_names_ids_and_never_what_was_typed() -> None:
    assert describe({"type": "event_callback", "event": {"type": TYPED}}) == "event ?"
    assert describe({"type": "view_submission", "view": "x"}) == "view_submission of view ?"
    assert describe({"type": "block_actions", "actions": []}) == "block_actions ?"
    assert describe({"type": "app_rate_limited"}) == "payload of type app_rate_limited"
    assert describe({"type": None}) == "payload of type ?"
    assert describe({"type": "x\nFAKE LOG LINE"}) == "payload of type ?"
