"""Socket Mode against a fake Slack websocket on loopback: connect, answer, reconnect."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable

import pytest
from aiohttp.test_utils import TestClient, TestServer

from adapters.http.app import PLATFORMS_KEY, RUNTIME_KEY
from adapters.http.serve import build_server_app
from adapters.slack.errors import SlackStartupError
from bot.clock import FakeClock
from bot.config.settings import Settings
from tests.slack.conftest import _driver
from tests.slack.driver import AGENT, SlackDriver, fixture
from tests.slack.fake_slack import FakeSlack

APP_TOKEN = "xapp-1-A0FRONTAPP-1234-abcdef"


@pytest.fixture
async def socket_slack(
    slack_settings: Callable[..., Settings], fake_slack: FakeSlack, clock: FakeClock
) -> AsyncIterator[SlackDriver]:
    app = await build_server_app(
        slack_settings(SLACK_APP_TOKEN=APP_TOKEN, SLACK_SIGNING_SECRET=""), clock=clock
    )
    assert "slack (socket mode)" in app[PLATFORMS_KEY]
    async with TestClient(TestServer(app)) as http:
        slack = _driver(http, app, fake_slack, clock)
        socket = slack.adapter.socket
        assert socket is not None
        await fake_slack.wait_for(lambda: socket.connections == 1)
        yield slack


def command_envelope(fake: FakeSlack, envelope_id: str, text: str) -> dict[str, object]:
    return fixture(
        "socket_mode_slash_commands",
        envelope_id=envelope_id,
        **{"payload.text": text, "payload.response_url": fake.response_url(f"socket-{AGENT}")},
    )


async def test_socket_mode_serves_no_http_endpoint(socket_slack: SlackDriver) -> None:
    response = await socket_slack.http.post("/slack/events", data=b"{}")
    assert response.status in (404, 405)
    assert socket_slack.fake.called("apps.connections.open")[0].params == {}  # token in header


async def test_a_command_over_the_socket_is_acknowledged_then_answered(
    socket_slack: SlackDriver,
) -> None:
    fake = socket_slack.fake
    await fake.socket_outbox.put(command_envelope(fake, "env-1", "recurring SSO loops ZD-1201"))
    await fake.wait_for(lambda: any(m.get("envelope_id") == "env-1" for m in fake.socket_inbox))
    await fake.wait_for(lambda: bool(fake.called("response_url")))
    await socket_slack.settle()
    assert "recorded under theme" in socket_slack.answers(AGENT)[-1]
    assert await socket_slack.flag_count() == 1


async def test_a_disconnect_request_reconnects_and_says_so(
    socket_slack: SlackDriver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="adapters.slack.socket_mode")
    fake = socket_slack.fake
    socket = socket_slack.adapter.socket
    assert socket is not None
    await fake.socket_outbox.put(
        {"type": "disconnect", "reason": "refresh_requested", "debug_info": {"host": "applink"}}
    )
    await fake.wait_for(lambda: socket.connections >= 2)
    assert len(fake.called("apps.connections.open")) >= 2
    assert "Slack asked to reconnect (refresh_requested); reconnecting" in caplog.text
    assert "Slack Socket Mode: connected" in caplog.text

    await fake.socket_outbox.put(command_envelope(fake, "env-2", "escalate refunds stuck"))
    await fake.wait_for(lambda: any(m.get("envelope_id") == "env-2" for m in fake.socket_inbox))
    await socket_slack.settle()
    assert await socket_slack.flag_count() == 1


async def test_a_rejected_app_token_stops_the_start(
    slack_settings: Callable[..., Settings], fake_slack: FakeSlack, clock: FakeClock
) -> None:
    fake_slack.refuse("apps.connections.open", "invalid_auth")
    app = await build_server_app(slack_settings(SLACK_APP_TOKEN=APP_TOKEN), clock=clock)
    server = TestServer(app)
    with pytest.raises(SlackStartupError, match="Slack rejected SLACK_APP_TOKEN"):
        await server.start_server()
    await server.close()
    await app[RUNTIME_KEY].close()
