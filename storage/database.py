"""The database: engine setup for SQLite or PostgreSQL, units of work and migrations."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, event, make_url, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import ArgumentError, DBAPIError, DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from bot.config.urls import encode_password, mask_url
from bot.errors import FrontlineError
from storage.sqlite_driver import one_trip_dbapi
from storage.unit_of_work import SqlUnitOfWork
from storage.write_gate import GatedSession, WriteGate

logger = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000
PING_TIMEOUT_SECONDS = 5.0
POOL_SIZE = 10
POOL_OVERFLOW = 40
# A pooled PostgreSQL connection unused for this long is pinged before it is handed out.
PING_AFTER_IDLE_SECONDS = 10.0
# Any constant works; it only has to be the same for every Frontline process.
_MIGRATION_LOCK_ID = 0x46524F4E544C  # "FRONTL"


class DatabaseNotMigrated(FrontlineError):
    """The database schema is not the one this version of Frontline needs."""

    def __init__(self, description: str, current: str | None, needed: str | None) -> None:
        super().__init__(
            f"the database {description} is at schema revision {current or 'none (empty)'} "
            f"but this Frontline needs {needed}; run `frontline db upgrade`"
        )
        self.current = current
        self.needed = needed


class DatabaseFromNewerFrontline(FrontlineError):
    """The database was migrated by a newer Frontline than this one: its schema is unknown here."""

    def __init__(self, description: str, current: str, newest_known: str | None) -> None:
        super().__init__(
            f"the database {description} was migrated by a newer version of Frontline (schema "
            f"revision {current}); this version knows revisions up to {newest_known}. Run the "
            "newer Frontline, or restore the backup taken before its upgrade: "
            "`frontline db upgrade` cannot take a database back"
        )
        self.current = current


class DatabaseUnusable(FrontlineError):
    """DATABASE_URL cannot be used: a malformed URL, an unknown driver or no answer."""


def default_database_url(cwd: Path | str) -> str:
    """A SQLite file named `frontline.db` in `cwd`."""
    return f"sqlite+aiosqlite:///{Path(cwd).resolve() / 'frontline.db'}"


def normalize_database_url(url: str) -> str:
    """Pick the async driver for plain `postgres://`, `postgresql://` and `sqlite://` URLs."""
    scheme, separator, rest = url.partition("://")
    if not separator:
        raise ValueError("a database URL looks like postgresql://user@host/db or sqlite:///path")
    drivers = {
        "postgres": "postgresql+asyncpg",
        "postgresql": "postgresql+asyncpg",
        "sqlite": "sqlite+aiosqlite",
    }
    return encode_password(f"{drivers.get(scheme.lower(), scheme)}://{rest}")


def safe_url(url: URL | str) -> str:
    """The URL as it may be logged or shown: every password masked."""
    text = url if isinstance(url, str) else url.render_as_string(hide_password=False)
    return mask_url(text)


def alembic_config(url: str | None = None) -> Config:
    """An Alembic configuration for the migrations shipped in this package (no .ini file)."""
    config = Config()
    # ConfigParser interpolates `%`, which may appear in paths and URL-encoded passwords.
    config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    config.set_main_option("path_separator", "os")
    if url is not None:
        config.set_main_option("sqlalchemy.url", normalize_database_url(url).replace("%", "%%"))
    return config


def _ping_after_idle(engine: AsyncEngine) -> None:
    """Ping a pooled connection before use when it has been idle a while (the bot idles for
    hours, and connections go stale), not at every checkout: SQLAlchemy's `pool_pre_ping`
    costs three round trips (BEGIN, a query, ROLLBACK) per unit of work, several per flag.
    A connection found dead is replaced at once, as `pool_pre_ping` does."""

    @event.listens_for(engine.sync_engine, "checkin")
    def checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            dbapi_connection.ping()
        except Exception as error:  # the pool discards it and connects anew
            raise DisconnectionError(f"an idle connection was dead: {error}") from error


def _configure_sqlite(engine: AsyncEngine) -> None:
    """Make SQLite safe for many concurrent writers."""

    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 driver: it would BEGIN (deferred)
        # lazily, and a deferred transaction that later writes fails at once with "database
        # is locked" instead of waiting when another connection holds the write lock.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the writer
            # In WAL mode, NORMAL syncs at checkpoints, not at every commit: a commit survives
            # the process being killed (what the inbox and outbox promise); only a power cut
            # or an OS crash may lose the last moments.
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(connection: Connection) -> None:
        # Take the write lock up front, waiting up to busy_timeout for it, so the
        # transaction can never fail half-way on a lock held by another writer.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def usable_url(url: str) -> URL:
    """The URL with its async driver; DatabaseUnusable says why it cannot be used (no
    connection is made)."""
    try:
        normalized = make_url(normalize_database_url(url))
    except (ValueError, ArgumentError):
        raise DatabaseUnusable(
            "DATABASE_URL is not a database URL; write postgresql://user@host/db "
            "or sqlite:///path/to/frontline.db"
        ) from None
    folder = Path(normalized.database).parent if normalized.database else None
    if normalized.get_backend_name() == "sqlite" and folder and not folder.is_dir():
        raise DatabaseUnusable(
            f"cannot use the database SQLite file {normalized.database}: "
            f"the folder {folder} does not exist"
        )
    if normalized.get_backend_name() not in ("sqlite", "postgresql"):
        raise DatabaseUnusable(
            f"DATABASE_URL names {normalized.get_backend_name()!r}; Frontline runs on "
            "SQLite (sqlite:///…) or PostgreSQL (postgresql://…)"
        )
    return normalized


class Database:
    """The engine and session factory of one database; create with `Database.from_url`."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        sqlite = engine.dialect.name == "sqlite"
        self._sessions = async_sessionmaker(
            engine, expire_on_commit=False, class_=GatedSession if sqlite else AsyncSession
        )
        # SQLite's one write lock, handed over in the event loop (storage.write_gate).
        self._gate = WriteGate() if sqlite else None

    @classmethod
    def from_url(cls, url: str, *, echo: bool = False) -> Database:
        """Connect (lazily) to a SQLite or PostgreSQL URL; plain schemes get an async driver."""
        normalized = usable_url(url)
        # hide_parameters: a failed statement's error must not carry customer text into logs.
        options: dict[str, Any] = {"echo": echo, "hide_parameters": True}
        if normalized.get_backend_name() == "postgresql":
            # The delivery worker has up to 16 sends in flight, each holding a connection only
            # for its short claim and result transactions: bursts, not a steady 16.
            options["pool_size"] = POOL_SIZE
            options["max_overflow"] = POOL_OVERFLOW
        one_trip = one_trip_dbapi() if normalized.get_driver_name() == "aiosqlite" else None
        if one_trip is not None:
            options["module"] = one_trip  # one thread trip per statement, not four
        engine = create_async_engine(normalized, **options)
        if engine.dialect.name == "sqlite":
            _configure_sqlite(engine)
        else:
            _ping_after_idle(engine)
        logger.info("Using database %s", safe_url(normalized))
        return cls(engine)

    @property
    def engine(self) -> AsyncEngine:
        return self._engine

    @property
    def is_sqlite(self) -> bool:
        return self._engine.dialect.name == "sqlite"

    @property
    def description(self) -> str:
        """Which database this is, for logs and people; never includes the password."""
        url = self._engine.url
        if self.is_sqlite:
            path = url.database
            return f"SQLite file {path}" if path and path != ":memory:" else "in-memory SQLite"
        where = f"{url.host or 'localhost'}{f':{url.port}' if url.port else ''}/{url.database}"
        return f"PostgreSQL {url.username}@{where}" if url.username else f"PostgreSQL {where}"

    def unit_of_work(self) -> SqlUnitOfWork:
        """A new unit of work on its own session (a `bot.ports.UnitOfWorkFactory`)."""
        return SqlUnitOfWork(self._session(urgent=False))

    def expect_urgent(self, check: Callable[[], bool]) -> None:
        """On SQLite, `check()` says whether requests are being answered, which will store
        themselves soon: the write lock is kept for them a moment (`storage.write_gate`)."""
        if self._gate is not None:
            self._gate.urgent_expected = check

    def urgent_unit_of_work(self) -> SqlUnitOfWork:
        """A unit of work served first on SQLite: storing requests before they are acked."""
        return SqlUnitOfWork(self._session(urgent=True))

    def _session(self, *, urgent: bool) -> AsyncSession:
        session = self._sessions()
        if isinstance(session, GatedSession):
            session.gate, session.urgent = self._gate, urgent
        return session

    async def upgrade(self, revision: str = "head") -> None:
        """Run the Alembic migrations up to `revision`, in one transaction."""
        logger.info("Migrating %s to %s", self.description, revision)
        async with self._reachable(), self._engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                # Two bot processes starting at once must not both create the tables.
                await connection.execute(
                    text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": _MIGRATION_LOCK_ID}
                )
            current = await connection.run_sync(_current_revision)
            self._refuse_unknown(current)
            await connection.run_sync(_upgrade, revision)

    async def ensure_current(self) -> None:
        """Raise `DatabaseNotMigrated` unless the schema is at the newest migration."""
        async with self._reachable(), self._engine.connect() as connection:
            current = await connection.run_sync(_current_revision)
        self._refuse_unknown(current)
        needed = ScriptDirectory.from_config(alembic_config()).get_current_head()
        if current != needed:
            raise DatabaseNotMigrated(self.description, current, needed)

    def _refuse_unknown(self, current: str | None) -> None:
        """Raise `DatabaseFromNewerFrontline` when `current` is no revision this code knows."""
        if current is None:
            return
        scripts = ScriptDirectory.from_config(alembic_config())
        known = {script.revision for script in scripts.walk_revisions()}
        if current not in known:
            raise DatabaseFromNewerFrontline(self.description, current, scripts.get_current_head())

    @contextlib.asynccontextmanager
    async def _reachable(self) -> AsyncIterator[None]:
        """Turn "cannot connect" into a DatabaseUnusable that says which database and why."""
        try:
            yield
        except (OSError, DBAPIError) as error:
            reason = getattr(error, "orig", None) or error
            raise DatabaseUnusable(
                f"cannot use the database {self.description}: {type(reason).__name__}: "
                f"{str(reason).splitlines()[0][:200] if str(reason) else 'no answer'}"
            ) from None

    async def ping(self) -> bool:
        """Whether the database answers a trivial query within a few seconds (health checks)."""
        try:
            async with asyncio.timeout(PING_TIMEOUT_SECONDS), self._engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except (OSError, TimeoutError, DBAPIError) as error:
            logger.warning("Database %s does not answer: %s", self.description, error)
            return False
        return True

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self._engine.dispose()

    def __repr__(self) -> str:
        return f"Database({self.description!r})"


def _current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _upgrade(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)
