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
from tests.slack.driver import AGENT, MANAGER, SlackDriver, fixture
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


async def submit_theme_form(
    slack: SlackDriver, state: dict[str, object], user: str = MANAGER
) -> None:
    """Submit the theme form Frontline opened last, with `state` as the input's value."""
    view = slack.fake.called("views.open")[-1].params["view"]
    assert view["callback_id"] == "theme_status"
    submission = fixture(
        "view_submission_flag_form",
        **{
            "user.id": user,
            "view.id": f"V{len(slack.fake.called('views.open')):09d}",
            "view.callback_id": "theme_status",
            "view.private_metadata": view["private_metadata"],
            "view.state": {"values": {"words": {"value": state}}},
        },
    )
    response = await slack.interactive(submission)
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
    assert f"That makes 3 flags: the theme was sent to <#{TRIAGE}>." in slack.answers(EVE)[-1]

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
    assert not any("Fixed:" in text for text in slack.answers(AGENT))  # a form opened first
    await submit_theme_form(slack, {"type": "plain_text_input", "value": "4.2"})
    dms = {c.params["channel"]: c.params["text"] for c in slack.fake.called("chat.postMessage")}
    told = {channel for channel, text in dms.items() if "Fixed in *4.2*:" in text}
    assert told == {f"D{AGENT}", f"D{BOB}", f"D{EVE}"}
    assert "ZD-1" in dms[f"D{AGENT}"] and "ZD-2" not in dms[f"D{AGENT}"]
    assert "Fixed in *4.2*" in dms[f"D{AGENT}"]
    [summary] = posts_in(slack, LEADS)
    assert "3 agents told" in summary.params["text"]
    assert "Fixed" in json.dumps(slack.fake.called("chat.update")[-1].params["blocks"])


async def routed_invoice_theme(slack: SlackDriver) -> Call:
    for user, text in ((AGENT, "invoice PDF is blank"), (BOB, "blank invoice pdf download")):
        await slack.command(f"recurring {text}", user=user)
    await slack.command("recurring the invoice pdf downloads empty", user=EVE)
    await slack.settle()
    [post] = posts_in(slack, TRIAGE)
    return post


async def test_wont_fix_asks_for_the_reason_which_reaches_the_agents_verbatim(
    slack: SlackDriver,
) -> None:
    post = await routed_invoice_theme(slack)
    await press_theme(slack, ActionId.THEME_WONT_FIX, post)
    view = slack.fake.called("views.open")[-1].params["view"]
    assert view["title"]["text"] == "Won't fix" and view["blocks"][1]["optional"] is False
    assert not any("Won't fix" in text for text in slack.answers(AGENT))
    reason = "The PDF renderer is being replaced in Q2; use the HTML invoice until then."
    await submit_theme_form(slack, {"type": "plain_text_input", "value": reason})
    assert all(reason in slack.answers(user)[-1] for user in (AGENT, BOB, EVE))
    assert "is now marked *won't fix*" in slack.answers(MANAGER)[-1]
    [summary] = posts_in(slack, LEADS)
    assert summary.params["text"].startswith("🔁 *Won't fix*: #")
    assert summary.params["text"].endswith(f"3 agents told. Reason: {reason}")


async def test_not_ours_picks_the_channel_and_the_theme_moves_there(slack: SlackDriver) -> None:
    post = await routed_invoice_theme(slack)
    await press_theme(slack, ActionId.THEME_NOT_OURS, post)
    view = slack.fake.called("views.open")[-1].params["view"]
    assert view["blocks"][1]["element"]["type"] == "conversations_select"
    await submit_theme_form(
        slack, {"type": "conversations_select", "selected_conversation": "C0BILLING1"}
    )
    [moved] = posts_in(slack, "C0BILLING1")
    assert "Theme #invoice-pdf-blank" in moved.params["text"]
    old_thread = [
        c.params["text"]
        for c in slack.fake.called("chat.postMessage")
        if c.params.get("channel") == TRIAGE and c.params.get("thread_ts")
    ]
    assert any("Not ours — moved to <#C0BILLING1>" in text for text in old_thread)


async def test_an_outage_makes_one_escalation_post_acknowledged_for_everyone(
    slack: SlackDriver,
) -> None:
    await slack.command("escalate checkout fails for all EU cards ZD-1")
    await slack.settle()
    await slack.command("escalate EU card payments failing at checkout ZD-2", user=BOB)
    await slack.settle()  # so that they are numbered in the order sent
    await slack.command("escalate checkout broken for european cards ZD-3", user=EVE)
    await slack.settle()
    assert len(posts_in(slack, "C0ESCALAT1")) == 1
    ts = await slack.post_ts(1)
    lines = [
        c.params["text"]
        for c in slack.fake.called("chat.postMessage")
        if c.params.get("thread_ts") == ts
    ]
    assert any("F-2" in line and "ZD-2" in line for line in lines), lines
    assert any("F-3" in line and "ZD-3" in line for line in lines), lines
    assert "3 customers affected" in json.dumps(slack.fake.called("chat.update")[-1].params)
    assert "joined *F-1*" in slack.answers(EVE)[-1]

    await slack.press(ActionId.ACKNOWLEDGE, 1)
    await slack.settle()
    for number, user in ((2, BOB), (3, EVE)):
        flag = await slack.flag(number)
        assert flag.acknowledged_by is not None and flag.acknowledged_by.user_id == MANAGER
        assert (
            f"F-{number}" in slack.answers(user)[-1] and "acknowledged" in slack.answers(user)[-1]
        )
    assert len(posts_in(slack, "C0ESCALAT1")) == 1


async def test_two_themes_merged_by_command_become_one(slack: SlackDriver) -> None:
    await slack.command("recurring CSV export has no date column #csv-dates")
    await slack.command("recurring the export lacks dates #export-dates", user=BOB)
    await slack.settle()
    await slack.command("theme #export-dates merge #csv-dates", user=MANAGER)
    await slack.settle()
    assert "merged into #csv-dates" in slack.answers(MANAGER)[-1]
    await slack.command("recurring dates missing again #export-dates", user=EVE)
    await slack.settle()
    assert "recorded under theme *#csv-dates* (3 flags this week)" in slack.answers(EVE)[-1]
