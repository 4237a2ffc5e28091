"""Crash tests: kill `frontline serve` mid-work, restart it, and count what came out.

The promise under test: every request Slack got a 200 for leads to exactly one flag, exactly
one escalation post (which the flag points at) and an answer to the agent — even when the
process dies right after the ack, while Slack rate-limits, or in the middle of steady traffic.
Requests that were in flight at the kill (no 200) may be lost, but never half-done or doubled.

Slack takes about one message a second in a channel and the server paces its posts to match,
so where many requests are sent most are `/flag recurring …` (a flag and an answer, no post)
and only some escalate: one a second under the steady load, every other one in the burst.

Each test runs on SQLite and on a scratch PostgreSQL database; the server, the fake Slack and
the database live only as long as the test. Logs stay in its tmp_path (named in failures).
"""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from tests.process.harness import (
    ESCALATIONS,
    Agent,
    FakeSlackProcess,
    FrontlineProcess,
    ScratchDatabase,
    demand_exactly_once,
    problems,
    report,
    settle,
    summary_for,
    tally,
)

# pytest-timeout's hang guard (pyproject: 120 s) is raised for the slow ones below: they wait
# for the server's whole backlog, which is bounded by the settle caps, not by that guard.
pytestmark = pytest.mark.process

# FRONTLINE_CRASH_FULL=1 runs every scenario as the issue states it (the steady load for 20 s
# with the crash at 10 s) on both databases. By default (CI) the steady load lasts 8 s with the
# crash at 4 s, SIGKILL on PostgreSQL and SIGTERM on SQLite, the burst escalates every fifth
# request, and the rate-limit scenario runs on SQLite only, to keep the suite well under its
# time budget.
FULL = os.environ.get("FRONTLINE_CRASH_FULL") == "1"
BURST = 50
BURST_ESCALATE_EVERY = 2 if FULL else 5  # 25 (10) escalations: paced posts, 1 s each
RATE = 100  # requests per second of the steady load, one of which escalates
LOAD_SECONDS = 20 if FULL else 8
CRASH_AT = 10 if FULL else 4  # seconds into the steady load
STOP_WITHIN = 60.0  # after SIGTERM, then SIGKILL (aiohttp's shutdown plus the work drain)
# Settling ends as soon as the outcome is right, or after QUIET seconds without any progress
# (no new flag, post, answer or Slack call) while /healthz reports no queued work (inbox_depth,
# outbox_pending): the server has given up. The others are hard caps.
QUIET = 20.0
SETTLE_WITHIN = 90.0  # a post cut off by the kill waits for its lease (~30 s) to be reconciled
SETTLE_AFTER_LOAD_WITHIN = 180.0  # ~2000 answers drained at ~20/s take ~100 s


async def test_one_escalation_end_to_end(
    agent: Agent,
    frontline: FrontlineProcess,
    fake_slack_process: FakeSlackProcess,
    scratch_database: ScratchDatabase,
) -> None:
    """Nothing is killed: one request, one flag, one post, one answer (the harness works)."""
    (sent,) = await agent.burst(1)
    assert sent.acked, f"no 200: {sent}\n{frontline.logs()}"

    result = await settle(scratch_database, fake_slack_process, agent.sent, agent.acked)

    assert not problems(result, agent.sent, agent.acked), report(result, agent, frontline)
    assert (result.flags[sent.n], result.posts[sent.n], result.answers[sent.n]) == (1, 1, 1)
    (flag,) = await scratch_database.flags()
    assert flag.summary == summary_for(sent.n)
    (post,) = [
        call
        for call in fake_slack_process.called("chat.postMessage")
        if call["params"].get("channel") == ESCALATIONS
    ]
    assert flag.post_message_id == post["posted_ts"]


async def _judge(
    agent: Agent,
    server: FrontlineProcess,
    fake: FakeSlackProcess,
    database: ScratchDatabase,
    *,
    within: float = SETTLE_WITHIN,
) -> None:
    await demand_exactly_once(
        lambda: tally(database, fake), agent, server, within=within, quiet=QUIET
    )


