"""Slack Web API refusals handled by kind: rate limits, channels the bot is not in, bad tokens."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from datetime import timedelta

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from adapters.http.app import RUNTIME_KEY
from adapters.http.serve import build_server_app
from adapters.slack import adapter as adapter_module
from adapters.slack import identity as identity_module
from adapters.slack.errors import SlackStartupError
from adapters.slack.mount import SLACK_ADAPTER_KEY
from bot.clock import FakeClock
from bot.config.settings import Settings
from bot.flags.models import EventKind
from tests.slack.driver import AGENT, ESCALATIONS, SlackDriver, fixture
from tests.slack.fake_slack import FakeSlack


async def timeline_details(slack: SlackDriver, number: int) -> list[str]:
    flag = await slack.flag(number)
    async with slack.runtime.core.uow() as uow:
        events = await uow.timeline.list_for(flag.id or 0)
    return [e.detail for e in events if e.kind is EventKind.DELIVERY_FAILED]


async def test_a_rate_limited_post_waits_retry_after_off_the_request_path(
    slack: SlackDriver,
) -> None:
    slack.fake.refuse("chat.postMessage", "ratelimited", status=429, Retry_After="30")
    await slack.command("escalate checkout fails for all EU cards")
    await slack.settle()
    # Slack asked for 30 s: nothing is posted yet, the agent is not answered yet (the answer
    # links to the post), and nothing waits in memory: the outbox row is due in 30 s.
    assert (await slack.flag(1)).post is None
    assert slack.answers(AGENT) == []
    async with slack.runtime.core.uow() as uow:
        stats = await uow.outbox.stats(slack.clock.now() + timedelta(seconds=29))
        assert (stats.pending, stats.due) == (2, 0)
    slack.clock.advance(timedelta(seconds=30))
    slack.runtime.delivery.wake()
    await slack.settle()
    posts = [c for c in slack.fake.called("chat.postMessage") if c.params["channel"] == ESCALATIONS]
    assert len(posts) == 2  # the refused one and the one that arrived
    assert (await slack.flag(1)).post is not None
    assert "*F-1* escalated" in slack.answers(AGENT)[-1]


async def test_server_errors_are_retried_with_backoff_and_never_posted_twice(
    slack: SlackDriver,
) -> None:
    # A 500 may come after Slack made the message: the retry looks for it before posting.
    slack.fake.refuse("chat.postMessage", "internal_error", times=2, status=500)
    await slack.command("escalate checkout fails for all EU cards")
    for _ in range(2):
        await slack.settle()
        slack.clock.advance(timedelta(minutes=5))  # past any backoff
        slack.runtime.delivery.wake()
    await slack.settle()
    assert slack.fake.methods().count("conversations.history") == 2
    assert (await slack.flag(1)).post is not None
    assert "*F-1* escalated" in slack.answers(AGENT)[-1]


async def test_a_post_that_arrived_despite_a_timeout_is_found_not_sent_again(
    slack: SlackDriver,
) -> None:
    slack.fake.slow["chat.postMessage"] = 20.0  # beyond the client's patience: a timeout
    # The Web API calls share one session, which carries the time limit (15 s in production).
    impatient = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=1))
    slack.adapter.client.session = impatient
    try:
        await slack.command("escalate checkout fails for all EU cards")
        await slack.fake.wait_for(lambda: len(slack.fake.called("chat.postMessage")) == 1)
        await asyncio.sleep(1.5)
        slack.fake.slow.clear()
        slack.clock.advance(timedelta(minutes=5))
        slack.runtime.delivery.wake()
        await slack.settle(within=20)
    finally:
        await impatient.close()
    posts = [c for c in slack.fake.called("chat.postMessage") if c.params["channel"] == ESCALATIONS]
    assert len(posts) == 1  # found in conversations.history by its outbox id, not re-posted
    assert (await slack.flag(1)).post is not None


async def test_not_in_channel_joins_the_channel_and_posts(slack: SlackDriver) -> None:
    slack.fake.not_member.add(ESCALATIONS)
    await slack.command("escalate checkout fails for all EU cards")
    await slack.settle()
    assert slack.fake.methods()[2:5] == [
        "chat.postMessage",
        "conversations.join",
        "chat.postMessage",
    ]
    assert slack.fake.called("conversations.join")[0].params["channel"] == ESCALATIONS
    assert (await slack.flag(1)).post is not None


async def test_a_channel_the_bot_cannot_join_names_the_channel_to_invite_it_to(
    slack: SlackDriver,
) -> None:
    slack.fake.not_member.add(ESCALATIONS)
    slack.fake.unjoinable.add(ESCALATIONS)  # a private channel
    await slack.command("escalate checkout fails for all EU cards")
    await slack.settle()
    assert await timeline_details(slack, 1) == [
        f"escalation post: Frontline is not a member of <#{ESCALATIONS}> (invite the bot to "
        f"<#{ESCALATIONS}>: type `/invite @Frontline` in that channel)"
    ]
    await slack.command("show F-1")
    await slack.settle()
    assert "/invite @Frontline` in that channel" in slack.answers(AGENT)[-1]


async def test_a_missing_channel_points_at_the_configuration(slack: SlackDriver) -> None:
    slack.fake.refuse("chat.postMessage", "channel_not_found")
    await slack.command("escalate checkout fails for all EU cards")
    await slack.settle()
    [detail] = await timeline_details(slack, 1)
    assert f"Slack has no channel {ESCALATIONS}" in detail and "frontline.yml" in detail


async def test_a_permanent_refusal_is_told_to_the_reporter_the_triage_channel_and_metrics(
    slack_settings: Callable[..., Settings], fake_slack: FakeSlack, clock: FakeClock
) -> None:
    config = f"channels:\n  slack:\n    escalations: {ESCALATIONS}\n    triage: C0TRIAGE01\n"
    app = await build_server_app(slack_settings(config), clock=clock)
    async with TestClient(TestServer(app)) as http:
        slack = SlackDriver(http, fake_slack, app[SLACK_ADAPTER_KEY], app[RUNTIME_KEY], clock)
        fake_slack.refuse("chat.postMessage", "channel_not_found")
        await slack.command("escalate checkout fails for all EU cards")
        await slack.settle()
        posts = {
            c.params["channel"]: c.params["text"] for c in fake_slack.called("chat.postMessage")
        }
        # The reporter hears it, once, and so does the triage channel, with the fix.
        assert "could not deliver the escalation post of your flag *F-1*" in posts[f"D{AGENT}"]
        triage = posts["C0TRIAGE01"]
        assert "could not deliver the escalation post of *F-1*" in triage
        assert "check the channel ids in frontline.yml" in triage
        assert "`frontline outbox retry 1`" in triage
        answer = slack.answers(AGENT)[-1]
        assert "*F-1* is recorded, but Frontline could not post it to the escalation" in answer
        metrics = await (await http.get("/metrics")).text()
        assert 'frontline_outbox_deliveries_total{outcome="dead",platform="slack"} 1.0' in metrics
        assert 'frontline_outbox_dead{platform="slack"} 1.0' in metrics


async def test_answers_fall_back_to_a_direct_message(slack: SlackDriver) -> None:
    # A mention answers with an ephemeral message; where that fails, a DM still arrives.
    slack.fake.refuse("chat.postEphemeral", "channel_not_found")
    mention = fixture("event_app_mention", **{"event.text": "<@U0FRONTBOT> flag help"})
    await slack.event(mention)
    await slack.settle()
    dm = slack.fake.called("chat.postMessage")[-1].params
    assert dm["channel"] == f"D{AGENT}" and "/flag commands" in dm["text"]


async def test_an_unknown_user_name_does_not_stop_the_flag(slack: SlackDriver) -> None:
    slack.fake.refuse("users.info", "user_not_found")
    await slack.command("recurring SSO login loops ZD-1201")
    await slack.settle()
    assert (await slack.flag(1)).reporter.display_name == AGENT.lower()  # Slack's handle


async def test_display_names_are_looked_up_once(slack: SlackDriver) -> None:
    for text in ("help", "mine", "themes"):
        await slack.command(text)
        await slack.settle()
    assert len(slack.fake.called("users.info")) == 1


@pytest.mark.parametrize("code", ["invalid_auth", "token_revoked", "account_inactive"])
async def test_a_rejected_bot_token_stops_the_start_with_what_to_fix(
    slack_settings: Callable[..., Settings], fake_slack: FakeSlack, clock: FakeClock, code: str
) -> None:
    fake_slack.refuse("auth.test", code)
    app = await build_server_app(slack_settings(), clock=clock)
    server = TestServer(app)
    with pytest.raises(SlackStartupError, match=rf"Slack rejected SLACK_BOT_TOKEN \({code}\)"):
        await server.start_server()
    await server.close()
    await app[RUNTIME_KEY].close()


async def test_slack_unreachable_at_start_does_not_stop_the_server(
    slack_settings: Callable[..., Settings],
    fake_slack: FakeSlack,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(identity_module, "STARTUP_ATTEMPTS", 1)
    monkeypatch.setattr(adapter_module, "RECHECK", 0.05)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}/api/"
    app = await build_server_app(slack_settings(SLACK_API_URL=closed), clock=clock)
    async with TestClient(TestServer(app)) as http:  # it starts: Slack is only down
        slack = SlackDriver(http, fake_slack, app[SLACK_ADAPTER_KEY], app[RUNTIME_KEY], clock)
        response = await slack.command("escalate checkout fails for all EU cards")
        assert response.status == 200  # stored, to run and be sent when it can
        assert slack.adapter.identity is None
        slack.adapter.client.base_url = fake_slack.url  # Slack is back
        await fake_slack.wait_for(lambda: slack.adapter.identity is not None)
        assert slack.adapter.identity is not None
        assert slack.adapter.interactions.bot_user_id == slack.adapter.identity.bot_user_id
