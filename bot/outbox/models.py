"""What Frontline has to say, as data: recorded in the outbox, delivered by the worker.

A use case never sends; it records an `Outgoing` in its unit of work, in the same transaction
as the state change that caused it. The delivery worker (`bot.outbox.worker`) sends it later,
retries it, paces it, keeps it in order and reports it when it cannot be delivered.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from bot.messages import Conversation, Message, MessageRef, Person
from bot.silence.ladder import ClockKind

# In an answer's text, replaced at delivery by a link to the flag's escalation post.
POST_LINK = "{escalation_post}"


def without_post_link(message: Message) -> Message:
    """The message for a place where no link can follow (an answer given at once)."""
    if POST_LINK not in message.text:
        return message
    return replace(message, text=message.text.replace(POST_LINK, "the escalation channel"))


def flag_order(flag_id: int) -> str:
    """The order key of every message about one flag: delivered one at a time, in order."""
    return f"flag:{flag_id}"


class OutgoingKind(StrEnum):
    POST = "post"  # a new top-level message in a channel
    REPLY = "reply"  # a reply in a thread: of `ref`, else of the flag's post
    UPDATE = "update"  # `ref` (else the flag's post) replaced in place
    DIRECT = "direct"  # a private message to `person`
    ANSWER = "answer"  # to the person who acted, where they acted (`route`)


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    DEAD = "dead"  # given up: permanent refusal or out of attempts; reported
    SKIPPED = "skipped"  # nothing to do any more (its post never existed)


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message to deliver. Build with the class methods; they set the right fields."""

    kind: OutgoingKind
    platform: str
    workspace_id: str
    message: Message
    purpose: str  # what it is, in words for the timeline and logs: "escalation post"
    channel_id: str | None = None
    ref: MessageRef | None = None
    flag_id: int | None = None
    person: Person | None = None
    route: Mapping[str, str] = field(default_factory=dict)
    records_post: bool = False  # a POST whose delivered message becomes the flag's post
    links_post: bool = False  # its POST_LINK becomes a link to the flag's post at delivery
    theme_id: int | None = None  # a theme's routed post, its updates and thread lines
    digest_id: int | None = None  # a weekly digest's post, and its chart in the post's thread
    # An UPDATE of the flag's (or theme's) post drawn at delivery from it as it stands then
    # (`message` is empty until then): never stale, and nothing drawn in the caller's write.
    renders_post: bool = False
    # A reminder or nudge about one flag's clock: not delivered once that clock no longer
    # needs it (acknowledged, customer updated, snoozed, resolved meanwhile).
    while_due: ClockKind | None = None

    @classmethod
    def post(
        cls, conversation: Conversation, message: Message, *, purpose: str, flag_id: int | None
    ) -> Outgoing:
        return cls(
            OutgoingKind.POST,
            conversation.platform,
            conversation.workspace_id,
            message,
            purpose,
            channel_id=conversation.channel_id,
            flag_id=flag_id,
            records_post=flag_id is not None,
        )

    @classmethod
    def theme_post(cls, conversation: Conversation, message: Message, theme_id: int) -> Outgoing:
        """A theme's post in its owner channel; once delivered it becomes the theme's post."""
        return replace(
            cls.post(conversation, message, purpose="theme post", flag_id=None),
            theme_id=theme_id,
            records_post=True,
        )

    @classmethod
    def digest(
        cls, conversation: Conversation, message: Message, digest_id: int, *, purpose: str
    ) -> Outgoing:
        """A weekly digest's post; once delivered it becomes the digest's post."""
        return replace(
            cls.post(conversation, message, purpose=purpose, flag_id=None),
            digest_id=digest_id,
            records_post=True,
        )

    @classmethod
    def in_digest_thread(
        cls, conversation: Conversation, digest_id: int, message: Message, *, purpose: str
    ) -> Outgoing:
        """A reply in the thread of the digest's post (its chart), sent after the post."""
        return cls._on_post(OutgoingKind.REPLY, conversation, message, purpose, digest_id=digest_id)

    @classmethod
    def on_theme_post(
        cls,
        kind: OutgoingKind,
        conversation: Conversation,
        theme_id: int,
        message: Message,
        *,
        ref: MessageRef | None = None,
    ) -> Outgoing:
        """A thread reply under, or an update of, the theme's post (`ref`, else its post then)."""
        purpose = "theme thread line" if kind is OutgoingKind.REPLY else "theme post update"
        return cls._on_post(kind, conversation, message, purpose, ref=ref, theme_id=theme_id)

    @classmethod
    def theme_post_refresh(cls, conversation: Conversation, theme_id: int) -> Outgoing:
        """An update of the theme's post to show the theme as it stands at delivery."""
        update = cls.on_theme_post(OutgoingKind.UPDATE, conversation, theme_id, Message(""))
        return replace(update, renders_post=True)

    @classmethod
    def on_flag_post(
        cls, kind: OutgoingKind, conversation: Conversation, flag_id: int, message: Message
    ) -> Outgoing:
        """A thread reply under, or an update of, the flag's escalation post."""
        purpose = "thread line" if kind is OutgoingKind.REPLY else "post update"
        return cls._on_post(kind, conversation, message, purpose, flag_id=flag_id)

    @classmethod
    def flag_post_refresh(cls, conversation: Conversation, flag_id: int) -> Outgoing:
        """An update of the flag's escalation post to show the flag as it stands at delivery."""
        update = cls.on_flag_post(OutgoingKind.UPDATE, conversation, flag_id, Message(""))
        return replace(update, renders_post=True)

    @classmethod
    def _on_post(
        cls,
        kind: OutgoingKind,
        conversation: Conversation,
        message: Message,
        purpose: str,
        *,
        ref: MessageRef | None = None,
        flag_id: int | None = None,
        theme_id: int | None = None,
        digest_id: int | None = None,
    ) -> Outgoing:
        return cls(
            kind,
            conversation.platform,
            conversation.workspace_id,
            message,
            purpose,
            channel_id=conversation.channel_id,
            ref=ref,
            flag_id=flag_id,
            theme_id=theme_id,
            digest_id=digest_id,
        )

    @classmethod
    def direct(
        cls, person: Person, message: Message, *, purpose: str, flag_id: int | None = None
    ) -> Outgoing:
        return cls(
            OutgoingKind.DIRECT,
            person.platform,
            person.workspace_id,
            message,
            purpose,
            person=person,
            flag_id=flag_id,
        )

    @classmethod
    def answer(
        cls,
        person: Person,
        message: Message,
        route: Mapping[str, str],
        *,
        after_post_of: int | None = None,
    ) -> Outgoing:
        """The answer to `person`, where `route` says they acted (the adapter's business).

        With `after_post_of`, it is delivered after that flag's escalation post and its text's
        POST_LINK becomes a link to the post.
        """
        return cls(
            OutgoingKind.ANSWER,
            person.platform,
            person.workspace_id,
            message,
            "answer",
            person=person,
            route=dict(route),
            flag_id=after_post_of,
            links_post=after_post_of is not None,
        )

    @property
    def order_key(self) -> str:
        """Messages with the same key are delivered one at a time, in the order recorded.

        A flag's post, its updates and its thread go in one line; what is said to one person
        about the flag (answers, direct messages) in a line of its own, so a slow conversation
        of theirs never holds up the escalation channel, nor the other way round. An answer
        that links the post still waits for it (`waits_for_post`).
        """
        if self.flag_id is not None:
            if self.person is not None and self.kind in (OutgoingKind.DIRECT, OutgoingKind.ANSWER):
                return f"{flag_order(self.flag_id)}:to:{self.person.user_id}"
            return flag_order(self.flag_id)
        if self.theme_id is not None:
            return f"theme:{self.theme_id}"
        if self.digest_id is not None:
            return f"digest:{self.digest_id}"
        if self.person is not None:
            return f"{self.platform}:person:{self.person.user_id}"
        return f"{self.platform}:channel:{self.channel_id or self.ref_channel or '-'}"

    @property
    def waits_for_post(self) -> bool:
        """Delivered only once its flag's post is no longer waiting (it links to the post)."""
        return self.kind is OutgoingKind.ANSWER and self.flag_id is not None

    @property
    def pace_key(self) -> str | None:
        """The conversation whose rate limit this message counts against; None when none does."""
        if self.kind is OutgoingKind.ANSWER:
            return None  # response URLs and ephemerals are not paced per channel
        if self.kind is OutgoingKind.DIRECT and self.person is not None:
            return f"{self.platform}:dm:{self.person.user_id}"
        channel = self.channel_id or self.ref_channel
        return f"{self.platform}:{channel}" if channel else None

    @property
    def ref_channel(self) -> str | None:
        return self.ref.conversation.channel_id if self.ref is not None else None


@dataclass(frozen=True, slots=True)
class Delivery:
    """An outbox row claimed by a worker: the message, and how its delivery has gone so far."""

    id: int
    outgoing: Outgoing
    attempts: int
    created_at: datetime
    uncertain: bool = False  # an earlier attempt may have created the message after all
    last_error: str | None = None


@dataclass(frozen=True, slots=True)
class StuckDelivery:
    """An undelivered or given-up message, as `frontline outbox` lists it."""

    id: int
    platform: str
    purpose: str
    status: DeliveryStatus
    attempts: int
    created_at: datetime
    next_attempt_at: datetime
    last_error: str | None
    flag_id: int | None
    flag_number: int | None = None  # what people call the flag (F-12), when there is one
