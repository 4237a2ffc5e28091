"""A throwaway PostgreSQL database per test session, for the storage and contract tests."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from sqlalchemy import make_url, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from storage.database import Database, normalize_database_url
from storage.tables import metadata

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
UNREACHABLE = (OSError, TimeoutError, DBAPIError)

T = TypeVar("T")


def server_url() -> str:
    """The database the test databases are created from (`FRONTLINE_TEST_PG_URL` overrides)."""
    return normalize_database_url(os.environ.get("FRONTLINE_TEST_PG_URL", DEFAULT_URL))


def run_in_own_loop(work: Callable[[], Awaitable[T]]) -> T:
    """Run async set-up work from a sync session fixture without touching the tests' loops."""

    async def main() -> T:
        return await work()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, main()).result()


async def _admin(statement: str) -> None:
    engine = create_async_engine(
        server_url(), isolation_level="AUTOCOMMIT", connect_args={"timeout": 5}
    )
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


async def create_test_database() -> str:
    """Create and migrate a uniquely named database; returns its URL."""
    name = f"frontline_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    await _admin(f'CREATE DATABASE "{name}"')
    url = make_url(server_url()).set(database=name).render_as_string(hide_password=False)
    database = Database.from_url(url)
    try:
        await database.upgrade()
    finally:
        await database.dispose()
    return url


async def drop_test_database(url: str) -> None:
    name = make_url(url).database
    await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def empty(database: Database) -> None:
    """Remove every row (and restart the id sequences) so each test starts from nothing."""
    tables = ", ".join(table.name for table in metadata.sorted_tables)
    async with database.engine.begin() as connection:
        await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
