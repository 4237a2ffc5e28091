"""The workers' claims wait for a moment when no request is being answered, but not forever."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time

from bot.claiming import Arrivals, ClaimLoop
from bot.outage import OutageLog


async def test_quiet_returns_at_once_when_nothing_is_answered() -> None:
    arrivals = Arrivals(max_wait=5.0)
    started = time.monotonic()
    await arrivals.quiet()
    assert time.monotonic() - started < 1.0


async def test_quiet_waits_for_the_last_answer_then_returns() -> None:
    arrivals = Arrivals(max_wait=5.0)
    arrivals.begin()
    arrivals.begin()
    waiter = asyncio.create_task(arrivals.quiet())
    await asyncio.sleep(0.05)
    arrivals.end()
    await asyncio.sleep(0.05)
    assert not waiter.done()  # one request is still being answered
    arrivals.end()
    await asyncio.wait_for(waiter, 1.0)
    assert arrivals.answering == 0


async def test_a_steady_stream_of_requests_delays_claims_but_never_stops_them() -> None:
    arrivals = Arrivals(max_wait=0.05)
    arrivals.begin()  # never ends: requests keep arriving
    claims: list[float] = []

    async def claim(free: int) -> int:
        claims.append(time.monotonic())
        return 0

    loop = ClaimLoop(
        claim=claim,
        in_flight=lambda: 0,
        concurrency=2,
        poll_seconds=0.0,
        outage=OutageLog(logging.getLogger(__name__), "test"),
        arrivals=arrivals,
    )
    runner = asyncio.create_task(loop.run())
    await asyncio.sleep(0.5)
    loop.stop()
    await asyncio.wait_for(runner, 1.0)
    # Each claim waited out max_wait (no quiet moment came), yet claims kept being made.
    assert 3 <= len(claims) <= 11
    gaps = [b - a for a, b in itertools.pairwise(claims)]
    assert min(gaps) >= 0.04


async def test_work_finishing_together_shares_one_claim() -> None:
    in_flight = 8
    claims: list[int] = []

    async def claim(free: int) -> int:
        claims.append(free)
        return 0

    loop = ClaimLoop(
        claim=claim,
        in_flight=lambda: in_flight,
        concurrency=16,
        poll_seconds=10.0,
        outage=OutageLog(logging.getLogger(__name__), "test"),
        settle_seconds=0.05,
    )
    runner = asyncio.create_task(loop.run())
    await asyncio.sleep(0.1)  # the first claim, then asleep until woken
    claims.clear()
    for _ in range(4):  # four sends finish within the settling time, each waking the loop
        in_flight -= 1
        loop.wake()
        await asyncio.sleep(0.005)
    await asyncio.sleep(0.2)
    loop.stop()
    await asyncio.wait_for(runner, 1.0)
    assert claims == [12]  # one claim, for every slot the four freed
