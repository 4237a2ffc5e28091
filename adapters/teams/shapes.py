"""The shape of an incoming activity, checked before the SDK or Frontline reads it.

Teams sends well-formed activities; anything else (a broken client, a probe) gets a 400 and
one WARNING line, never a traceback. Only the fields Frontline or botbuilder read are checked.
"""

from __future__ import annotations

from typing import Any

MAX_ID_CHARS = 1024
# Activities that come from a person (or install the bot for one): they must say who.
ACTING_TYPES = ("message", "invoke", "messageReaction", "conversationUpdate")
# Activities Frontline answers or deduplicates by their id.
ANSWERED_TYPES = ("message", "invoke", "messageReaction")


class ActivityShapeError(ValueError):
    """What is wrong with an activity, in words for the log and the 400."""


def check_activity(body: dict[str, Any]) -> None:
    """Raise ActivityShapeError unless `body` has the shape Frontline and the SDK rely on."""
    kind = _text(body, "type", required=True)
    for key in ("id", "name", "text", "replyToId", "channelId", "serviceUrl", "locale"):
        _text(body, key)
    if kind in ANSWERED_TYPES:
        _id(body, "id", "id")  # answers reply to it, and a redelivery is known by it
    conversation = _object(body, "conversation", required=True) or {}
    _id(conversation, "id", "conversation.id")
    for key in ("tenantId", "conversationType", "name"):
        _text(conversation, key, f"conversation.{key}")
    sender = _object(body, "from", required=kind in ACTING_TYPES)
    if sender is not None:
        _id(sender, "id", "from.id")
        for key in ("name", "aadObjectId", "role"):
            _text(sender, key, f"from.{key}")
    recipient = _object(body, "recipient")
    if recipient is not None:
        _text(recipient, "id", "recipient.id")
    channel_data = _object(body, "channelData")
    if channel_data is not None:
        for key in ("team", "channel", "tenant", "settings", "eventType"):
            inner = channel_data.get(key)
            if key == "eventType":
                _text(channel_data, key, "channelData.eventType")
            elif inner is not None:
                if not isinstance(inner, dict):
                    raise ActivityShapeError(f"channelData.{key} must be an object")
                _text(inner, "id", f"channelData.{key}.id")
                _text(inner, "name", f"channelData.{key}.name")
        _text(channel_data, "teamsChannelId", "channelData.teamsChannelId")
        _text(channel_data, "teamsTeamId", "channelData.teamsTeamId")
    for key in (
        "entities",
        "attachments",
        "membersAdded",
        "membersRemoved",
        "reactionsAdded",
        "reactionsRemoved",
    ):
        items = body.get(key)
        if items is None:
            continue
        if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
            raise ActivityShapeError(f"{key} must be a list of objects")
        for item in items:
            for inner in ("id", "type", "contentType", "aadObjectId", "name", "text"):
                _text(item, inner, f"{key}[].{inner}")
            mentioned = item.get("mentioned")
            if mentioned is not None and not isinstance(mentioned, dict):
                raise ActivityShapeError(f"{key}[].mentioned must be an object")
            if isinstance(mentioned, dict):
                for inner in ("id", "name", "aadObjectId"):
                    _text(mentioned, inner, f"{key}[].mentioned.{inner}")


def _object(body: dict[str, Any], key: str, *, required: bool = False) -> dict[str, Any] | None:
    value = body.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, dict):
        raise ActivityShapeError(f"{key} must be an object")
    return value


def _id(container: dict[str, Any], key: str, label: str) -> str:
    value = container.get(key)
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_ID_CHARS:
        raise ActivityShapeError(f"{label} must be a non-empty string")
    return value


def _text(
    container: dict[str, Any], key: str, label: str | None = None, *, required: bool = False
) -> str | None:
    value = container.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise ActivityShapeError(f"{label or key} must be a string")
    return value
