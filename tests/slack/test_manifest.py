"""manifest.yml and the code agree: everything declared is handled, everything handled declared."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import yaml

from adapters.slack.endpoint import EVENTS_PATH
from adapters.slack.listeners import LISTENED
from adapters.slack.modals import VIEW_CALLBACKS
from bot.actions import ActionId
from bot.messages import Conversation, Image, Message, Person
from bot.outbox.models import Outgoing
from tests.slack.driver import AGENT, ESCALATIONS, OTHER_MANAGER, SlackDriver, fixture
from tests.slack.fake_slack import TEAM_ID

MANIFEST = Path(__file__).parents[2] / "manifest.yml"
# Manifest event names → the Events API `type` Bolt listens for.
EVENT_TYPES = {"message.channels": "message", "message.groups": "message"}
# The scope each subscribed event needs.
EVENT_SCOPES = {
    "app_home_opened": None,
    "app_mention": "app_mentions:read",
    "message.channels": "channels:history",
    "message.groups": "groups:history",
    "reaction_added": "reactions:read",
}
# The scope each Web API method the adapter calls needs (None: no scope).
METHOD_SCOPES = {
    "auth.test": None,
    "chat.getPermalink": None,
    "chat.postEphemeral": "chat:write",
    "chat.postMessage": "chat:write",
    "chat.update": "chat:write",
    "conversations.join": "channels:join",
    "conversations.open": "im:write",
    # Looking for a message whose sending ended without an answer: in a public or private
    # channel, or in the app's DM with someone.
    "conversations.history": ("channels:history", "groups:history", "im:history"),
    "conversations.replies": ("channels:history", "groups:history"),
    # Who is in a conversation, for who may see and change a flag raised there.
    "conversations.members": ("channels:read", "groups:read", "mpim:read"),
    # A message with an image (a digest's chart) is a file upload.
    "files.getUploadURLExternal": "files:write",
    "files.completeUploadExternal": "files:write",
    "users.info": "users:read",
    "views.open": None,
    "views.publish": None,
}


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    loaded = yaml.safe_load(MANIFEST.read_text())
    assert isinstance(loaded, dict)
    return loaded


def test_declared_commands_shortcuts_and_events_are_exactly_the_handled_ones(
    manifest: dict[str, Any],
) -> None:
    features, settings = manifest["features"], manifest["settings"]
    assert [c["command"] for c in features["slash_commands"]] == list(LISTENED.commands)
    shortcuts = features["shortcuts"]
    assert [s["callback_id"] for s in shortcuts] == list(LISTENED.message_shortcuts)
    assert all(s["type"] == "message" for s in shortcuts)
    events = settings["event_subscriptions"]["bot_events"]
    assert {EVENT_TYPES.get(e, e) for e in events} == set(LISTENED.events)


def test_actions_and_views_handled_are_the_ones_the_app_creates() -> None:
    assert set(LISTENED.actions) == {action.value for action in ActionId}
    assert set(LISTENED.view_callbacks) == set(VIEW_CALLBACKS)


def test_every_request_url_is_the_one_endpoint_and_features_are_on(
    manifest: dict[str, Any],
) -> None:
    settings, features = manifest["settings"], manifest["features"]
    urls = [
        *(c["url"] for c in features["slash_commands"]),
        settings["event_subscriptions"]["request_url"],
        settings["interactivity"]["request_url"],
    ]
    assert all(url.startswith("https://") and url.endswith(EVENTS_PATH) for url in urls)
    assert settings["interactivity"]["is_enabled"] is True
    assert features["app_home"]["home_tab_enabled"] is True  # app_home_opened is handled
    assert features["app_home"]["messages_tab_enabled"] is True  # DMs to reporters
    assert "socket_mode_enabled" in settings
    assert all(c.get("usage_hint") and c.get("description") for c in features["slash_commands"])
    assert features["bot_user"]["display_name"] == manifest["display_information"]["name"]
    assert 175 <= len(manifest["display_information"]["long_description"]) <= 4000


async def test_the_bolt_app_handles_every_declared_entry(
    slack: SlackDriver, manifest: dict[str, Any]
) -> None:
    requests: list[tuple[str, bytes, str]] = []
    for command in manifest["features"]["slash_commands"]:
        form = fixture("slash_command", command=command["command"], text="help")
        requests.append((command["command"], urlencode(form).encode(), "form"))
    for shortcut in manifest["features"]["shortcuts"]:
        payload = fixture("message_action", callback_id=shortcut["callback_id"])
        requests.append((shortcut["callback_id"], _interactive(payload), "form"))
    for action_id in LISTENED.actions:
        payload = fixture("block_actions_message", **{"actions.0.action_id": action_id})
        requests.append((action_id, _interactive(payload), "form"))
    for callback_id in LISTENED.view_callbacks:
        payload = fixture("view_submission_flag_form", **{"view.callback_id": callback_id})
        requests.append((callback_id, _interactive(payload), "form"))
    by_type = {
        "app_home_opened": "event_app_home_opened",
        "app_mention": "event_app_mention",
        "message": "event_message_thread_reply",
        "reaction_added": "event_reaction_added",
    }
    for event in manifest["settings"]["event_subscriptions"]["bot_events"]:
        envelope = fixture(by_type[EVENT_TYPES.get(event, event)], event_id=f"Ev-{event}")
        requests.append((event, json.dumps(envelope).encode(), "json"))

    for name, body, kind in requests:
        content_type = "application/json" if kind == "json" else "application/x-www-form-urlencoded"
        response = await slack.post(body, content_type)
        assert response.status == 200, f"{name} is declared but not handled"
    await slack.settle()


async def test_undeclared_commands_and_events_are_not_handled(slack: SlackDriver) -> None:
    # Acknowledged with an empty 200 and nothing done (tests/slack/test_unknown_requests.py).
    form = fixture("slash_command", command="/other")
    response = await slack.post(urlencode(form).encode(), "application/x-www-form-urlencoded")
    assert response.status == 200 and await response.text() == ""
    envelope = fixture("event_app_mention", **{"event.type": "member_joined_channel"})
    response = await slack.post(json.dumps(envelope).encode(), "application/json")
    assert response.status == 200 and await response.text() == ""
    await slack.settle()
    assert slack.fake.methods() == ["auth.test"]
    listeners = len(slack.adapter.bolt._async_listeners)
    handled = LISTENED.commands + LISTENED.message_shortcuts + LISTENED.actions
    # + one listener for unknown buttons (answered, not ignored) and the view and event ones
    assert listeners == len(handled) + 1 + len(LISTENED.view_callbacks) + len(LISTENED.events)


async def test_scopes_are_exactly_what_the_app_uses(
    slack: SlackDriver, manifest: dict[str, Any]
) -> None:
    """Run every kind of interaction, then hold the scopes to the Web API methods called."""
    slack.fake.not_member.add(ESCALATIONS)  # makes the gateway join the channel
    await slack.command("escalate checkout fails for all EU cards")
    await slack.settle()
    root = await slack.post_ts(1)
    await slack.interactive(fixture("message_action"))
    await slack.event(fixture("event_message_thread_reply", **{"event.thread_ts": root}))
    await slack.event(fixture("event_app_home_opened"))
    await slack.event(fixture("event_app_mention", **{"event.text": "<@U0FRONTBOT> flag help"}))
    await slack.command("show F-1", user=OTHER_MANAGER, channel="C0RANDOM01")  # who is where
    await slack.settle()
    # A post and a DM whose sending ended without an answer are looked for before a retry.
    since = slack.clock.now() - timedelta(minutes=2)
    channel = Conversation("slack", TEAM_ID, ESCALATIONS)
    post = Outgoing.post(channel, Message("x"), purpose="escalation post", flag_id=None)
    agent = Person("slack", TEAM_ID, AGENT)
    for outgoing in (post, Outgoing.direct(agent, Message("x"), purpose="direct message")):
        assert (await slack.adapter.gateway.find_sent(outgoing, "0", since)).known
    chart = Image(png=b"\x89PNG\r\n\x1a\n", filename="chart.png", title="Chart", alt="A chart")
    await slack.adapter.gateway.post(channel, Message("digest", image=chart), marker="1")
    assert slack.fake.files_in(ESCALATIONS)  # the upload went through
    # Not Web API methods: response URLs and the upload URL of a file.
    called = set(slack.fake.methods()) - {"response_url", "upload"}
    unknown = called - set(METHOD_SCOPES)
    assert not unknown, f"add the scopes of {unknown} to METHOD_SCOPES"
    used: set[str | None] = {"commands"}  # the command and the shortcut
    for method in called:
        scopes = METHOD_SCOPES[method]
        used |= set(scopes) if isinstance(scopes, tuple) else {scopes}
    used |= {EVENT_SCOPES[e] for e in manifest["settings"]["event_subscriptions"]["bot_events"]}
    used.discard(None)
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == used
    assert AGENT in slack.fake.called("conversations.open")[0].params["users"]


def _interactive(payload: dict[str, Any]) -> bytes:
    return urlencode({"payload": json.dumps(payload)}).encode()
