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
