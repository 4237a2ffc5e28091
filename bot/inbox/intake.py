"""Storing verified requests before they are acknowledged, many to a commit under load."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.batching import GroupCommit
from bot.core import Core
from bot.inbox.models import Received
from bot.ports import UnitOfWork, UnitOfWorkFactory


class Intake:
    """`store` returns once the request is committed to the inbox (False: a redelivery)."""

    def __init__(
        self,
        core: Core,
        *,
        on_stored: Callable[[], None] | None = None,
        uow: UnitOfWorkFactory | None = None,
    ) -> None:
        """`uow`: units of work served ahead of the workers' where the database queues them."""
        self._core = core

        async def accept(uow: UnitOfWork, requests: Sequence[Received]) -> list[bool]:
            return await uow.inbox.accept(requests, core.clock.now())

        self._commits: GroupCommit[Received, bool] = GroupCommit(
            uow or core.uow, accept, "incoming request(s)"
        )
        self._commits.after_commit = on_stored

    async def store(self, request: Received) -> bool:
        return await self._commits.submit(request)
