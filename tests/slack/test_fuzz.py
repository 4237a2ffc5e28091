"""Signed random Slack payloads of every kind through the real endpoint: never a 5xx, never ERROR.

Hypothesis starts from each captured payload and breaks it: values replaced by any JSON value,
keys dropped, the payload's `type` swapped for another kind Slack sends. Every body is properly
signed, so it passes the signature check and reaches the shape checks and Bolt.
"""

from __future__ import annotations

import copy
import json
import logging
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside `value` (dict keys and list indexes)."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, inner in value.items():
            found.extend(_paths(inner, (*prefix, key)))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found.extend(_paths(inner, (*prefix, index)))
    return found


@st.composite
def broken(draw: st.DrawFn, base: dict[str, Any]) -> dict[str, Any]:
    """`base` with one to four of its values replaced or dropped, maybe its type swapped."""
    payload = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 4))):
        paths = _paths(payload)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent: Any = payload
        for part in path[:-1]:
            parent = parent[part]
        if isinstance(parent, dict) and draw(st.booleans()):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(json_values)
    if draw(st.integers(0, 3)) == 0:
        payload["type"] = draw(st.sampled_from(SLACK_TYPES) | st.text(max_size=10))
    return payload


bodies = st.one_of(
    st.sampled_from(INTERACTIVE).flatmap(lambda name: broken(fixture(name))).map(
        lambda payload: (urlencode({"payload": json.dumps(payload)}).encode(), FORM)
    ),
    st.sampled_from(EVENTS).flatmap(lambda name: broken(fixture(name))).map(
        lambda payload: (json.dumps(payload).encode(), "application/json")
    ),
    broken(fixture("slash_command")).map(
        lambda form: (
            urlencode({k: v if isinstance(v, str) else json.dumps(v) for k, v in form.items()})
            .encode(),
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
