"""Test doubles of the ports in `bot.ports`."""

from tests.fakes.memory import (
    InMemoryUnitOfWork,
    InMemoryUnitOfWorkFactory,
    MemoryStore,
)

__all__ = ["InMemoryUnitOfWork", "InMemoryUnitOfWorkFactory", "MemoryStore"]
