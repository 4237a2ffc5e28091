"""Signed `/flag recurring …` requests fired at a server: at a fixed rate, or as fast as it acks.

Each request has its own response URL, `{response_base}/respond/{name}`; a phase remembers the
names of the requests that were acknowledged (200) and when each was due, so the answers that
reach the fake Slack can be matched to them. Times are `time.monotonic()`.
"""

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
    began: float = 0.0  # when the first request was due
    last_due: float = 0.0  # when the last request was due (fixed rate) or sent (saturation)
    acked: dict[str, float] = field(default_factory=dict)  # name -> when it was due

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
    """Distinct `/flag recurring …` bodies, each with its own trigger id and response URL.

    Yields `(name, body)`: the response URL is `{response_base}/respond/{name}`, and every
    name starts with `prefix` followed by a dash.
    """

    def __init__(self, response_base: str, prefix: str) -> None:
        self._counter = itertools.count(1)
        self._response_base = response_base
        self.prefix = prefix

    def __iter__(self) -> Iterator[tuple[str, bytes]]:
        return self

    def __next__(self) -> tuple[str, bytes]:
        n = next(self._counter)
        name = f"{self.prefix}-{n}"
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
            "response_url": f"{self._response_base}/respond/{name}",
            "trigger_id": f"{self.prefix}.{n}.{n:032x}",
        }
        return name, urlencode(form).encode()


async def _send(
    session: aiohttp.ClientSession,
    url: str,
    secret: str,
    request: tuple[str, bytes],
    started: float,
    phase: Phase,
) -> None:
    name, body = request
    headers = {**signed_headers(secret, body), "Content-Type": "application/x-www-form-urlencoded"}
    try:
        async with session.post(url, data=body, headers=headers) as response:
            await response.read()
            ok = response.status == 200
    except (aiohttp.ClientError, TimeoutError):
        ok = False
    if ok:
        phase.latencies.append(time.monotonic() - started)
        phase.acked[name] = started
    else:
        phase.errors += 1


# A request without an answer after this long counts as an error (the server is stuck).
REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=30)


async def fixed_rate(
    url: str, secret: str, requests: Iterator[tuple[str, bytes]], *, rate: float, seconds: float
) -> Phase:
    """Open loop: request i is due at i/rate; latency counts from when it was due."""
    phase = Phase()
    total = int(rate * seconds)
    tasks = []
    connector = aiohttp.TCPConnector(limit=512)
    async with aiohttp.ClientSession(connector=connector, timeout=REQUEST_TIMEOUT) as session:
        begin = phase.began = time.monotonic()
        for i in range(total):
            due = phase.last_due = begin + i / rate
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            request = next(requests)
            tasks.append(asyncio.create_task(_send(session, url, secret, request, due, phase)))
        await asyncio.gather(*tasks)
        phase.seconds = time.monotonic() - begin
    return phase


async def saturate(
    url: str,
    secret: str,
    requests: Iterator[tuple[str, bytes]],
    *,
    concurrency: int,
    seconds: float,
    total: int | None = None,
) -> Phase:
    """Closed loop: `concurrency` clients send back to back for `seconds` (or until `total`
    requests were sent, whichever comes first); acks per second."""
    phase = Phase()
    connector = aiohttp.TCPConnector(limit=concurrency)
    budget = itertools.count() if total is None else iter(range(total))
    async with aiohttp.ClientSession(connector=connector, timeout=REQUEST_TIMEOUT) as session:
        begin = phase.began = time.monotonic()
        stop = begin + seconds

        async def client() -> None:
            while time.monotonic() < stop and next(budget, None) is not None:
                sent = phase.last_due = time.monotonic()
                await _send(session, url, secret, next(requests), sent, phase)

        await asyncio.gather(*(client() for _ in range(concurrency)))
        phase.seconds = time.monotonic() - begin
    return phase
