"""The Alembic migrations build exactly the schema that storage.tables describes."""

from __future__ import annotations

from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect

from storage.database import MIGRATIONS, Database, alembic_config
from storage.tables import metadata


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest) -> Database:
    name = {"sqlite": "sqlite_database", "postgresql": "postgres_database"}[request.param]
    migrated: Database = request.getfixturevalue(name)
    return migrated


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


def _revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def _downgrade(connection: Connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, "base")


async def test_the_migrated_schema_matches_the_tables(database: Database) -> None:
    async with database.engine.connect() as connection:
        assert await connection.run_sync(_differences) == []


async def test_the_database_is_at_the_newest_revision(database: Database) -> None:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    async with database.engine.connect() as connection:
        assert await connection.run_sync(_revision) == head


async def test_upgrading_twice_changes_nothing(database: Database) -> None:
    await database.upgrade()
    async with database.engine.connect() as connection:
        assert await connection.run_sync(_differences) == []


async def test_downgrade_removes_every_table_and_upgrade_restores_them(
    database: Database,
) -> None:
    async with database.engine.begin() as connection:
        await connection.run_sync(_downgrade)
    async with database.engine.connect() as connection:
        assert await connection.run_sync(_tables) == {"alembic_version"}
    await database.upgrade()
    async with database.engine.connect() as connection:
        assert await connection.run_sync(_differences) == []


def test_migration_scripts_live_in_packages_so_wheels_ship_them() -> None:
    assert (MIGRATIONS / "__init__.py").is_file()
    assert (MIGRATIONS / "versions" / "__init__.py").is_file()
    assert (MIGRATIONS / "script.py.mako").is_file()
