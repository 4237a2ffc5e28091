"""Slack request bodies parsed into small typed payloads; anything malformed is a PayloadError."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

MAX_ID_CHARS = 255
MAX_TEXT_CHARS = 40_000  # Slack's own limit for a message


class PayloadError(ValueError):
    """The body is not a Slack payload Frontline understands (answered with 400)."""


@dataclass(frozen=True, slots=True)
class Actor:
    """Who did something, in which workspace; `name` is Slack's handle, a fallback only."""

    team_id: str
    user_id: str
    name: str = ""


@dataclass(frozen=True, slots=True)
class SlashCommand:
    actor: Actor
    command: str
    text: str
    channel_id: str
    trigger_id: str
    response_url: str | None
    private: bool = False  # a DM, a group DM or a private channel


@dataclass(frozen=True, slots=True)
class MessageShortcut:
    actor: Actor
    callback_id: str
    trigger_id: str
    channel_id: str
    message_ts: str
    thread_ts: str | None
    message_text: str
    response_url: str | None


@dataclass(frozen=True, slots=True)
class ButtonPress:
    """A button pressed on a message, in App Home or in a modal."""

    actor: Actor
    action_id: str
    value: str
    action_ts: str
    trigger_id: str
    channel_id: str | None
    message_ts: str | None
    thread_ts: str | None
    view_id: str | None
    from_home: bool
    response_url: str | None

    @property
    def container(self) -> str:
        """What the button sits on: a message or a view."""
        return self.message_ts or self.view_id or "unknown"


@dataclass(frozen=True, slots=True)
class ViewSubmission:
    actor: Actor
    callback_id: str
    view_id: str
    private_metadata: str
    values: dict[str, dict[str, Any]]

    def value(self, block_id: str) -> str:
        """The submitted value of the input block `block_id` ("" when empty)."""
        state = self.values.get(block_id, {}).get("value")
        if not isinstance(state, dict):
            return ""
        if isinstance(state.get("value"), str):
            return str(state["value"])
        option = state.get("selected_option")
        if isinstance(option, dict) and isinstance(option.get("value"), str):
            return str(option["value"])
        if isinstance(state.get("selected_conversation"), str):
            return str(state["selected_conversation"])
        return ""


@dataclass(frozen=True, slots=True)
class ChatEvent:
    """A message, mention, reaction or App Home visit, from the Events API."""

    event_id: str
    type: str
    actor: Actor
    channel_id: str
    ts: str
    thread_ts: str | None = None
    text: str = ""
    reaction: str = ""
    tab: str = ""
    from_bot: bool = False
    subtype: str | None = None
    private: bool = False  # written in a DM, a group DM or a private channel


def parse_http_body(content_type: str, raw: bytes) -> dict[str, Any]:
    """The body as a dict: JSON (events), a form (commands) or `payload=` (interactivity)."""
    media = content_type.split(";", 1)[0].strip().lower()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise PayloadError("the body is not UTF-8") from None
    if media == "application/json":
        return _json_object(text, "the JSON body")
    if media != "application/x-www-form-urlencoded":
        raise PayloadError(f"unsupported content type {media or 'none'!r}")
    try:
        form = parse_qs(text, keep_blank_values=True, strict_parsing=bool(text))
    except ValueError:
        raise PayloadError("the form body is malformed") from None
    fields = {name: values[0] for name, values in form.items()}
    if "payload" in fields:
        return _json_object(fields["payload"], "the `payload` field")
    if "command" in fields or "ssl_check" in fields:
        return fields
    raise PayloadError("the form has neither `command` nor `payload`")


