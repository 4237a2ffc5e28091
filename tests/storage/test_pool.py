"""PostgreSQL's pool: a connection idle for a while is pinged before use, and replaced when
dead; a connection in steady use is not pinged (three round trips per unit of work)."""

from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection

import storage.database
from storage.database import Database


async def backend_pid(database: Database) -> int:
    async with database.engine.connect() as connection:
        return int((await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def test_a_connection_killed_while_idle_is_replaced_before_use(
    postgres_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(storage.database, "PING_AFTER_IDLE_SECONDS", 0.0)
    first = await backend_pid(postgres_database)  # the pool keeps this connection
    url = postgres_database.engine.url.set(drivername="postgresql")
    admin = await asyncpg.connect(url.render_as_string(hide_password=False))
    try:
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", first)
    finally:
        await admin.close()
    second = await backend_pid(postgres_database)  # no error: pinged, found dead, replaced
    assert second != first


async def test_a_connection_in_steady_use_is_not_pinged(
    postgres_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    pings: list[object] = []
    original = AsyncAdapt_asyncpg_connection.ping

    def counted(self: AsyncAdapt_asyncpg_connection) -> None:
        pings.append(self)
        original(self)

    monkeypatch.setattr(AsyncAdapt_asyncpg_connection, "ping", counted)
    first = await backend_pid(postgres_database)
    assert await backend_pid(postgres_database) == first  # the same connection, reused
    assert pings == []
    monkeypatch.setattr(storage.database, "PING_AFTER_IDLE_SECONDS", 0.0)
    await backend_pid(postgres_database)
    assert len(pings) == 1  # idle long enough: pinged once
