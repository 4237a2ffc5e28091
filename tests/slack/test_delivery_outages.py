"""Slack down or answering badly: posts wait and are retried, never given up early, never twice.

A call that could not even connect was never sent, so it is simply tried again later. A call
that may have reached Slack (a lost connection, a gateway's error page) leaves the message
uncertain: it is looked for in the channel's history before anything is sent again, and a
look-up that fails is itself tried again later, never taken as "not there".
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from adapters.http.app import RUNTIME_KEY
from adapters.http.serve import build_server_app
from adapters.slack.mount import SLACK_ADAPTER_KEY
from bot.clock import FakeClock
from bot.config.settings import Settings
from bot.outbox.models import DeliveryStatus
from storage.database import Database
from tests.slack.driver import AGENT, ESCALATIONS, SlackDriver
from tests.slack.fake_slack import TEAM_ID, FakeSlack

ESCALATE = "escalate checkout fails for all EU cards"
GATEWAY_PAGE = "<html><body><h1>502 Bad Gateway</h1></body></html>"


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # nobody listens there once it is closed


async def later(slack: SlackDriver, times: int = 1) -> None:
    """Let the attempts due now run, then move past any backoff, `times` times."""
    for _ in range(times):
        await slack.settle()
        slack.clock.advance(timedelta(minutes=6))
        slack.runtime.delivery.wake()
    await slack.settle()


def escalation_posts(slack: SlackDriver) -> list[dict[str, Any]]:
    return [m for m in slack.fake.history.get(ESCALATIONS, []) if "thread_ts" not in m]


async def post_status(slack: SlackDriver) -> DeliveryStatus | None:
    flag = await slack.flag(1)
    async with slack.runtime.core.uow() as uow:
        return await uow.outbox.post_state(flag.id or 0)


async def test_a_post_waits_out_an_outage_in_which_slack_cannot_be_reached(
    slack: SlackDriver,
) -> None:
    client = slack.adapter.client
    reachable, client.base_url = client.base_url, f"http://127.0.0.1:{closed_port()}/api/"
    await slack.command(ESCALATE)
    await later(slack, 3)  # three refused connections: nothing was ever sent
    assert await post_status(slack) is DeliveryStatus.PENDING
    assert (await slack.flag(1)).post is None
    client.base_url = reachable
    await later(slack)
    assert len(escalation_posts(slack)) == 1
    assert (await slack.flag(1)).post is not None
    # It was never uncertain, so nothing had to be looked up first.
    assert slack.fake.called("conversations.history") == []
    assert "*F-1* escalated" in slack.answers(AGENT)[-1]


@pytest.mark.parametrize("page_type", ["text/html", "application/json"])
async def test_a_gateway_error_page_after_the_post_was_made_adopts_that_post(
    slack: SlackDriver, page_type: str
) -> None:
    # Some proxies send their page as application/json: the SDK cannot parse it at all.
    slack.fake.refuse(
        "chat.postMessage", "", status=502, page=GATEWAY_PAGE, page_type=page_type, after_doing=True
    )
    await slack.command(ESCALATE)
    await later(slack)
    made = escalation_posts(slack)
    assert len(made) == 1
    post = (await slack.flag(1)).post
    assert post is not None and post.message_id == made[0]["ts"]
    posts_to_channel = [
        c for c in slack.fake.called("chat.postMessage") if c.params["channel"] == ESCALATIONS
    ]
    assert len(posts_to_channel) == 1  # found in the history, not posted again


async def test_a_look_up_that_fails_is_tried_again_not_taken_as_missing(
    slack: SlackDriver,
) -> None:
    slack.fake.refuse("chat.postMessage", "", status=502, page=GATEWAY_PAGE, after_doing=True)
    slack.fake.refuse("conversations.history", "internal_error", status=500, times=2)
    await slack.command(ESCALATE)
    await later(slack, 2)
    assert await post_status(slack) is DeliveryStatus.PENDING  # not given up
    await later(slack)
    assert len(slack.fake.called("conversations.history")) == 3
    assert len(escalation_posts(slack)) == 1
    assert (await slack.flag(1)).post is not None


async def test_a_connection_lost_after_the_post_was_made_is_not_retried_blindly(
    slack: SlackDriver,
) -> None:
    # Slack's SDK would resend at once on a lost connection; Frontline looks first.
    slack.fake.refuse("chat.postMessage", "", drop=True)
    await slack.command(ESCALATE)
    await later(slack)
    assert len(escalation_posts(slack)) == 1
    assert len(slack.fake.called("conversations.history")) == 1
    assert (await slack.flag(1)).post is not None


async def test_a_graceful_stop_lets_a_post_in_flight_finish_before_slack_is_let_go(
    slack_settings: Callable[..., Settings], fake_slack: FakeSlack, clock: FakeClock
) -> None:
    fake_slack.slow["chat.postMessage"] = 1.0  # Slack is slow: the post is in flight at the stop
    app = await build_server_app(slack_settings(), clock=clock)
    http: TestClient[Any, Any] = TestClient(TestServer(app))
    await http.start_server()
    slack = SlackDriver(http, fake_slack, app[SLACK_ADAPTER_KEY], app[RUNTIME_KEY], clock)
    await slack.command(ESCALATE)
    await fake_slack.wait_for(lambda: bool(fake_slack.called("chat.postMessage")))
    database = app[RUNTIME_KEY].database.engine.url
    await http.close()  # SIGTERM: the workers finish first, while Slack's session is open

    check = Database.from_url(str(database))
    try:
        async with check.unit_of_work() as uow:
            flag = await uow.flags.get(TEAM_ID, 1)
            assert flag is not None and flag.post is not None
            assert await uow.outbox.post_state(flag.id or 0) is DeliveryStatus.SENT
    finally:
        await check.dispose()


async def test_a_post_made_before_many_others_is_found_pages_back_in_the_history(
    slack: SlackDriver,
) -> None:
    slack.fake.history_page = 2  # a busy channel: the post is several pages back
    slack.fake.refuse("chat.postMessage", "", status=502, page=GATEWAY_PAGE, after_doing=True)
    await slack.command(ESCALATE)
    await slack.settle()
    for n in range(5):  # others post in the channel meanwhile (newest first in the history)
        slack.fake.history[ESCALATIONS].append({"ts": f"1800000000.00000{n}", "text": "chat"})
    await later(slack)
    assert len(slack.fake.called("conversations.history")) == 3
    assert len(escalation_posts(slack)) == 6  # the post and the five others: not posted again
    assert (await slack.flag(1)).post is not None
