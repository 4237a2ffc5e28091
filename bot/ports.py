"""The ports through which the core talks to the world: chat, storage and time.

Implementations live elsewhere: chat gateways in `adapters/`, repositories in `storage/`
(and in-memory fakes in `tests/fakes/`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol, Self

from bot.flags.models import Flag, TimelineEvent
from bot.messages import Conversation, Message, MessageRef, Person
from bot.themes.models import Theme


class ChatGateway(Protocol):
    """Every outgoing message leaves through here, whatever the platform."""

    async def post(self, conversation: Conversation, message: Message) -> MessageRef:
        """Post a new top-level message in a channel or chat."""
        ...

    async def reply(self, thread: MessageRef, message: Message) -> MessageRef:
        """Reply in the thread (Slack) or reply chain (Teams) of `thread`."""
        ...

    async def update(self, ref: MessageRef, message: Message) -> None:
        """Replace a message the bot posted earlier, in place."""
        ...

    async def direct_message(self, person: Person, message: Message) -> MessageRef | None:
        """Send a private message to one person."""
        ...

    async def ephemeral(
        self, conversation: Conversation, person: Person, message: Message, thread_id: str | None
    ) -> None:
        """Show a message only to `person` in `conversation` (a DM where unsupported)."""
        ...

    async def permalink(self, ref: MessageRef) -> str | None:
        """A link people can click to open `ref`, when the platform has one."""
        ...


class FlagRepository(Protocol):
    async def next_number(self, workspace_id: str) -> int:
        """Reserve the next flag number of a workspace (never reused, never duplicated)."""
        ...

    async def add(self, flag: Flag) -> Flag:
        """Store a new flag; returns it with `id` set."""
        ...

    async def save(self, flag: Flag) -> None:
        """Store changes to an existing flag."""
        ...

    async def get(self, workspace_id: str, number: int) -> Flag | None: ...

    async def get_by_id(self, flag_id: int) -> Flag | None: ...

    async def find_by_post(self, conversation: Conversation, message_id: str) -> Flag | None:
        """The flag whose escalation post is `message_id` in `conversation`."""
        ...

    async def list_open_for_person(self, workspace_id: str, user_id: str) -> Sequence[Flag]:
        """Open flags the person reported or owns, oldest first."""
        ...

    async def list_awaiting_ack(self, workspace_id: str) -> Sequence[Flag]:
        """Open escalations nobody has acknowledged yet, oldest first."""
        ...

    async def list_for_theme(self, theme_id: int) -> Sequence[Flag]:
        """Every flag of a theme, oldest first."""
        ...

    async def count_by_theme_since(
        self, theme_ids: Sequence[int], since: datetime
    ) -> dict[int, int]:
        """How many flags each theme got after `since` (0 for a theme with none)."""
        ...

    async def list_created_between(
        self, workspace_id: str, start: datetime, end: datetime
    ) -> Sequence[Flag]:
        """Flags created in [start, end), oldest first."""
        ...

    async def list_open(self, workspace_id: str) -> Sequence[Flag]:
        """Every open flag of a workspace, oldest first."""
        ...


class TimelineRepository(Protocol):
    async def add(self, event: TimelineEvent) -> None: ...

    async def list_for(self, flag_id: int) -> Sequence[TimelineEvent]:
        """A flag's events in the order they happened."""
        ...


class ThemeRepository(Protocol):
    async def add(self, theme: Theme) -> Theme: ...

    async def save(self, theme: Theme) -> None: ...

    async def get(self, theme_id: int) -> Theme | None: ...

    async def get_by_slug(self, workspace_id: str, slug: str) -> Theme | None: ...

    async def list_all(self, workspace_id: str) -> Sequence[Theme]:
        """Every theme of a workspace, newest first."""
        ...


class IdempotencyRepository(Protocol):
    async def claim(self, key: str, at: datetime) -> bool:
        """Record `key` as processed; False when it was already claimed (a retry or duplicate)."""
        ...

    async def purge_before(self, before: datetime) -> int:
        """Forget keys claimed before `before`; returns how many were removed."""
        ...


class ConversationReferenceRepository(Protocol):
    """Saved references to conversations, for proactive messages (Teams `continue_conversation`)."""

    async def put(self, platform: str, key: str, reference: dict[str, Any], at: datetime) -> None:
        """Insert or replace the reference stored under (platform, key)."""
        ...

    async def get(self, platform: str, key: str) -> dict[str, Any] | None: ...


class UnitOfWork(Protocol):
    """One transaction over all repositories; nothing is stored until `commit`."""

    flags: FlagRepository
    timeline: TimelineRepository
    themes: ThemeRepository
    idempotency: IdempotencyRepository
    conversations: ConversationReferenceRepository

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Roll back whatever was not committed."""
        ...


UnitOfWorkFactory = Callable[[], UnitOfWork]
