"""Signed `/flag recurring …` requests fired at a server: at a fixed rate, or as fast as it acks."""

from __future__ import annotations

import asyncio
import itertools
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlencode

import aiohttp

from adapters.slack.signature import signed_headers

# Real agents describe a handful of problems many times; the matcher sees that, not noise.
PROBLEMS = (
    "SSO login loops after password reset",
    "checkout fails for EU cards at the 3DS step",
    "CSV export times out for large accounts",
    "invoice PDF shows the wrong VAT rate",
    "mobile app logs out after the update",
    "webhooks arrive twice for one payment",
    "search returns nothing for accented names",
    "refunds stuck in pending for days",
)


@dataclass
class Phase:
    """What one phase measured: acknowledgement latencies (seconds) and failures."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]

    @property
    def p50_ms(self) -> float:
        return statistics.median(self.latencies) * 1000 if self.latencies else float("nan")

    @property
    def p99_ms(self) -> float:
        return self.percentile(99) * 1000


class FlagRequests:
    """Distinct `/flag recurring …` bodies, each with its own trigger id and response URL."""

    def __init__(self, response_base: str, prefix: str) -> None:
        self._counter = itertools.count(1)
        self._response_base = response_base
        self._prefix = prefix

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        n = next(self._counter)
        form = {
            "token": "bench",
            "team_id": "T0BENCH01",
            "team_domain": "bench",
            "channel_id": "C0SUPPORT1",
            "channel_name": "support",
            "user_id": f"U0AGENT{n % 25:02d}",
            "user_name": f"agent{n % 25}",
            "command": "/flag",
            "text": f"recurring {PROBLEMS[n % len(PROBLEMS)]} ZD-{10_000 + n}",
            "api_app_id": "A0BENCH",
            "is_enterprise_install": "false",
            "response_url": f"{self._response_base}/respond/{self._prefix}-{n}",
            "trigger_id": f"{self._prefix}.{n}.{n:032x}",
        }
        return urlencode(form).encode()


async def _send(
    session: aiohttp.ClientSession, url: str, secret: str, body: bytes, started: float, phase: Phase
) -> None:
    headers = {**signed_headers(secret, body), "Content-Type": "application/x-www-form-urlencoded"}
    try:
        async with session.post(url, data=body, headers=headers) as response:
            await response.read()
            ok = response.status == 200
    except aiohttp.ClientError:
        ok = False
    if ok:
        phase.latencies.append(time.perf_counter() - started)
    else:
        phase.errors += 1


async def fixed_rate(
    url: str, secret: str, bodies: Iterator[bytes], *, rate: float, seconds: float
) -> Phase:
    """Open loop: request i is due at i/rate; latency counts from when it was due."""
    phase = Phase()
    total = int(rate * seconds)
    tasks = []
    connector = aiohttp.TCPConnector(limit=512)
    async with aiohttp.ClientSession(connector=connector) as session:
        begin = time.perf_counter()
        for i in range(total):
            due = begin + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(_send(session, url, secret, next(bodies), due, phase)))
        await asyncio.gather(*tasks)
        phase.seconds = time.perf_counter() - begin
    return phase


async def saturate(
    url: str, secret: str, bodies: Iterator[bytes], *, concurrency: int, seconds: float
) -> Phase:
    """Closed loop: `concurrency` clients send back to back for `seconds`; acks per second."""
    phase = Phase()
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        begin = time.perf_counter()
        stop = begin + seconds

        async def client() -> None:
            while time.perf_counter() < stop:
                await _send(session, url, secret, next(bodies), time.perf_counter(), phase)

        await asyncio.gather(*(client() for _ in range(concurrency)))
        phase.seconds = time.perf_counter() - begin
    return phase
