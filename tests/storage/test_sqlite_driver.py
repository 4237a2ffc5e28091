"""SQLite statements make one trip to aiosqlite's thread each (storage.sqlite_driver)."""

from __future__ import annotations

from pathlib import Path

import aiosqlite
import pytest
from sqlalchemy import text

from storage.database import Database


async def test_a_statement_is_one_trip_to_the_drivers_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = Database.from_url(f"sqlite+aiosqlite:///{tmp_path / 'trips.db'}")
    trips: list[str] = []
    original = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: object, *args: object) -> object:
        trips.append(getattr(fn, "__name__", repr(fn)))
        return await original(self, fn, *args)  # type: ignore[no-untyped-call]

    async with database.engine.connect() as connection:
        await connection.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)"))
        monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
        inserted = await connection.execute(
            text("INSERT INTO t (name) VALUES (:name)"), [{"name": "a"}, {"name": "b"}]
        )
        rows = (await connection.execute(text("SELECT id, name FROM t ORDER BY id"))).all()
        one = await connection.execute(text("INSERT INTO t (name) VALUES ('c')"))
        assert trips == ["_trip", "_trip", "_trip"]  # SQLAlchemy's own adapter: 3-4 each
        assert inserted.rowcount == 2
        assert [tuple(row) for row in rows] == [(1, "a"), (2, "b")]
        assert one.lastrowid == 3
        monkeypatch.undo()
    await database.engine.dispose()


async def test_without_the_call_it_relies_on_sqlalchemys_own_adapter_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delattr(aiosqlite.Connection, "_execute")
    database = Database.from_url(f"sqlite+aiosqlite:///{tmp_path / 'plain.db'}")
    assert type(database.engine.dialect.dbapi).__name__ == "AsyncAdapt_aiosqlite_dbapi"
