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
import functools
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from tests.process.harness import (
    FrontlineProcess,
    ScratchDatabase,
    case_of,
    demand_exactly_once,
    frontline_executable,
    settle_agent,
    started_server,
)
from tests.process.teams_harness import TeamsAgent, teams_environment, teams_tally
from tests.teams.connector import FakeConnector
from tests.teams.harness import MARIA, card_press

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
    env = teams_environment(scratch_database, tmp_path)
    async with started_server(env, tmp_path, scratch_database) as server:
        yield server


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
    count = functools.partial(teams_tally, database, connector, agent)
    await demand_exactly_once(count, agent, server, within=SETTLE_WITHIN, quiet=QUIET)


async def _adopt_orphaned_cards(
    agent: TeamsAgent, connector: FakeConnector, database: ScratchDatabase
) -> int:
    """A manager presses Acknowledge on each card whose creation the killed server never heard
    back about: Teams keeps no history to look in, so the press is what proves the card exists,
    and the flag adopts it (docs/teams.md). Returns how many were pressed."""
    result = await teams_tally(database, connector, agent)
    numbers = {case_of(row.summary): row.number for row in await database.flags()}
    pressed = 0
    async with aiohttp.ClientSession() as session:
        for n, roots in result.post_ts.items():
            if result.flag_posts.get(n) != {None} or len(roots) != 1:
                continue
            data = {"action_id": "flag_acknowledge", "value": str(numbers[n])}
            press = card_press("flag_acknowledge", data, root=next(iter(roots)), sender=MARIA)
            press["serviceUrl"] = connector.url
            async with session.post(agent.url, json=press) as response:
                assert response.status == 200, await response.text()
            pressed += 1
    return pressed


async def _frontline(server: FrontlineProcess, *args: str) -> str:
    """Run `frontline <args>` as the admin would, with the server's settings; its output."""
    process = await asyncio.create_subprocess_exec(
        str(frontline_executable()),
        *args,
        env=server.env,
        cwd=server.workdir,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, output.decode(errors="replace")
    return output.decode(errors="replace")


async def _retry_given_up_cards(server: FrontlineProcess) -> None:
    """A card whose send had begun at the kill but never reached Teams is given up, since it
    may have been shown; the admin sees it in `frontline outbox`, checks the channel, and
    sends it again (docs/delivery.md)."""
    listed = await _frontline(server, "outbox")
    if "may or may not have shown it" in listed:
        await _frontline(server, "outbox", "retry", "--dead")


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
    # A card whose creation was in flight at the kill cannot be told apart from one never made:
    # it is given up (never posted twice), and adopted by the first press on it.
    count = functools.partial(teams_tally, scratch_database, connector, teams_agent)
    await settle_agent(count, teams_agent, teams_server, within=SETTLE_WITHIN, quiet=QUIET)
    await _adopt_orphaned_cards(teams_agent, connector, scratch_database)
    await _retry_given_up_cards(teams_server)
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
