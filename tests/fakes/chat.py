"""A recording chat gateway for unit tests of the core."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from bot.errors import DeliveryError
from bot.messages import Conversation, Message, MessageRef, Person
from bot.outbox.models import Outgoing
from bot.ports import SentLookup


@dataclass
class Sent:
    kind: str  # post | reply | update | dm | answer
    message: Message
    conversation: Conversation | None = None
    ref: MessageRef | None = None
    person: Person | None = None


@dataclass
class RecordingChat:
    """Implements ChatGateway; remembers every call; can be told to refuse posts."""

    sent: list[Sent] = field(default_factory=list)
    refuse: str | None = None
    down: bool = False  # every call fails as an outage does: retried later
    _next_id: int = 0

    def _id(self) -> str:
        self._next_id += 1
        return f"m{self._next_id}"

    def _check(self) -> None:
        if self.down:
            raise DeliveryError("the platform is down", retryable=True)
        if self.refuse:
            raise DeliveryError(self.refuse, admin_hint="invite the bot to the channel")

    def of_kind(self, kind: str) -> list[Sent]:
        return [s for s in self.sent if s.kind == kind]

    async def post(
        self, conversation: Conversation, message: Message, *, marker: str | None = None
    ) -> MessageRef:
        self._check()
        ref = MessageRef(conversation, self._id())
        self.sent.append(Sent("post", message, conversation, ref))
        return ref

    async def reply(
        self, thread: MessageRef, message: Message, *, marker: str | None = None
    ) -> MessageRef:
        self._check()
        ref = MessageRef(thread.conversation, self._id(), thread.thread_root)
        self.sent.append(Sent("reply", message, thread.conversation, ref))
        return ref

    async def update(self, ref: MessageRef, message: Message) -> None:
        self._check()
        self.sent.append(Sent("update", message, ref.conversation, ref))

    async def direct_message(
        self, person: Person, message: Message, *, marker: str | None = None
    ) -> MessageRef | None:
        self._check()
        self.sent.append(Sent("dm", message, person=person))
        return None

    async def answer(self, person: Person, route: Mapping[str, str], message: Message) -> None:
        # Answers reach the person however a refused channel is (a DM, a response URL).
        self.sent.append(Sent("answer", message, person=person))

    async def find_sent(self, outgoing: Outgoing, marker: str, since: datetime) -> SentLookup:
        return SentLookup(known=True)

    async def permalink(self, ref: MessageRef) -> str | None:
        return f"https://chat.example/{ref.conversation.channel_id}/{ref.message_id}"
