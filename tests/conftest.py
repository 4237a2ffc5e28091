"""Shared fixtures: the storage backends (in-memory, SQLite file, PostgreSQL)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from storage.database import Database, safe_url
from tests.fakes.memory import InMemoryUnitOfWorkFactory
from tests.storage import postgres


@pytest.fixture
def memory_uow_factory() -> InMemoryUnitOfWorkFactory:
    """Units of work over one fresh in-memory store."""
    return InMemoryUnitOfWorkFactory()


@pytest.fixture
async def sqlite_database(tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated SQLite file database of this test alone."""
    database = Database.from_url(f"sqlite+aiosqlite:///{tmp_path / 'frontline.db'}")
    await database.upgrade()
    yield database
    await database.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A migrated PostgreSQL database for this test session, dropped at the end."""
    try:
        url = postgres.run_in_own_loop(postgres.create_test_database)
    except postgres.UNREACHABLE as error:
        reason = f"PostgreSQL at {safe_url(postgres.server_url())} is unreachable: {error}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    yield url
    postgres.run_in_own_loop(lambda: postgres.drop_test_database(url))


@pytest.fixture
async def postgres_database(postgres_url: str) -> AsyncIterator[Database]:
    """The session's PostgreSQL database, emptied for this test."""
    database = Database.from_url(postgres_url)
    await postgres.empty(database)
    yield database
    await database.dispose()
