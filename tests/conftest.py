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


# --- Hang guard -------------------------------------------------------------------------------
# pytest-timeout (configured in pyproject.toml) ends a stuck run with the stacks of all *threads*.
# For an async test those show only the event loop waiting in select() or in asyncio.runners'
# teardown; the coroutine that is stuck is in no thread's stack. So a few seconds before
# pytest-timeout fires, this prints the test's id and where each unfinished asyncio task of the
# test's event loop is waiting (pytest-timeout then shows it under "Captured stderr").

import asyncio  # noqa: E402  (kept in this appended section on purpose)
import sys  # noqa: E402
import threading  # noqa: E402
import traceback  # noqa: E402
import types  # noqa: E402
from typing import Any  # noqa: E402

_HANG_DUMP_LEAD = 5.0  # seconds before pytest-timeout's own dump
_hang_timer_key = pytest.StashKey[threading.Timer]()


@pytest.hookimpl(wrapper=True, optionalhook=True)
def pytest_timeout_set_timer(item: pytest.Item, settings: Any) -> Iterator[object]:
    timeout = float(settings.timeout or 0)
    if timeout > 0:
        thread_id = threading.get_ident()
        delay = max(timeout - _HANG_DUMP_LEAD, timeout * 0.9)
        timer = threading.Timer(delay, _dump_asyncio_tasks, (item, settings, thread_id))
        timer.name = "hang-guard"
        timer.daemon = True
        item.stash[_hang_timer_key] = timer
        timer.start()
    return (yield)


@pytest.hookimpl(wrapper=True, optionalhook=True)
def pytest_timeout_cancel_timer(item: pytest.Item) -> Iterator[object]:
    timer = item.stash.get(_hang_timer_key, None)
    if timer is not None:
        timer.cancel()
        del item.stash[_hang_timer_key]
    return (yield)


def _dump_asyncio_tasks(item: pytest.Item, settings: Any, thread_id: int) -> None:
    """Print where the test's loop and its tasks are stuck (runs in the timer's thread)."""
    try:
        import pytest_timeout

        if not settings.disable_debugger_detection and pytest_timeout.is_debugging():
            return
        lines = [f"\n{'+' * 20} hang guard: {item.nodeid} is about to time out {'+' * 20}\n"]
        frame = sys._current_frames().get(thread_id)
        loop = None
        while frame is not None and loop is None:
            if frame.f_code.co_name in ("run_forever", "run_until_complete"):
                candidate = frame.f_locals.get("self")
                if isinstance(candidate, asyncio.AbstractEventLoop):
                    loop = candidate
            frame = frame.f_back
        if loop is None:
            lines.append("no asyncio event loop is running in the test's thread\n")
        else:
            tasks = asyncio.all_tasks(loop)
            lines.append(f"{len(tasks)} unfinished asyncio task(s):\n")
            for task in tasks:
                lines.append(f"--- {task!r}\n")
                frames = _awaited_frames(task.get_coro())
                lines.extend(
                    traceback.StackSummary.extract((f, f.f_lineno) for f in frames).format()
                )
        sys.stderr.write("".join(lines))
        sys.stderr.flush()
    except Exception:  # a diagnostic must never be the thing that fails
        traceback.print_exc()


def _awaited_frames(awaitable: object) -> list[types.FrameType]:
    """The frames of a coroutine and of what it awaits, outermost first."""
    frames: list[types.FrameType] = []
    links = (("cr_frame", "cr_await"), ("gi_frame", "gi_yieldfrom"), ("ag_frame", "ag_await"))
    for _ in range(200):  # an await chain is never this deep; a bound in case of a cycle
        link = next((link for link in links if hasattr(awaitable, link[0])), None)
        if link is None:  # a Future, or something without frames: the end of the chain
            break
        frame = getattr(awaitable, link[0])
        if frame is not None:
            frames.append(frame)
        awaitable = getattr(awaitable, link[1])
    return frames
