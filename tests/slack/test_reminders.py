"""Reminders and the nudge ladder through the real server, its scheduler and a fake Slack."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import pytest
from aiohttp.test_utils import TestClient, TestServer

from adapters.http.serve import build_server_app
from bot.clock import FakeClock
from bot.config.settings import Settings
from tests.settle import eventually
from tests.slack.conftest import _driver
from tests.slack.driver import ESCALATIONS, MANAGER, SlackDriver
from tests.slack.fake_slack import Call, FakeSlack

CONFIG = f"""\
channels:
  slack:
    escalations: {ESCALATIONS}
managers:
  slack:
    group: S0MANAGERS
    on_duty: [{MANAGER}]
severities:
  high:
    max_nudges: 1
"""


@pytest.fixture
async def slack(
    slack_settings: Callable[..., Settings], fake_slack: FakeSlack, clock: FakeClock
) -> AsyncIterator[SlackDriver]:
    """The real server, sweeping every 100 ms of real time (FRONTLINE_SWEEP_SECONDS)."""
    settings = slack_settings(CONFIG, FRONTLINE_SWEEP_SECONDS="0.1")
    app = await build_server_app(settings, clock=clock)
    async with TestClient(TestServer(app)) as http:
        yield _driver(http, app, fake_slack, clock)


def thread_lines(slack: SlackDriver, root: str) -> list[Call]:
    return [c for c in slack.fake.called("chat.postMessage") if c.params.get("thread_ts") == root]


async def test_the_ladder_on_slack_then_the_update_that_stops_the_clock(
    slack: SlackDriver,
) -> None:
    await slack.command("escalate checkout fails for all EU cards ZD-9912 sev:high")
    await slack.settle()
    root = await slack.post_ts(1)

    # 15 minutes unacknowledged: the managers group is mentioned in the thread.
    slack.clock.advance(timedelta(minutes=15))
    await eventually(lambda: len(thread_lines(slack, root)) == 1)
    nudge = thread_lines(slack, root)[0].params
    assert nudge["text"].startswith("⏰ <!subteam^S0MANAGERS> *F-1* is still waiting")
    assert "flag_acknowledge" in json.dumps(nudge["blocks"])
    await eventually(
        lambda: "overdue since" in json.dumps([c.params for c in slack.fake.called("chat.update")])
    )

    # 15 more: a direct message to the on-duty manager.
    slack.clock.advance(timedelta(minutes=15))

    def dms() -> list[dict[str, str]]:
        sent = slack.fake.called("chat.postMessage")
        return [c.params for c in sent if c.params.get("channel") == f"D{MANAGER}"]

    await eventually(lambda: bool(dms()))
    assert slack.fake.called("conversations.open")[-1].params["users"] == MANAGER
    assert "is still waiting for a manager" in dms()[0]["text"]

    # The manager acknowledges; at the update deadline (1h) the owner is reminded.
    await slack.press("flag_acknowledge", 1, post_ts=root)
    await slack.settle()
    slack.clock.advance(timedelta(minutes=30))
    await eventually(lambda: "has not heard" in thread_lines(slack, root)[-1].params["text"])
    reminder = thread_lines(slack, root)[-1].params
    assert reminder["text"].startswith(f"⏰ <@{MANAGER}> The customer on *F-1*")
    assert "flag_customer_updated" in json.dumps(reminder["blocks"])

    # "Customer updated" from the reminder restarts the clock; nothing more is sent.
    await slack.press("flag_customer_updated", 1, post_ts=root)
    await slack.settle()
    flag = await slack.flag(1)
    assert flag.update_steps == 0 and flag.silent_since is None
    sent = len(slack.fake.called("chat.postMessage"))
    await asyncio.sleep(0.3)  # several sweeps
    assert len(slack.fake.called("chat.postMessage")) == sent


async def test_a_nudge_held_up_while_slack_was_down_is_not_sent_once_acknowledged(
    slack: SlackDriver,
) -> None:
    await slack.command("escalate checkout fails for all EU cards ZD-9912 sev:high")
    await slack.settle()
    root = await slack.post_ts(1)
    slack.fake.refuse("chat.postMessage", "internal_error", status=500, times=1000)

    slack.clock.advance(timedelta(minutes=15))  # the thread nudge is due; Slack is down
    await eventually(lambda: len(slack.fake.called("chat.postMessage")) > 1)
    await slack.press("flag_acknowledge", 1, post_ts=root)
    await slack.settle()

    slack.fake.refusals.pop("chat.postMessage")  # Slack is back
    back = len(slack.fake.called("chat.postMessage"))
    slack.clock.advance(timedelta(minutes=5))  # past the retries' backoff

    def delivered() -> list[str]:
        after = slack.fake.called("chat.postMessage")[back:]
        return [c.params["text"] for c in after if c.params.get("thread_ts") == root]

    await eventually(lambda: any(t.startswith("✅ Acknowledged") for t in delivered()))
    await asyncio.sleep(0.3)  # the nudge, were it sent, would be on its way too
    assert not [t for t in delivered() if "still waiting" in t], delivered()
