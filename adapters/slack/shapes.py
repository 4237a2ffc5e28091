"""Whether a signed Slack body is safe to hand to Bolt, and whether Frontline handles its kind.

Bolt reads ids out of every payload before any listener runs (`team`, `user`, `channel`,
`view.type`, `response_urls`…) and fails with a 500 on odd shapes. Everything it reads is
checked here first; the listeners then parse what they use with `adapters.slack.payloads`.
"""

from __future__ import annotations

from typing import Any

from adapters.slack.payloads import (
    PayloadError,
    _id,
    _text,
    parse_button_press,
    parse_event,
    parse_message_shortcut,
    parse_slash_command,
    parse_view_submission,
)

# Interactive payload kinds Bolt dispatches to Frontline's listeners; Slack sends others
# (interactive_message, block_suggestion, view_closed, shortcut, app_rate_limited…) that
# Frontline does not use: they are answered 200 and go no further (`adapters.slack.unhandled`).
HANDLED_KINDS = (
    "event_callback",
    "url_verification",
    "block_actions",
    "message_action",
    "view_submission",
)
# Keys Bolt itself reads from a payload before any listener runs: each is an object (or null)
# whose own ids are strings. Anything else would fail inside Bolt, with a 500.
_ENVELOPE_OBJECTS = ("team", "enterprise", "user", "channel", "container", "message", "view")
_ENVELOPE_TEXTS = (
    "token",
    "api_app_id",
    "team_id",
    "enterprise_id",
    "user_id",
    "channel_id",
    "event_id",
    "trigger_id",
    "response_url",
    "callback_id",
    "type",
)


def check_body(body: dict[str, Any]) -> bool:
    """Raise PayloadError unless the body has the shape its kind needs.

    Returns False for a well-formed payload of a kind Frontline does not handle.
    """
    _check_envelope(body)
    if "command" in body:
        parse_slash_command(body)
        return True
    if "ssl_check" in body:
        return True
    kind = body.get("type")
    if not isinstance(kind, str):
        raise PayloadError("the body has no `type`")
    if kind not in HANDLED_KINDS:
        return False
    if kind == "event_callback":
        parse_event(body)
    elif kind == "url_verification":
        _text(body, "challenge", required=True)
    elif kind == "block_actions":
        parse_button_press(body)
    elif kind == "message_action":
        parse_message_shortcut(body)
    elif kind == "view_submission":
        parse_view_submission(body)
    return True


def _check_envelope(body: dict[str, Any]) -> None:
    for key in _ENVELOPE_TEXTS:
        if body.get(key) is not None:
            _text(body, key)
    for key in _ENVELOPE_OBJECTS:
        if body.get(key) is not None and not isinstance(body[key], dict):
            raise PayloadError(f"`{key}` must be an object")
    _check_who_and_where(body)
    if isinstance(body.get("view"), dict):
        _id(body["view"], "type")  # Bolt tells modals from App Home by it
        _check_who_and_where(body["view"])
    if "response_urls" in body and not isinstance(body["response_urls"], list):
        raise PayloadError("`response_urls` must be a list")  # Bolt takes its length
    for key in ("authorizations", "actions", "response_urls"):
        items = body.get(key)
        if items is not None and not (
            isinstance(items, list) and all(isinstance(item, dict) for item in items)
        ):
            raise PayloadError(f"`{key}` must be a list of objects")
    for authorization in body.get("authorizations") or ():
        _check_who_and_where(authorization)
    event = body.get("event")
    if event is not None and not isinstance(event, dict):
        raise PayloadError("`event` must be an object")
    if isinstance(event, dict):
        _check_who_and_where(event)
        for key in ("message", "previous_message", "item", "assistant_thread"):
            inner = event.get(key)
            if inner is not None and not isinstance(inner, dict):
                raise PayloadError(f"`event.{key}` must be an object")
            if isinstance(inner, dict):
                _check_who_and_where(inner)


def _check_who_and_where(container: dict[str, Any]) -> None:
    """Bolt reads `user`, `channel`, `team` and `enterprise` as an id or an object with one."""
    for key in ("user", "channel", "team", "enterprise"):
        value = container.get(key)
        if value is None or isinstance(value, str):
            continue
        if not isinstance(value, dict):
            raise PayloadError(f"`{key}` must be an id or an object")
        for inner in ("id", "team_id", "enterprise_id", "name", "username", "domain"):
            if value.get(inner) is not None:
                _text(value, inner)
    for key in ("team_id", "enterprise_id", "user_id", "channel_id", "app_installed_team_id"):
        if container.get(key) is not None:
            _text(container, key)
    if not isinstance(container.get("is_enterprise_install", False), bool | str):
        raise PayloadError("`is_enterprise_install` must be true or false")
