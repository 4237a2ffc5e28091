"""Outgoing messages as JSON for the outbox's `envelope` column, and back."""

from __future__ import annotations

import base64
from typing import Any

from bot.messages import (
    Button,
    ButtonStyle,
    Conversation,
    Field,
    Image,
    Message,
    MessageRef,
    Person,
)
from bot.outbox.models import Outgoing, OutgoingKind
from bot.silence.ladder import ClockKind


def message_to_json(message: Message) -> dict[str, Any]:
    data: dict[str, Any] = {
        "text": message.text,
        "fields": [[f.label, f.value] for f in message.fields],
        "buttons": [[b.label, b.action_id, b.value, b.style.value] for b in message.buttons],
        "footer": message.footer,
    }
    image = message.image
    if image is not None:
        png = base64.b64encode(image.png).decode("ascii")
        data["image"] = [png, image.filename, image.title, image.alt]
    return data


def message_from_json(data: dict[str, Any]) -> Message:
    return Message(
        text=str(data["text"]),
        fields=tuple(Field(str(label), str(value)) for label, value in data.get("fields", [])),
        buttons=tuple(
            Button(str(label), str(action), str(value), ButtonStyle(style))
            for label, action, value, style in data.get("buttons", [])
        ),
        footer=data.get("footer"),
        image=_image(data.get("image")),
    )


def _image(data: Any) -> Image | None:
    if not data:
        return None
    png, filename, title, alt = data
    return Image(base64.b64decode(png), str(filename), str(title), str(alt))


def ref_to_json(ref: MessageRef) -> dict[str, Any]:
    return {
        "channel_id": ref.conversation.channel_id,
        "message_id": ref.message_id,
        "thread_id": ref.thread_id,
    }


def ref_from_json(data: dict[str, Any], platform: str, workspace_id: str) -> MessageRef:
    conversation = Conversation(platform, workspace_id, str(data["channel_id"]))
    thread = data.get("thread_id")
    return MessageRef(conversation, str(data["message_id"]), str(thread) if thread else None)


def outgoing_to_json(outgoing: Outgoing) -> dict[str, Any]:
    person = outgoing.person
    return {
        "kind": outgoing.kind.value,
        "workspace_id": outgoing.workspace_id,
        "message": message_to_json(outgoing.message),
        "channel_id": outgoing.channel_id,
        "ref": ref_to_json(outgoing.ref) if outgoing.ref is not None else None,
        "person": [person.user_id, person.display_name] if person is not None else None,
        "route": dict(outgoing.route),
        "records_post": outgoing.records_post,
        "links_post": outgoing.links_post,
        "theme_id": outgoing.theme_id,
        "digest_id": outgoing.digest_id,
        "renders_post": outgoing.renders_post,
        "while_due": outgoing.while_due.value if outgoing.while_due else None,
    }


def outgoing_from_json(
    data: dict[str, Any], *, platform: str, purpose: str, flag_id: int | None
) -> Outgoing:
    workspace = str(data["workspace_id"])
    person = data.get("person")
    ref = data.get("ref")
    return Outgoing(
        kind=OutgoingKind(data["kind"]),
        platform=platform,
        workspace_id=workspace,
        message=message_from_json(data["message"]),
        purpose=purpose,
        channel_id=data.get("channel_id"),
        ref=ref_from_json(ref, platform, workspace) if ref else None,
        flag_id=flag_id,
        person=Person(platform, workspace, str(person[0]), str(person[1])) if person else None,
        route={str(k): str(v) for k, v in (data.get("route") or {}).items()},
        records_post=bool(data.get("records_post")),
        links_post=bool(data.get("links_post")),
        theme_id=int(data["theme_id"]) if data.get("theme_id") is not None else None,
        digest_id=int(data["digest_id"]) if data.get("digest_id") is not None else None,
        renders_post=bool(data.get("renders_post")),
        while_due=ClockKind(data["while_due"]) if data.get("while_due") else None,
    )
