"""Fixtures of the real-process tests: the fake Slack process, a scratch database, the server.

Every process started here is SIGKILLed in teardown, whatever the test did to it.
"""

from __future__ import annotations

import faulthandler
import os
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.process.harness import (
    Agent,
    FakeSlackProcess,
    FrontlineProcess,
    ScratchDatabase,
    postgres_admin_url,
    server_environment,
    started_server,
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "process: starts `frontline serve` and a fake Slack as real processes (slow; "
        "`-m 'not process'` skips them)",
    )


@pytest.fixture(autouse=True)
def _stack_dump_at_own_timeout(request: pytest.FixtureRequest) -> Iterator[None]:
    """pyproject's `faulthandler_timeout` dumps every stack at 110 s, which tests with a longer
    `@pytest.mark.timeout` pass routinely: move that dump to 10 s before their own timeout."""
    marker = request.node.get_closest_marker("timeout")
    try:
        configured = float(request.config.getini("faulthandler_timeout") or 0)
    except ValueError:  # the faulthandler plugin is off
        configured = 0.0
    if marker is not None and marker.args and configured > 0:
        faulthandler.cancel_dump_traceback_later()
        later = max(configured, float(marker.args[0]) - 10)
        faulthandler.dump_traceback_later(later, file=sys.__stderr__ or sys.stderr)
    yield


@pytest.fixture
async def fake_slack_process(tmp_path: Path) -> AsyncIterator[FakeSlackProcess]:
    fake = FakeSlackProcess(tmp_path)
    try:
        await fake.start()
        yield fake
    finally:
        await fake.stop()
        fake.kill_now()


@pytest.fixture(params=["sqlite", "postgresql"])
async def scratch_database(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[ScratchDatabase]:
    """An SQLite file, or a PostgreSQL database made for this test and dropped after it."""
    if request.param == "sqlite":
        yield ScratchDatabase.sqlite(tmp_path)
        return
    try:
        database = await ScratchDatabase.postgresql()
    except (OSError, TimeoutError, ConnectionError) as error:
        reason = f"PostgreSQL at {postgres_admin_url()} is unreachable: {error}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    try:
        yield database
    finally:
        await database.drop()


@pytest.fixture
async def frontline(
    fake_slack_process: FakeSlackProcess, scratch_database: ScratchDatabase, tmp_path: Path
) -> AsyncIterator[FrontlineProcess]:
    """`frontline serve` on the scratch database, talking to the fake; started and healthy."""
    env = server_environment(fake_slack_process, scratch_database, tmp_path)
    async with started_server(env, tmp_path, scratch_database) as server:
        yield server


@pytest.fixture
def agent(fake_slack_process: FakeSlackProcess, frontline: FrontlineProcess) -> Agent:
    """Sends `/flag escalate …` commands to the server and remembers which were acked."""
    return Agent(fake_slack_process, frontline.events_url)
