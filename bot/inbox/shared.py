"""One transaction for everything one incoming request causes.

The inbox worker runs a request's use case on a core whose units of work are all this one:
the use case's state changes, the messages it records in the outbox, its answer and the mark
that the request is done are committed together, or not at all. A crash before that commit
leaves the request pending, to run again; after it, the request is done. Either way, once.
"""

from __future__ import annotations

from types import TracebackType
from typing import Self

from bot.ports import (
    ConversationReferenceRepository,
    DigestRepository,
    FlagRepository,
    IdempotencyRepository,
    InboxRepository,
    OutboxRepository,
    SilenceBreachRepository,
    ThemeRepository,
    TimelineRepository,
    UnitOfWork,
)


class SharedUnitOfWork:
    """A unit of work that its users cannot end: `commit` waits for the owner's `complete`."""

    def __init__(self, inner: UnitOfWork) -> None:
        self._inner = inner
        self.flags: FlagRepository = inner.flags
        self.timeline: TimelineRepository = inner.timeline
        self.themes: ThemeRepository = inner.themes
        self.breaches: SilenceBreachRepository = inner.breaches
        self.digests: DigestRepository = inner.digests
        self.idempotency: IdempotencyRepository = inner.idempotency
        self.conversations: ConversationReferenceRepository = inner.conversations
        self.inbox: InboxRepository = inner.inbox
        self.outbox: OutboxRepository = inner.outbox

    async def commit(self) -> None:
        """Nothing yet: the request's owner commits everything at once."""

    async def rollback(self) -> None:
        """Undo everything so far (a use case that failed part-way)."""
        await self._inner.rollback()

    async def complete(self) -> None:
        """The owner's commit of everything the request caused."""
        await self._inner.commit()

    async def close(self) -> None:
        await self._inner.__aexit__(None, None, None)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Nothing: the transaction outlives each use of it."""
