"""Weekly digests through the real server and a fake Slack Web API: the digest posted once,
its chart uploaded into its thread with the external upload flow, and the text standing alone
when the upload fails."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

import pytest
from aiohttp.test_utils import TestClient, TestServer

from adapters.http.serve import build_server_app
from bot.clock import FakeClock
from bot.config.settings import Settings
from bot.digests.sending import send_due_digests
from tests.slack.conftest import _driver
from tests.slack.driver import AGENT, SlackDriver
from tests.slack.fake_slack import FakeSlack

TRIAGE, LEADS = "C0TRIAGE01", "C0LEADS001"
BOB, EVE = "U0AGENT02", "U0AGENT03"
CONFIG = f"""\
channels:
  slack:
    escalations: C0ESCALAT1
    triage: {TRIAGE}
    support_leads: {LEADS}
"""
DUE = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # week 48's digests (the clock starts on 23 Nov)


@pytest.fixture
async def slack(
    slack_settings: Callable[..., Settings], fake_slack: FakeSlack, clock: FakeClock
) -> AsyncIterator[SlackDriver]:
    app = await build_server_app(slack_settings(CONFIG), clock=clock)
    async with TestClient(TestServer(app)) as http:
        yield _driver(http, app, fake_slack, clock)


async def flag_a_theme(slack: SlackDriver) -> None:
    for user, text in (
        (AGENT, "recurring CSV export has no date column ZD-1"),
        (BOB, "recurring export CSV missing date column ZD-2"),
        (EVE, "recurring the date col is gone from csv exports ZD-3"),
    ):
        await slack.command(text, user=user)
    await slack.settle()


def digests_in(fake: FakeSlack, channel: str) -> list[dict[str, object]]:
    return [
        call.params
        for call in fake.called("chat.postMessage")
        if call.params.get("channel") == channel and "digest:" in str(call.params.get("text"))
    ]


async def test_the_digest_is_posted_and_its_chart_uploaded_into_its_thread(
    slack: SlackDriver,
) -> None:
    await flag_a_theme(slack)
    slack.clock.set(DUE)
    await send_due_digests(slack.runtime.core)  # what the scheduler runs at Monday 09:00
    await slack.settle()

    [product] = digests_in(slack.fake, TRIAGE)
    assert "Product digest: week 48" in str(product["text"])
    assert "3 flags this week on your theme" in str(product["text"])
    [flow] = digests_in(slack.fake, LEADS)
    assert "Flow digest: week 48" in str(flow["text"])

    # The chart: getUploadURLExternal, the bytes, then completeUploadExternal in the thread.
    methods = slack.fake.methods()
    upload = methods.index("files.getUploadURLExternal")
    assert methods[upload : upload + 3] == [
        "files.getUploadURLExternal",
        "upload",
        "files.completeUploadExternal",
    ]
    [chart] = slack.fake.files_in(TRIAGE)
    posted = [m for m in slack.fake.history[TRIAGE] if "Product digest" in str(m.get("text"))]
    assert chart.thread_ts == posted[0]["ts"]
    assert chart.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert chart.name.startswith("digest-2026-W48-") and chart.name.endswith(".png")
    assert "Flags per week" in chart.title and "0, 0, 0, 0, 0, 0, 0, 3" in chart.alt_txt

    # The scheduler's next run, or another replica's, sends nothing more.
    await send_due_digests(slack.runtime.core)
    await slack.settle()
    assert len(digests_in(slack.fake, TRIAGE)) == 1
    assert len(slack.fake.files_in(TRIAGE)) == 1


async def test_the_digest_text_stands_alone_when_the_upload_is_refused(
    slack: SlackDriver,
) -> None:
    await flag_a_theme(slack)
    slack.fake.refuse("files.getUploadURLExternal", "missing_scope")
    slack.clock.set(DUE)
    await send_due_digests(slack.runtime.core)
    await slack.settle()

    [product] = digests_in(slack.fake, TRIAGE)
    assert "3 flags this week on your theme" in str(product["text"])
    assert slack.fake.files_in(TRIAGE) == []
    async with slack.runtime.core.uow() as uow:
        stuck = await uow.outbox.list_stuck(10)
    [chart] = [s for s in stuck if s.purpose == "digest chart"]
    assert chart.status.value == "dead"  # given up at once: a missing scope does not heal
    assert chart.last_error is not None and "files:write" in chart.last_error
    # Triage is told what to fix and how to send it again.
    notices = [
        str(c.params.get("text"))
        for c in slack.fake.called("chat.postMessage")
        if c.params.get("channel") == TRIAGE and "could not deliver" in str(c.params.get("text"))
    ]
    assert len(notices) == 1 and "digest chart" in notices[0] and "files:write" in notices[0]
