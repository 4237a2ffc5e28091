"""Database set-up: URLs, SQLite settings, and refusing what cannot be stored faithfully."""

from __future__ import annotations

import dataclasses
import logging
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, StatementError

from bot.flags.models import EventKind, TimelineEvent
from storage.database import (
    Database,
    DatabaseNotMigrated,
    default_database_url,
    normalize_database_url,
    safe_url,
)
from tests.contract.builders import T0, make_flag


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://bot:pw@db:5432/frontline", "postgresql+asyncpg://bot:pw@db:5432/frontline"),
        ("postgresql://bot@db/frontline", "postgresql+asyncpg://bot@db/frontline"),
        ("postgresql+asyncpg://bot@db/frontline", "postgresql+asyncpg://bot@db/frontline"),
        ("sqlite:////var/lib/frontline.db", "sqlite+aiosqlite:////var/lib/frontline.db"),
        ("sqlite+aiosqlite:///rel.db", "sqlite+aiosqlite:///rel.db"),
    ],
)
def test_plain_urls_get_an_async_driver(given: str, expected: str) -> None:
    assert normalize_database_url(given) == expected


def test_a_url_without_a_scheme_is_refused() -> None:
    with pytest.raises(ValueError, match="postgresql://"):
        normalize_database_url("/var/lib/frontline.db")


def test_the_default_database_is_a_file_in_the_working_directory(tmp_path: Path) -> None:
    assert default_database_url(tmp_path) == f"sqlite+aiosqlite:///{tmp_path}/frontline.db"


async def test_the_password_never_shows(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="storage")
    database = Database.from_url("postgres://bot:s3cret-pw@db.invalid/frontline")
    try:
        assert "s3cret-pw" not in repr(database)
        assert database.description == "PostgreSQL bot@db.invalid/frontline"
        assert "s3cret-pw" not in safe_url("postgresql://bot:s3cret-pw@db/x")
        assert "postgresql+asyncpg://bot:***@db.invalid/frontline" in caplog.text
        assert "s3cret-pw" not in caplog.text
        assert database.is_sqlite is False
    finally:
        await database.dispose()


async def test_sqlite_connections_use_wal_a_busy_timeout_and_foreign_keys(
    sqlite_database: Database,
) -> None:
    assert sqlite_database.is_sqlite
    async with sqlite_database.engine.connect() as connection:
        pragmas = {
            name: (await connection.execute(text(f"PRAGMA {name}"))).scalar_one()
            for name in ("journal_mode", "busy_timeout", "foreign_keys")
        }
    assert pragmas == {"journal_mode": "wal", "busy_timeout": 30000, "foreign_keys": 1}


async def test_sqlite_enforces_foreign_keys(sqlite_database: Database) -> None:
    async with sqlite_database.unit_of_work() as uow:
        await uow.timeline.add(TimelineEvent(987654, T0, EventKind.FLAGGED))
        with pytest.raises(IntegrityError):
            await uow.commit()


async def test_naive_datetimes_are_refused(sqlite_database: Database) -> None:
    naive = dataclasses.replace(make_flag(1), created_at=datetime(2026, 3, 2, 9, 0))
    async with sqlite_database.unit_of_work() as uow:
        with pytest.raises(StatementError, match="naive datetime"):
            await uow.flags.add(naive)


async def test_a_sqlite_database_describes_its_file(tmp_path: Path) -> None:
    database = Database.from_url(f"sqlite:///{tmp_path}/bot.db")
    assert database.description == f"SQLite file {tmp_path}/bot.db"
    await database.dispose()


async def test_ensure_current_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    database = Database.from_url(f"sqlite:///{tmp_path}/bot.db")
    try:
        with pytest.raises(DatabaseNotMigrated, match="frontline db upgrade") as refused:
            await database.ensure_current()
        assert refused.value.current is None
        await database.upgrade()
        await database.ensure_current()
    finally:
        await database.dispose()


async def test_ping_says_whether_the_database_answers(sqlite_database: Database) -> None:
    assert await sqlite_database.ping() is True
    unreachable = Database.from_url("postgresql://nobody@127.0.0.1:1/nothing")
    try:
        assert await unreachable.ping() is False
    finally:
        await unreachable.dispose()
