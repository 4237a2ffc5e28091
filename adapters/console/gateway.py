"""The console's chat gateway: keeps every message the bot sent and prints it."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from adapters.console.render import message_lines
from bot.messages import Conversation, Image, Message, MessageRef, Person
from bot.outbox.models import Outgoing
from bot.ports import SentLookup

PLATFORM = "console"
WORKSPACE = "console"
# Pictures the bot sends (digest charts) are written here, in the current folder.
CHARTS = Path("frontline-console-charts")


@dataclass
class ConsoleMessage:
    """A message as the console remembers it: number, place, author and current content."""

    number: int
    ref: MessageRef
    author: str
    message: Message
    replies: list[int] = field(default_factory=list)


def conversation(channel: str) -> Conversation:
    return Conversation(PLATFORM, WORKSPACE, channel.lstrip("#"))


def is_private(channel: str) -> bool:
    """The console's private conversations: `dm`, and channels named `dm-…` or `private-…`."""
    name = channel.lstrip("#")
    return name == "dm" or name.startswith(("dm-", "private-"))


class ConsoleGateway:
    """Implements the ChatGateway port by printing to the terminal and remembering messages."""

    def __init__(self, write: Callable[[str], None], *, session: str | None = None) -> None:
        self._write = write
        self._present: dict[str, set[str]] = {}  # channel → people who have been in it
        # Message ids are unique across sessions: the database outlives the console, and a
        # new session's "message 1" must never be mistaken for an old flag's post.
        self.session = session or secrets.token_hex(3)
        self.messages: dict[int, ConsoleMessage] = {}

    def enter(self, user: str, channel: str) -> None:
        """`user` is now in `channel` (the console's `as` and `in` commands)."""
        self._present.setdefault(channel, set()).add(user)

    async def is_member(self, person: Person, conversation: Conversation) -> bool:
        """bot.access.Directory: people are in the channels they have been in this session."""
        return person.user_id in self._present.get(conversation.channel_id, set())

    @contextlib.contextmanager
    def holding(self) -> Iterator[list[str]]:
        """Keep what is printed meanwhile in a list instead, for the caller to print."""
        held: list[str] = []
        original, self._write = self._write, held.append
        try:
            yield held
        finally:
            self._write = original

    def record(self, conv: Conversation, author: str, message: Message, thread: str | None) -> int:
        """Remember a message (the bot's or a person's) and return its number."""
        number = len(self.messages) + 1
        ref = MessageRef(conv, f"{self.session}.{number}", thread)
        self.messages[number] = ConsoleMessage(number, ref, author, message)
        root = self.find(thread) if thread is not None else None
        if root is not None:
            root.replies.append(number)
        return number

    def find(self, message_id: str) -> ConsoleMessage | None:
        """The message with this id, if it was sent in this session."""
        session, _, number = message_id.partition(".")
        stored = self.messages.get(int(number)) if number.isdigit() else None
        return stored if stored is not None and session == self.session else None

    def number_of(self, message_id: str) -> str:
        stored = self.find(message_id)
        return str(stored.number) if stored else "from an earlier session"

    def _show(self, heading: str, message: Message) -> None:
        self._write(f"┌ {heading}")
        if message.text or not message.image:
            for line in message_lines(message):
                self._write(f"│ {line}")
        if message.image is not None:
            path = self._save(message.image)
            self._write(f"│ 📈 {message.image.title}: {path.resolve()}")
        self._write("└")

    def _save(self, image: Image) -> Path:
        CHARTS.mkdir(exist_ok=True)
        path = CHARTS / f"{self.session}-{image.filename}"
        path.write_bytes(image.png)
        return path

    def _place(self, ref: MessageRef) -> str:
        where = f"#{ref.conversation.channel_id}"
        if ref.thread_id:
            where += f" · thread of message {self.number_of(ref.thread_id)}"
        return where

    async def post(
        self, conversation: Conversation, message: Message, *, marker: str | None = None
    ) -> MessageRef:
        number = self.record(conversation, "Frontline", message, None)
        ref = self.messages[number].ref
        self._show(f"{self._place(ref)} · message {number} · Frontline", message)
        return ref

    async def reply(
        self, thread: MessageRef, message: Message, *, marker: str | None = None
    ) -> MessageRef:
        number = self.record(thread.conversation, "Frontline", message, thread.thread_root)
        ref = self.messages[number].ref
        self._show(f"{self._place(ref)} · message {number} · Frontline", message)
        return ref

    async def update(self, ref: MessageRef, message: Message) -> None:
        stored = self.find(ref.message_id)
        if stored is not None:
            stored.message = message
        number = self.number_of(ref.message_id)
        self._show(f"{self._place(ref)} · message {number} updated in place", message)

    async def direct_message(
        self, person: Person, message: Message, *, marker: str | None = None
    ) -> MessageRef | None:
        heading = f"DM to @{person.user_id} from Frontline"
        if not message.buttons:
            self._show(heading, message)
            return None
        # Numbered, so its buttons can be pressed (`press <n> 1`): a reminder's Customer
        # updated and Snooze, a manager's Acknowledge.
        number = self.record(conversation(f"dm-{person.user_id}"), "Frontline", message, None)
        self._show(f"{heading} · message {number}", message)
        return self.messages[number].ref

    async def answer(self, person: Person, route: Mapping[str, str], message: Message) -> None:
        heading = f"only @{person.user_id} sees this"
        if message.buttons:  # numbered, so its buttons can be pressed (`press <n> 1`)
            place = conversation(route.get("channel_id") or f"dm-{person.user_id}")
            heading += f" · message {self.record(place, 'Frontline', message, None)}"
        self._show(heading, message)

    async def find_sent(self, outgoing: Outgoing, marker: str, since: datetime) -> SentLookup:
        return SentLookup(known=True)  # the console never fails half-way

    async def permalink(self, ref: MessageRef) -> str | None:
        return None
