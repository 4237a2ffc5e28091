"""Recurring themes through the real server and a fake Slack: routed once, updated, closed."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable

import pytest
from aiohttp.test_utils import TestClient, TestServer

from adapters.http.serve import build_server_app
from bot.actions import ActionId
from bot.clock import FakeClock
from bot.config.settings import Settings
from tests.slack.conftest import _driver
from tests.slack.driver import AGENT, MANAGER, SlackDriver
from tests.slack.fake_slack import TEAM_ID, Call, FakeSlack

TRIAGE, LEADS = "C0TRIAGE01", "C0LEADS001"
BOB, EVE = "U0AGENT02", "U0AGENT03"
CONFIG = f"""\
channels:
  slack:
    escalations: C0ESCALAT1
    triage: {TRIAGE}
    support_leads: {LEADS}
managers:
  slack:
    on_duty: [{MANAGER}]
"""


@pytest.fixture
async def slack(
    slack_settings: Callable[..., Settings], fake_slack: FakeSlack, clock: FakeClock
) -> AsyncIterator[SlackDriver]:
    app = await build_server_app(slack_settings(CONFIG), clock=clock)
    async with TestClient(TestServer(app)) as http:
        yield _driver(http, app, fake_slack, clock)


def posts_in(slack: SlackDriver, channel: str) -> list[Call]:
    return [
        c
        for c in slack.fake.called("chat.postMessage")
        if c.params.get("channel") == channel and not c.params.get("thread_ts")
    ]


async def theme_post_ts(slack: SlackDriver) -> str:
    async with slack.runtime.core.uow() as uow:
        [theme] = await uow.themes.list_all(TEAM_ID)
    assert theme.post is not None
    return theme.post.message_id


async def press_theme(slack: SlackDriver, action: ActionId, post: Call) -> None:
    ts = await theme_post_ts(slack)
    value = next(
        element["value"]
        for block in post.params["blocks"]
        if block.get("type") == "actions"
        for element in block["elements"]
        if element["action_id"] == action
    )
    response = await slack.press(action, int(value), post_ts=ts, channel=TRIAGE)
    assert response.status == 200
    await slack.settle()


async def test_a_theme_is_routed_once_updated_in_place_and_its_fix_told_to_each_agent(
    slack: SlackDriver,
) -> None:
    await slack.command("recurring CSV export has no date column ZD-1")
    await slack.command("recurring export CSV missing date column ZD-2", user=BOB)
    await slack.settle()
    assert posts_in(slack, TRIAGE) == []
    await slack.command("recurring the date col is gone from csv exports ZD-3", user=EVE)
    await slack.settle()
    [post] = posts_in(slack, TRIAGE)
    assert "Theme #csv-export-has-no-date" in post.params["text"]
    blocks = json.dumps(post.params["blocks"])
    assert "date col is gone from csv exports" in blocks and "theme_wont_fix" in blocks
    assert "That makes 3: the theme was sent to the owning team" in slack.answers(EVE)[-1]

    # A fourth flag from a DM: counted in place, a thread line, never quoted.
    await slack.command("recurring csv export lacks dates for globex payroll", channel="D0AGENT01")
    await slack.settle()
    assert len(posts_in(slack, TRIAGE)) == 1
    ts = await theme_post_ts(slack)
    update = slack.fake.called("chat.update")[-1].params
    assert update["ts"] == ts and update["channel"] == TRIAGE
    assert "globex" not in json.dumps(update) and "counted, not quoted" in json.dumps(update)
    line = [c for c in slack.fake.called("chat.postMessage") if c.params.get("thread_ts") == ts][-1]
    assert "F-4" in line.params["text"] and "private conversation" in line.params["text"]

    # Someone outside the triage channel is refused; the manager marks it fixed.
    slack.fake.channel_members[TRIAGE] = [MANAGER]
    await slack.command("theme #csv-export-has-no-date fixed", user=BOB)
    await slack.settle()
    assert "Only people in the channel that owns" in slack.answers(BOB)[-1]
    assert not any("Fixed:" in text for text in slack.answers(AGENT))
    await press_theme(slack, ActionId.THEME_FIXED, post)
    dms = {c.params["channel"]: c.params["text"] for c in slack.fake.called("chat.postMessage")}
    told = {channel for channel, text in dms.items() if "Fixed:" in text}
    assert told == {f"D{AGENT}", f"D{BOB}", f"D{EVE}"}
    assert "ZD-1" in dms[f"D{AGENT}"] and "ZD-2" not in dms[f"D{AGENT}"]
    [summary] = posts_in(slack, LEADS)
    assert "3 agents told" in summary.params["text"]
    assert "Fixed" in json.dumps(slack.fake.called("chat.update")[-1].params["blocks"])


async def test_wont_fix_asks_for_the_reason_which_reaches_the_agents_verbatim(
    slack: SlackDriver,
) -> None:
    for user, text in ((AGENT, "invoice PDF is blank"), (BOB, "blank invoice pdf download")):
        await slack.command(f"recurring {text}", user=user)
    await slack.command("recurring the invoice pdf downloads empty", user=EVE)
    await slack.settle()
    [post] = posts_in(slack, TRIAGE)
    await press_theme(slack, ActionId.THEME_WONT_FIX, post)
    assert "wontfix <reason>" in slack.answers(MANAGER)[-1]
    assert not any("Won't fix" in text for text in slack.answers(AGENT))
    slug = post.params["text"].split("#", 1)[1].split(" ", 1)[0]
    reason = "The PDF renderer is being replaced in Q2; use the HTML invoice until then."
    await slack.command(f"theme #{slug} wontfix {reason}", user=MANAGER, channel=TRIAGE)
    await slack.settle()
    assert all(reason in slack.answers(user)[-1] for user in (AGENT, BOB, EVE))