@pytest.mark.timeout(240)
async def test_sigkill_right_after_a_burst_of_acks(
    agent: Agent,
    frontline: FrontlineProcess,
    fake_slack_process: FakeSlackProcess,
    scratch_database: ScratchDatabase,
) -> None:
    """50 requests acknowledged, then SIGKILL at once: the work after the ack must survive."""
    agent.escalate_every = BURST_ESCALATE_EVERY
    sent = await agent.burst(BURST)
    assert all(s.acked for s in sent), agent.summary()

    await frontline.crash(signal.SIGKILL)
    await frontline.start()

    await _judge(agent, frontline, fake_slack_process, scratch_database)


@pytest.mark.timeout(240)
async def test_sigkill_while_deliveries_wait_on_rate_limits(
    agent: Agent,
    frontline: FrontlineProcess,
    fake_slack_process: FakeSlackProcess,
    scratch_database: ScratchDatabase,
) -> None:
    """Slack answers chat.postMessage with 429 Retry-After 2 a few times; SIGKILL meanwhile.

    20 escalations; the refusals left over at the kill are still there after the restart."""
    _only_in_full_run(scratch_database, "postgresql")
    await fake_slack_process.refuse(
        "chat.postMessage", status=429, error="ratelimited", retry_after=2, times=6
    )
    sent = await agent.burst(20)
    assert all(s.acked for s in sent), agent.summary()
    await fake_slack_process.wait_for(
        lambda: any(
            call["outcome"] == "refused" for call in fake_slack_process.called("chat.postMessage")
        ),
        within=15,
    )
    await asyncio.sleep(1)  # inside the Retry-After window: deliveries are waiting

    await frontline.crash(signal.SIGKILL)
    await frontline.start()

    await _judge(agent, frontline, fake_slack_process, scratch_database)


async def _steady_load_with_a_crash(
    agent: Agent, frontline: FrontlineProcess, signum: signal.Signals
) -> None:
    """RATE requests/s for LOAD_SECONDS; at CRASH_AT the server gets `signum` and, once it has
    exited, is restarted on the same port (as a supervisor would) while the load goes on."""
    agent.escalate_every = RATE  # one escalation a second: as fast as Slack takes posts
    load = asyncio.create_task(agent.at_rate(RATE, LOAD_SECONDS))
    try:
        await asyncio.sleep(CRASH_AT)
        await frontline.crash(signum, within=STOP_WITHIN)  # then SIGKILL, as a supervisor
        await frontline.start()
        await asyncio.wait_for(asyncio.shield(load), LOAD_SECONDS + 30)
    finally:
        if not load.done():
            load.cancel()
            await asyncio.gather(load, return_exceptions=True)
    assert len(agent.acked) >= RATE * CRASH_AT // 2, f"the load got no acks: {agent.summary()}"


@pytest.mark.timeout(360)
async def test_sigkill_under_steady_load(
    agent: Agent,
    frontline: FrontlineProcess,
    fake_slack_process: FakeSlackProcess,
    scratch_database: ScratchDatabase,
) -> None:
    """100 requests/s (one escalation a second) for LOAD_SECONDS, SIGKILL at CRASH_AT, restarted."""
    _only_in_full_run(scratch_database, "sqlite")
    await _steady_load_with_a_crash(agent, frontline, signal.SIGKILL)
    await _judge(
        agent, frontline, fake_slack_process, scratch_database, within=SETTLE_AFTER_LOAD_WITHIN
    )


@pytest.mark.timeout(360)
async def test_sigterm_under_steady_load(
    agent: Agent,
    frontline: FrontlineProcess,
    fake_slack_process: FakeSlackProcess,
    scratch_database: ScratchDatabase,
) -> None:
    """The same with a graceful stop (SIGTERM, as systemd or Kubernetes send), restarted once
    the process has exited; it must also exit by itself, with 0, within STOP_WITHIN."""
    _only_in_full_run(scratch_database, "postgresql")
    await _steady_load_with_a_crash(agent, frontline, signal.SIGTERM)
    await _judge(
        agent, frontline, fake_slack_process, scratch_database, within=SETTLE_AFTER_LOAD_WITHIN
    )
    assert frontline.exit_codes[0] == 0, (
        f"after SIGTERM the server did not exit cleanly within {STOP_WITHIN:g} s "
        f"(exit {frontline.exit_codes[0]}; -9: it had to be killed)"
    )


def _only_in_full_run(database: ScratchDatabase, kind: str) -> None:
    if not FULL and database.kind == kind:
        pytest.skip(f"the steady load on {kind} runs with FRONTLINE_CRASH_FULL=1")
