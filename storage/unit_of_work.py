"""One database transaction over every repository."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncSession

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
)
from storage.digests import SqlDigestRepository, SqlSilenceBreachRepository
from storage.flags import SqlFlagRepository
from storage.inbox import SqlInboxRepository
from storage.outbox import SqlOutboxRepository
from storage.pending import PendingWrites
from storage.repositories import (
    SqlConversationReferenceRepository,
    SqlIdempotencyRepository,
    SqlThemeRepository,
    SqlTimelineRepository,
)


class SqlUnitOfWork:
    """`bot.ports.UnitOfWork` on one `AsyncSession`; nothing is stored until `commit`."""

    def __init__(self, session: AsyncSession) -> None:
        # The session connects lazily, on the first statement, so creating one is cheap.
        self._session = session
        self._pending = PendingWrites(self._session)
        # Typed as the ports, so mypy proves each repository implements its protocol.
        self.flags: FlagRepository = SqlFlagRepository(self._session, self._pending)
        self.timeline: TimelineRepository = SqlTimelineRepository(self._session, self._pending)
        self.themes: ThemeRepository = SqlThemeRepository(self._session)
        self.breaches: SilenceBreachRepository = SqlSilenceBreachRepository(self._session)
        self.digests: DigestRepository = SqlDigestRepository(self._session)
        self.idempotency: IdempotencyRepository = SqlIdempotencyRepository(self._session)
        self.conversations: ConversationReferenceRepository = SqlConversationReferenceRepository(
            self._session
        )
        self.inbox: InboxRepository = SqlInboxRepository(self._session)
        self.outbox: OutboxRepository = SqlOutboxRepository(self._session, self._pending)

    async def commit(self) -> None:
        await self._pending.write()
        await self._session.commit()
        # Rows kept from this transaction would be served, stale, to the next one.
        self._session.expunge_all()

    async def rollback(self) -> None:
        self._pending.clear()
        await self._session.rollback()

    async def close(self) -> None:
        """Roll back whatever was not committed and give the connection back to the pool."""
        await self._session.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Roll back whatever was not committed."""
        await self.close()