def _json_object(text: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        raise PayloadError(f"{what} is not valid JSON") from None
    if not isinstance(value, dict):
        raise PayloadError(f"{what} is not a JSON object")
    return value


def parse_slash_command(body: dict[str, Any]) -> SlashCommand:
    actor = Actor(_id(body, "team_id"), _id(body, "user_id"), _text(body, "user_name"))
    return SlashCommand(
        actor=actor,
        command=_id(body, "command"),
        text=_typed_text(body, "text"),
        channel_id=_id(body, "channel_id"),
        trigger_id=_id(body, "trigger_id"),
        response_url=_text(body, "response_url") or None,
        private=is_private(_id(body, "channel_id"), name=_text(body, "channel_name")),
    )


_PRIVATE_NAMES = ("directmessage", "privategroup")
_PRIVATE_TYPES = ("im", "mpim", "group", "private_channel")


def is_private(channel_id: str, *, name: str = "", kind: str = "") -> bool:
    """Whether a conversation is not a public channel, from what the payload says of it.

    Slash commands name DMs `directmessage`, private channels `privategroup` and group DMs
    `mpdm-…`; message events give `channel_type`; ids starting with D (DMs) and G (older private
    channels and group DMs) say it where nothing else does.
    """
    return (
        name in _PRIVATE_NAMES
        or name.startswith("mpdm-")
        or kind in _PRIVATE_TYPES
        or channel_id[:1] in ("D", "G")
    )


def parse_message_shortcut(body: dict[str, Any]) -> MessageShortcut:
    message = _object(body, "message")
    return MessageShortcut(
        actor=_interaction_actor(body),
        callback_id=_id(body, "callback_id"),
        trigger_id=_id(body, "trigger_id"),
        channel_id=_id(_object(body, "channel"), "id"),
        message_ts=_id(message, "ts"),
        thread_ts=_optional_id(message, "thread_ts"),
        message_text=_typed_text(message, "text"),
        response_url=_text(body, "response_url") or None,
    )


def parse_button_press(body: dict[str, Any]) -> ButtonPress:
    actions = body.get("actions")
    if not isinstance(actions, list) or not actions or not isinstance(actions[0], dict):
        raise PayloadError("`actions` must be a non-empty list of objects")
    action = actions[0]
    view = body.get("view") if isinstance(body.get("view"), dict) else None
    message = body.get("message") if isinstance(body.get("message"), dict) else None
    channel = body.get("channel") if isinstance(body.get("channel"), dict) else None
    return ButtonPress(
        actor=_interaction_actor(body),
        action_id=_id(action, "action_id"),
        value=_text(action, "value"),
        action_ts=_id(action, "action_ts"),
        trigger_id=_id(body, "trigger_id"),
        channel_id=_optional_id(channel, "id") if channel else None,
        message_ts=_optional_id(message, "ts") if message else None,
        thread_ts=_optional_id(message, "thread_ts") if message else None,
        view_id=_optional_id(view, "id") if view else None,
        from_home=bool(view and view.get("type") == "home"),
        response_url=_text(body, "response_url") or None,
    )


def parse_view_submission(body: dict[str, Any]) -> ViewSubmission:
    view = _object(body, "view")
    state = view.get("state", {})
    values = state.get("values", {}) if isinstance(state, dict) else None
    if not isinstance(values, dict) or not all(isinstance(v, dict) for v in values.values()):
        raise PayloadError("`view.state.values` must be an object of objects")
    return ViewSubmission(
        actor=_interaction_actor(body),
        callback_id=_id(view, "callback_id"),
        view_id=_id(view, "id"),
        private_metadata=_text(view, "private_metadata"),
        values=values,
    )


def parse_event(body: dict[str, Any]) -> ChatEvent:
    """The inner event of an `event_callback` envelope."""
    event = _object(body, "event")
    kind = _id(event, "type")
    team_id = _id(body, "team_id")
    event_id = _id(body, "event_id")
    if kind == "app_home_opened":
        actor = Actor(team_id, _id(event, "user"))
        return ChatEvent(
            event_id,
            kind,
            actor,
            _text(event, "channel"),
            _text(event, "event_ts"),
            tab=_text(event, "tab"),
        )
    if kind == "reaction_added":
        item = _object(event, "item")
        actor = Actor(team_id, _id(event, "user"))
        if item.get("type") != "message":
            return ChatEvent(event_id, kind, actor, "", "", reaction=_text(event, "reaction"))
        return ChatEvent(
            event_id,
            kind,
            actor,
            _id(item, "channel"),
            _id(item, "ts"),
            reaction=_id(event, "reaction"),
        )
    if kind in ("app_mention", "message"):
        subtype = _optional_id(event, "subtype")
        from_bot = bool(event.get("bot_id")) or subtype == "bot_message"
        user = _optional_id(event, "user")
        if user is None or (subtype is not None and subtype != "thread_broadcast"):
            # Edits, deletions, joins and bot posts carry no person acting; nothing to do.
            return ChatEvent(
                event_id, kind, Actor(team_id, user or ""), "", "", from_bot=True, subtype=subtype
            )
        return ChatEvent(
            event_id,
            kind,
            Actor(team_id, user),
            _id(event, "channel"),
            _id(event, "ts"),
            thread_ts=_optional_id(event, "thread_ts"),
            text=_text(event, "text"),
            from_bot=from_bot,
            subtype=subtype,
            private=is_private(_id(event, "channel"), kind=_text(event, "channel_type")),
        )
    return ChatEvent(event_id, kind, Actor(team_id, _text(event, "user")), "", "")


def _interaction_actor(body: dict[str, Any]) -> Actor:
    user = _object(body, "user")
    team = body.get("team") if isinstance(body.get("team"), dict) else None
    # Org-wide installs send `team: null`; the user's own workspace is then the one to use.
    team_id = _optional_id(team, "id") if team else None
    team_id = team_id or _id(user, "team_id")
    name = _text(user, "username") or _text(user, "name")
    return Actor(team_id, _id(user, "id"), name)


def _object(container: dict[str, Any], key: str) -> dict[str, Any]:
    value = container.get(key)
    if not isinstance(value, dict):
        raise PayloadError(f"`{key}` must be an object")
    return value


def _id(container: dict[str, Any], key: str) -> str:
    value = container.get(key)
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_ID_CHARS:
        raise PayloadError(
            f"`{key}` must be a non-empty string of at most {MAX_ID_CHARS} characters"
        )
    return value


def _optional_id(container: dict[str, Any], key: str) -> str | None:
    if container.get(key) in (None, ""):
        return None
    return _id(container, key)


def _text(container: dict[str, Any], key: str, *, required: bool = False) -> str:
    value = container.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or len(value) > MAX_TEXT_CHARS:
        raise PayloadError(f"`{key}` must be a string of at most {MAX_TEXT_CHARS} characters")
    return value


def _typed_text(container: dict[str, Any], key: str) -> str:
    """What a person typed, of any length: too long is answered, not refused as malformed.

    The request's size is bounded anyway (`MAX_BODY_BYTES` over HTTP).
    """
    value = container.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise PayloadError(f"`{key}` must be a string")
    return value
