"""Reading Bot Framework activities from Teams: who acted, where, and what they typed."""

from __future__ import annotations

import html
import re
from typing import Any

from botbuilder.schema import Activity, ChannelAccount

from bot.messages import Conversation, Person, Where

PLATFORM = "teams"
THREAD_MARK = ";messageid="
PERSONAL = "personal"
CHANNEL = "channel"

_AT_TAG = re.compile(r"<at(?:\s[^>]*)?>(.*?)</at>", re.IGNORECASE | re.DOTALL)
_HTML_TAG = re.compile(r"</?[a-zA-Z][^<>]*>")
_LINE_BREAK = re.compile(r"<br\s*/?>|</p>|</div>", re.IGNORECASE)


def split_conversation_id(conversation_id: str) -> tuple[str, str | None]:
    """`19:x@thread.tacv2;messageid=123` → (`19:x@thread.tacv2`, `123`); no thread → None."""
    base, _, root = conversation_id.partition(THREAD_MARK)
    return base, (root or None)


def thread_conversation_id(channel_id: str, root_id: str) -> str:
    """The conversation id of a channel message's reply chain."""
    return f"{channel_id}{THREAD_MARK}{root_id}"


def is_channel_id(conversation_id: str) -> bool:
    """Whether a conversation id is a team channel's (chats end in @thread.v2, DMs start a:)."""
    base, _ = split_conversation_id(conversation_id)
    return base.endswith(("@thread.tacv2", "@thread.skype"))


def channel_data(activity: Activity) -> dict[str, Any]:
    data = activity.channel_data
    return data if isinstance(data, dict) else {}


def nested_id(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    if isinstance(value, dict) and isinstance(value.get("id"), str) and value["id"]:
        return str(value["id"])
    return None


def tenant_of(activity: Activity) -> str:
    """The tenant the activity belongs to: Frontline's workspace id on Teams."""
    tenant = nested_id(channel_data(activity), "tenant")
    if tenant:
        return tenant
    conversation = activity.conversation
    return (conversation.tenant_id if conversation is not None else None) or ""


def team_of(activity: Activity) -> str | None:
    """The team id of a channel activity (the roster lives there), else None."""
    return nested_id(channel_data(activity), "team")


def conversation_type_of(activity: Activity) -> str:
    conversation = activity.conversation
    kind = conversation.conversation_type if conversation is not None else None
    if kind:
        return str(kind)
    if conversation is not None and conversation.id and is_channel_id(conversation.id):
        return CHANNEL
    return PERSONAL if conversation is not None and not conversation.is_group else "groupChat"


def is_bot(account: ChannelAccount | None) -> bool:
    """Teams gives bots ids starting `28:` (people's start `29:`)."""
    return account is not None and str(account.id or "").startswith("28:")


def user_id_of(account: ChannelAccount) -> str:
    """The id the core knows a Teams user by: the AAD object id when present, else the Teams id."""
    return str(account.aad_object_id or account.id or "")


def conversation_of(activity: Activity) -> Conversation:
    """The conversation (channel or chat, without its reply-chain suffix) of an activity."""
    base, _ = split_conversation_id(activity.conversation.id if activity.conversation else "")
    return Conversation(PLATFORM, tenant_of(activity), base)


def where_of(activity: Activity) -> Where:
    """Where the activity happened; inside a reply chain `thread_id` is the chain's root message."""
    base, root = split_conversation_id(activity.conversation.id if activity.conversation else "")
    thread = root if root and root != activity.id else None
    if thread is None and activity.reply_to_id and conversation_type_of(activity) == CHANNEL:
        thread = str(activity.reply_to_id)
    # A personal chat or a group chat is private; a channel is not (Teams' private channels
    # are not told apart in the activity).
    private = conversation_type_of(activity) != CHANNEL
    return Where(
        Conversation(PLATFORM, tenant_of(activity), base), thread, activity.id, private=private
    )


def person_of(activity: Activity, account: ChannelAccount, name: str) -> Person:
    return Person(PLATFORM, tenant_of(activity), user_id_of(account), name)


def mentions_of(activity: Activity) -> list[tuple[str, str, str]]:
    """Every mention entity as (mentioned Teams id, AAD id or "", the `<at>…</at>` text)."""
    found = []
    for entity in activity.entities or []:
        if getattr(entity, "type", None) != "mention":
            continue
        props = getattr(entity, "additional_properties", None) or {}
        mentioned = props.get("mentioned") or {}
        if isinstance(mentioned, dict) and isinstance(props.get("text"), str):
            teams_id = str(mentioned.get("id") or "")
            aad_id = str(mentioned.get("aadObjectId") or "")
            found.append((teams_id, aad_id, str(props["text"])))
    return found


def bot_was_mentioned(activity: Activity) -> bool:
    bot_id = activity.recipient.id if activity.recipient else None
    return any(teams_id == bot_id for teams_id, _, _ in mentions_of(activity))


def typed_text(activity: Activity) -> str:
    """What the person typed, in the core's markup: bot mention removed, people as `<@id>`."""
    text = activity.text or ""
    bot_id = activity.recipient.id if activity.recipient else None
    for teams_id, aad_id, tag in mentions_of(activity):
        text = text.replace(tag, " " if teams_id == bot_id else f"<@{aad_id or teams_id}>")
    return html_to_text(text)


def html_to_text(content: str) -> str:
    """Plain text of a Teams message body: tags dropped, entities decoded, lines kept."""
    text = _LINE_BREAK.sub("\n", content)
    text = _AT_TAG.sub(r"\1", text)
    text = _HTML_TAG.sub("", text)
    text = html.unescape(text).replace("\xa0", " ")
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line).strip()
