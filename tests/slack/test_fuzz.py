"""Signed random Slack payloads of every kind through the real endpoint: never a 5xx, never ERROR.

Hypothesis starts from each captured payload and breaks it: values replaced by any JSON value,
keys dropped, the payload's `type` swapped for another kind Slack sends. Every body is properly
signed, so it passes the signature check and reaches the shape checks and Bolt.
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzzing import broken, json_values
from tests.slack.driver import SlackDriver, fixture

FORM = "application/x-www-form-urlencoded"
INTERACTIVE = (
    "block_actions_home",
    "block_actions_message",
    "message_action",
    "view_submission_flag_form",
    "view_submission_resolve_note",
)
EVENTS = (
    "event_app_home_opened",
    "event_app_mention",
    "event_message_thread_reply",
    "event_reaction_added",
    "url_verification",
)
SLACK_TYPES = (
    "block_actions",
    "block_suggestion",
    "dialog_cancellation",
    "dialog_submission",
    "event_callback",
    "interactive_message",
    "message_action",
    "shortcut",
    "url_verification",
    "view_closed",
    "view_submission",
    "app_rate_limited",
    "workflow_step_edit",
)

bodies = st.one_of(
    st.sampled_from(INTERACTIVE)
    .flatmap(lambda name: broken(fixture(name), SLACK_TYPES))
    .map(lambda payload: (urlencode({"payload": json.dumps(payload)}).encode(), FORM)),
    st.sampled_from(EVENTS)
    .flatmap(lambda name: broken(fixture(name), SLACK_TYPES))
    .map(lambda payload: (json.dumps(payload).encode(), "application/json")),
    broken(fixture("slash_command")).map(
        lambda form: (
            urlencode(
                {k: v if isinstance(v, str) else json.dumps(v) for k, v in form.items()}
            ).encode(),
            FORM,
        )
    ),
    st.builds(
        lambda kind, rest: (json.dumps({"type": kind, **rest}).encode(), "application/json"),
        st.sampled_from(SLACK_TYPES),
        st.dictionaries(st.sampled_from(["event", "team", "view", "actions"]), json_values),
    ),
)


@pytest.mark.timeout(90)
@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=bodies)
async def test_signed_random_payloads_never_get_a_5xx_nor_log_an_error(
    slack: SlackDriver, caplog: pytest.LogCaptureFixture, body: tuple[bytes, str]
) -> None:
    raw, content_type = body
    with caplog.at_level(logging.WARNING):
        response = await slack.post(raw, content_type)
        await slack.settle()
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    caplog.clear()
    assert response.status < 500, raw[:300]
    assert not errors, [r.getMessage() for r in errors]


def _with(name: str, **changes: Any) -> dict[str, Any]:
    payload = fixture(name)
    payload.update(changes)
    return payload


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        (_with("block_actions_message", channel=True), 400),
        (_with("block_actions_message", team=1), 400),
        (
            _with(
                "view_submission_flag_form",
                view={
                    k: v
                    for k, v in fixture("view_submission_flag_form")["view"].items()
                    if k != "type"
                },
            ),
            400,
        ),
        ({**fixture("message_action"), "type": "interactive_message"}, 200),
        ({"type": "app_rate_limited", "event": None}, 200),
    ],
    ids=["channel-true", "team-1", "view-without-type", "interactive-message", "rate-limited"],
)
async def test_the_shapes_that_once_got_a_500(
    slack: SlackDriver, caplog: pytest.LogCaptureFixture, payload: dict[str, Any], status: int
) -> None:
    if payload.get("type") == "app_rate_limited":
        response = await slack.post(json.dumps(payload).encode(), "application/json")
    else:
        response = await slack.interactive(payload)
    await slack.settle()
    assert response.status == status
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert await slack.flag_count() == 0
