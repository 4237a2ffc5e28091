"""The platform-neutral message model that each adapter renders into its own format.

Text uses a tiny, platform-neutral markup that every adapter knows how to render:
`*bold*`, `_italic_`, `<@USER_ID>` for a mention, `<#CHANNEL_ID>` for a channel,
`<URL|label>` for a link and
`<!date^EPOCH^FORMAT|fallback>` for a time the platform renders live for each reader (Slack's
date formatting, e.g. `{ago}`; elsewhere the fallback). `&amp;`, `&lt;` and `&gt;` stand for
`&`, `<` and `>` (text that came from Slack is escaped that way). Adapters translate it (Slack
mrkdwn is the same; Teams and the console convert it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class ButtonStyle(StrEnum):
    DEFAULT = "default"
    PRIMARY = "primary"
    DANGER = "danger"


@dataclass(frozen=True, slots=True)
class Button:
    """A button; pressing it sends `action_id` and `value` back to the core."""

    label: str
    action_id: str
    value: str
    style: ButtonStyle = ButtonStyle.DEFAULT


@dataclass(frozen=True, slots=True)
class Field:
    """A labelled value shown in a message's field grid."""

    label: str
    value: str


@dataclass(frozen=True, slots=True)
class Image:
    """A picture sent with a message (a digest's chart): PNG bytes, with words for who cannot
    see it."""

    png: bytes
    filename: str
    title: str
    alt: str


@dataclass(frozen=True, slots=True)
class Message:
    """What the bot says: a headline text, optional fields, buttons and a footer line."""

    text: str
    fields: tuple[Field, ...] = ()
    buttons: tuple[Button, ...] = ()
    footer: str | None = None
    image: Image | None = None


@dataclass(frozen=True, slots=True)
class Conversation:
    """A place messages can go: a channel (or chat) on one platform in one workspace."""

    platform: str
    workspace_id: str
    channel_id: str


@dataclass(frozen=True, slots=True)
class MessageRef:
    """A message the bot (or someone) posted; `thread_id` is set when it lives in a thread."""

    conversation: Conversation
    message_id: str
    thread_id: str | None = None

    @property
    def thread_root(self) -> str:
        """The id of the thread this message belongs to (itself when it is a root message)."""
        return self.thread_id or self.message_id


@dataclass(frozen=True, slots=True)
class Person:
    """Someone on a chat platform, as the core knows them."""

    platform: str
    workspace_id: str
    user_id: str
    display_name: str = ""

    @property
    def mention(self) -> str:
        return f"<@{self.user_id}>"


@dataclass(frozen=True, slots=True)
class Where:
    """Where a person did something: the conversation and, inside threads, the thread root."""

    conversation: Conversation
    thread_id: str | None = None
    message_id: str | None = None
    # A DM, a group chat or a private channel: words raised here are never quoted elsewhere.
    private: bool = False


@dataclass(frozen=True, slots=True)
class Reply:
    """The answer to the person who acted, shown only to them where the platform allows."""

    message: Message
    open_form: bool = field(default=False)
    # Set when the answer speaks of the flag's escalation post: it is delivered after the post,
    # and the text's `bot.outbox.models.POST_LINK` becomes a link to it.
    after_post_of: int | None = None
