"""The server `frontline serve` runs: health, metrics, start-up warnings and the scheduler."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from adapters.http.app import RUNTIME_KEY
from adapters.http.serve import build_server_app
from bot.clock import FakeClock
from bot.config.settings import load_settings
from bot.inbox.models import Received
from bot.messages import Conversation, Message
from bot.outbox.models import Outgoing

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    settings = load_settings(
        config_path=str(tmp_path / "absent.yml"),
        environ={"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 's.db'}"},
    )
    app = await build_server_app(
        settings, clock=FakeClock(NOW), due_work_every=timedelta(seconds=0.05)
    )
    client: TestClient[web.Request, web.Application] = TestClient(TestServer(app))
    await client.start_server()
    yield client
    await client.close()


async def test_healthz_and_metrics(server: TestClient[web.Request, web.Application]) -> None:
    health = await server.get("/healthz")
    assert health.status == 200
    assert (await health.json())["status"] == "ok"
    metrics = await (await server.get("/metrics")).text()
    assert 'frontline_http_requests_total{route="/healthz",status="200"} 1.0' in metrics


async def test_a_message_that_cannot_be_delivered_shows_in_health_and_metrics(
    server: TestClient[web.Request, web.Application],
) -> None:
    runtime = server.app[RUNTIME_KEY]
    # A message for Slack, which this server does not run: it waits, retried, undelivered.
    stuck = Outgoing.post(
        Conversation("slack", "T1", "C1"), Message("hello"), purpose="escalation post", flag_id=None
    )
    async with runtime.core.uow() as uow:
        await uow.outbox.add(stuck, NOW - timedelta(minutes=10))
        await uow.inbox.accept([Received("k", "slack", "command", {})], NOW)
        await uow.commit()
    runtime.delivery.wake()
    for _ in range(100):
        metrics = await (await server.get("/metrics")).text()
        if 'outcome="retry"' in metrics:
            break
        await asyncio.sleep(0.05)
    assert 'frontline_outbox_deliveries_total{outcome="attempt",platform="slack"} 1.0' in metrics
    assert 'frontline_outbox_deliveries_total{outcome="retry",platform="slack"} 1.0' in metrics
    assert "frontline_outbox_pending 1.0" in metrics
    assert "frontline_outbox_oldest_pending_age_seconds 600.0" in metrics
    assert "frontline_inbox_depth 1.0" in metrics  # no handler for Slack here: it waits
    health = await server.get("/healthz")
    body = await health.json()
    assert health.status == 200  # degraded, not down: restarting this replica would not help
    assert body["status"] == "degraded" and body["outbox_pending"] == 1
    assert "waited 600 s (more than 300 s)" in body["reason"]
    assert "frontline outbox" in body["reason"]


async def test_due_work_runs_on_schedule(server: TestClient[web.Request, web.Application]) -> None:
    core = server.app[RUNTIME_KEY].core
    async with core.uow() as uow:
        assert await uow.idempotency.claim("old", NOW - timedelta(days=2))
        assert await uow.idempotency.claim("fresh", NOW - timedelta(minutes=5))
        await uow.commit()
    for _ in range(100):
        await asyncio.sleep(0.05)
        async with core.uow() as uow:
            if await uow.idempotency.claim("old", NOW):
                break
    else:
        pytest.fail("the scheduler never purged the old key")
    async with core.uow() as uow:
        assert not await uow.idempotency.claim("fresh", NOW)  # still remembered


async def test_a_platform_without_escalation_channel_is_named_at_start(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = load_settings(
        config_path=str(tmp_path / "absent.yml"),
        environ={"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 's.db'}"},
    )
    with caplog.at_level(logging.WARNING):
        app = await build_server_app(settings, clock=FakeClock(NOW))
    await app[RUNTIME_KEY].close()
    text = caplog.text
    assert "teams has no escalation channel" in text
    assert "set channels.teams.escalations" in text
    assert "no chat platform credentials are set" in text


async def test_a_slow_sweep_is_skipped_quietly_and_never_runs_twice_at_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    running, most, runs = 0, 0, 0

    async def slow_due_work(core: object) -> int:
        nonlocal running, most, runs
        running += 1
        runs += 1
        most = max(most, running)
        await asyncio.sleep(0.4)  # eight intervals of 0.05 s
        running -= 1
        return 0

    monkeypatch.setattr("adapters.http.scheduling.run_due_work", slow_due_work)
    settings = load_settings(
        config_path=str(tmp_path / "absent.yml"),
        environ={"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 's.db'}"},
    )
    with caplog.at_level(logging.INFO):
        app = await build_server_app(
            settings, clock=FakeClock(NOW), due_work_every=timedelta(seconds=0.05)
        )
        async with TestClient(TestServer(app)):
            await asyncio.sleep(1.0)
    assert runs >= 2 and most == 1
    # Before, APScheduler warned at every interval while a run was still going.
    assert "maximum number of running instances" not in caplog.text
