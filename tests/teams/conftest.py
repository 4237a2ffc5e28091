"""Fixtures of the Teams scenario tests: a clean environment, a fake connector, the server."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.teams.connector import FakeConnector
from tests.teams.harness import Teams, start_teams

_PREFIXES = ("SLACK_", "MICROSOFT_", "FRONTLINE_")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may see (or use) real credentials from the environment."""
    for name in list(os.environ):
        if name.upper().startswith(_PREFIXES) or name.upper() == "DATABASE_URL":
            monkeypatch.delenv(name, raising=False)


@pytest.fixture
async def connector() -> AsyncIterator[FakeConnector]:
    fake = FakeConnector()
    await fake.start()
    yield fake
    await fake.close()


@pytest.fixture
async def teams(tmp_path: Path, connector: FakeConnector) -> AsyncIterator[Teams]:
    """The server with Teams mounted and authentication off (no MICROSOFT_APP_ID)."""
    harness = await start_teams(tmp_path, connector)
    yield harness
    await harness.close()
