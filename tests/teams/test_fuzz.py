"""Random Teams activities through the real /api/messages: never a 5xx, never an ERROR log.

Hypothesis breaks captured activities (values replaced by any JSON value, keys dropped, the
type or invoke name swapped) and sends them with authentication off, as a local test bot has it.
"""

from __future__ import annotations

import itertools
import logging
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzzing import broken
from tests.teams.harness import Teams, fixture

ACTIVITIES = (
    "conversation-update-bot-added-to-team",
    "conversation-update-bot-installed-personal",
    "invoke-adaptive-card-action",
    "invoke-adaptive-card-form",
    "invoke-message-extension-fetch-task",
    "invoke-message-extension-submit-action",
    "message-channel-mention",
    "message-channel-reply",
    "message-personal",
    "message-reaction-added",
)
TYPES = ("message", "invoke", "conversationUpdate", "messageReaction", "event", "typing", "trace")
INVOKE_NAMES = (
    "adaptiveCard/action",
    "composeExtension/fetchTask",
    "composeExtension/submitAction",
    "composeExtension/query",
    "task/fetch",
    "task/submit",
    "config/fetch",
    "signin/verifyState",
    "something/else",
)
_IDS = itertools.count(1)


@st.composite
def activities(draw: st.DrawFn) -> dict[str, Any]:
    activity = draw(broken(fixture(draw(st.sampled_from(ACTIVITIES))), TYPES))
    if draw(st.integers(0, 3)) == 0:
        activity["name"] = draw(st.sampled_from(INVOKE_NAMES) | st.none())
    if isinstance(activity.get("id"), str):
        activity["id"] = f"{activity['id']}-{next(_IDS)}"  # each a new activity
    return activity


@pytest.mark.timeout(90)
@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(activity=activities())
async def test_random_activities_never_get_a_5xx_nor_log_an_error(
    teams: Teams, caplog: pytest.LogCaptureFixture, activity: dict[str, Any]
) -> None:
    with caplog.at_level(logging.WARNING):
        status, _ = await teams.send(activity)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    caplog.clear()
    assert status < 500, activity
    assert not errors, [r.getMessage() for r in errors]


def _without(name: str, *path: str) -> dict[str, Any]:
    activity = fixture(name)
    target = activity
    for part in path[:-1]:
        target = target[part]
    del target[path[-1]]
    return activity


@pytest.mark.parametrize(
    "activity",
    [_without("message-personal", "from"), _without("message-personal", "conversation", "id")],
    ids=["no-from", "no-conversation-id"],
)
async def test_an_activity_that_does_not_say_who_or_where_is_a_400_without_a_traceback(
    teams: Teams, caplog: pytest.LogCaptureFixture, activity: dict[str, Any]
) -> None:
    status, body = await teams.send(activity)
    assert status == 400 and "malformed activity" in body["error"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize(
    "name",
    ["composeExtension/query", "task/fetch", "config/fetch", "signin/verifyState", "x/y", None],
)
async def test_invokes_frontline_does_not_use_are_answered_200(
    teams: Teams, name: str | None
) -> None:
    activity = fixture("invoke-adaptive-card-action")
    activity["name"] = name
    activity["value"] = {}
    status, body = await teams.send(activity)
    assert status == 200
    if name == "task/fetch":
        assert body["task"]["type"] == "message"
