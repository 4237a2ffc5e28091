"""The contract suite runs every test once per storage backend."""

from __future__ import annotations

import pytest

from bot.ports import UnitOfWorkFactory
from storage.database import Database

DATABASE_FIXTURES = {"sqlite": "sqlite_database", "postgresql": "postgres_database"}


@pytest.fixture(params=["memory", *DATABASE_FIXTURES])
def uow_factory(request: pytest.FixtureRequest) -> UnitOfWorkFactory:
    """Units of work on a fresh, empty store of each backend in turn."""
    if request.param == "memory":
        factory: UnitOfWorkFactory = request.getfixturevalue("memory_uow_factory")
        return factory
    database: Database = request.getfixturevalue(DATABASE_FIXTURES[request.param])
    return database.unit_of_work


@pytest.fixture(params=list(DATABASE_FIXTURES))
def database_uow_factory(request: pytest.FixtureRequest) -> UnitOfWorkFactory:
    """Units of work on each real database (for what the in-memory fake does not model: locks)."""
    database: Database = request.getfixturevalue(DATABASE_FIXTURES[request.param])
    return database.unit_of_work
