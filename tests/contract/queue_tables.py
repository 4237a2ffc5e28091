"""A quicker PostgreSQL fixture for the queue contract tests, which touch only two tables."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text

from storage.database import Database


@pytest.fixture
async def postgres_database(postgres_url: str) -> AsyncIterator[Database]:
    """The session's PostgreSQL database with its inbox, outbox and flags emptied for this test.

    Overrides the shared fixture of the same name (which truncates every table, about half a
    second a test) in the modules that import it: the queue tests use no other table but flags
    (a stuck message names its flag by number), and they never rely on particular ids.
    """
    database = Database.from_url(postgres_url)
    async with database.engine.begin() as connection:
        await connection.execute(text("DELETE FROM inbox"))
        await connection.execute(text("DELETE FROM outbox"))
        await connection.execute(text("DELETE FROM flags"))
    yield database
    await database.dispose()
