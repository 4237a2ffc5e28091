"""Crash tests on Teams: kill `frontline serve` mid-work, restart it, and count what came out.

The promise of `test_crash.py`, through the Bot Framework endpoint: every activity Teams got a
200 for leads to exactly one flag, an escalation to exactly one card in the escalation channel
(which the flag points at), and the agent to an answer in their message's reply chain; even
when the process dies right after the acks, while the connector throttles the cards, or when
a deploy stops it (SIGTERM) in the middle of a stream of activities.

Teams takes about 2 messages a second in a conversation over 30 s, and the server paces the
cards to match, so most requests are `flag recurring …` (a flag and an answer, no card).
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from tests.process.harness import (
    FrontlineProcess,
    ScratchDatabase,
    problems,
    report,
    settle_on,
)
from tests.process.teams_harness import TeamsAgent, teams_environment, teams_tally
from tests.teams.connector import FakeConnector

pytestmark = pytest.mark.process

BURST = 24
ESCALATE_EVERY = 4  # 6 cards in the burst
RATE = 40  # activities per second under the steady stream
STREAM_SECONDS = 4
STOP_AT = 2  # seconds into the stream
QUIET = 20.0
SETTLE_WITHIN = 90.0


@pytest.fixture
async def connector() -> AsyncIterator[FakeConnector]:
    fake = FakeConnector()
    await fake.start()
    try:
        yield fake
    finally:
        await fake.close()


@pytest.fixture
async def teams_server(
    scratch_database: ScratchDatabase, tmp_path: Path
) -> AsyncIterator[FrontlineProcess]:
    server = FrontlineProcess(teams_environment(scratch_database, tmp_path), tmp_path)
    try:
        if scratch_database.kind == "postgresql":
            await server.upgrade_database()
        await server.start()
        yield server
    finally:
        server.stop_now()


@pytest.fixture
async def teams_agent(connector: FakeConnector, teams_server: FrontlineProcess) -> TeamsAgent:
    """An agent whose activities point at the connector; the escalation channel introduced."""
    url = f"{teams_server.base}/api/messages"
    agent = TeamsAgent(None, url, connector_url=connector.url, escalate_every=ESCALATE_EVERY)
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            url, data=agent.introduction(), headers={"Content-Type": "application/json"}
        ) as response,
    ):
        assert response.status == 200, await response.text()
    return agent


async def _judge(
    agent: TeamsAgent,
    server: FrontlineProcess,
    connector: FakeConnector,
    database: ScratchDatabase,
) -> None:
    """Wait for the restarted server to finish what it owes, then demand exactly-once."""
    assert agent.acked, f"no activity was acknowledged at all: {agent.summary()}\n{server.logs()}"
    result = await settle_on(
        lambda: teams_tally(database, connector, agent),
        agent.sent,
        agent.acked,
        agent.escalations,
        server=server,
        within=SETTLE_WITHIN,
        quiet=QUIET,
    )
    assert not problems(result, agent.sent, agent.acked, agent.escalations), report(
        result, agent, server
    )


@pytest.mark.timeout(240)
async def test_sigkill_right_after_a_burst_of_acks(
    teams_agent: TeamsAgent,
    teams_server: FrontlineProcess,
    connector: FakeConnector,
    scratch_database: ScratchDatabase,
) -> None:
    """24 activities acknowledged, then SIGKILL at once: the work after the acks survives."""
    sent = await teams_agent.burst(BURST)
    assert all(s.acked for s in sent), teams_agent.summary()
    await teams_server.crash(signal.SIGKILL)

    await teams_server.start()
    await _judge(teams_agent, teams_server, connector, scratch_database)
    assert teams_server.exit_codes == [-signal.SIGKILL]


@pytest.mark.timeout(240)
@pytest.mark.parametrize("scratch_database", ["sqlite"], indirect=True)
async def test_sigkill_while_the_cards_wait_out_throttling(
    teams_agent: TeamsAgent,
    teams_server: FrontlineProcess,
    connector: FakeConnector,
    scratch_database: ScratchDatabase,
) -> None:
    """The connector throttles card posts (429, Retry-After: 3); SIGKILL while they wait."""
    connector.refuse_next("create", 429, retry_after="3", times=4)
    sent = await teams_agent.burst(8)
    assert all(s.acked for s in sent), teams_agent.summary()
    await asyncio.sleep(1.0)  # the first card was refused, and waits out its Retry-After
    assert any(call.answered == 429 for call in connector.calls), "no card was throttled"
    await teams_server.crash(signal.SIGKILL)

    await teams_server.start()
    await _judge(teams_agent, teams_server, connector, scratch_database)


@pytest.mark.timeout(240)
async def test_sigterm_in_a_stream_of_activities(
    teams_agent: TeamsAgent,
    teams_server: FrontlineProcess,
    connector: FakeConnector,
    scratch_database: ScratchDatabase,
) -> None:
    """A deploy: SIGTERM while 40 activities a second arrive; the restart finishes the rest."""
    stream = asyncio.create_task(teams_agent.at_rate(RATE, STREAM_SECONDS))
    await asyncio.sleep(STOP_AT)
    await teams_server.crash(signal.SIGTERM, within=60.0)
    await teams_server.start()  # as a supervisor would, while the stream goes on
    await stream  # those sent while it was down got no 200: they may be lost, never half done

    await _judge(teams_agent, teams_server, connector, scratch_database)
    assert teams_server.exit_codes == [0], teams_server.logs()
