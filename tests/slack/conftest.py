"""Fixtures: a clean environment, the fake Slack Web API and the real server wired to it."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from adapters.http.app import RUNTIME_KEY
from adapters.http.serve import build_server_app
from adapters.slack.mount import SLACK_ADAPTER_KEY
from bot.clock import FakeClock
from bot.config.settings import Settings, load_settings
from tests.slack.driver import ESCALATIONS, SECRET, SlackDriver
from tests.slack.fake_slack import FakeSlack

CONFIG = f"""\
channels:
  slack:
    escalations: {ESCALATIONS}
tickets:
  url_template: https://support.example.com/tickets/{{ref}}
"""
ENV_PREFIXES = ("SLACK_", "MICROSOFT_", "DATABASE_URL", "FRONTLINE_")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may see real credentials or databases from the environment."""
    for name in list(os.environ):
        if name.upper().startswith(ENV_PREFIXES):
            monkeypatch.delenv(name)


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack()
    await fake.start()
    yield fake
    await fake.close()


@pytest.fixture
def slack_settings(tmp_path: Path, fake_slack: FakeSlack) -> Callable[..., Settings]:
    """Settings for a Slack server talking to the fake; keyword arguments add variables."""

    def make(config: str = CONFIG, **extra: str) -> Settings:
        config_path = tmp_path / "frontline.yml"
        config_path.write_text(config)
        environ = {
            "SLACK_BOT_TOKEN": "xoxb-1111-2222-test",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": fake_slack.url,
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'frontline.db'}",
            **extra,
        }
        return load_settings(config_path=str(config_path), environ=environ)

    return make


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))


@pytest.fixture
async def slack(
    slack_settings: Callable[..., Settings], fake_slack: FakeSlack, clock: FakeClock
) -> AsyncIterator[SlackDriver]:
    """The real `frontline serve` application over HTTP, with Slack pointed at the fake."""
    app = await build_server_app(slack_settings(), clock=clock)
    async with TestClient(TestServer(app)) as http:
        yield _driver(http, app, fake_slack, clock)


def _driver(
    http: TestClient[Any, Any], app: web.Application, fake: FakeSlack, clock: FakeClock
) -> SlackDriver:
    return SlackDriver(http, fake, app[SLACK_ADAPTER_KEY], app[RUNTIME_KEY], clock)
