"""Benchmark: how fast `frontline serve` acknowledges signed `/flag recurring …` requests.

Side by side in one run, on one machine: a bare aiohttp handler answering 200, a minimal
slack-bolt AsyncApp whose `/flag` only acks, and Frontline (SQLite, then PostgreSQL), every
server in its own process, all talking to one fake Slack Web API process. For each target:

- fixed rate: `--rate` requests/s for `--seconds` (open loop; latency from when each was due);
- saturation: `--concurrency` clients back to back for `--saturate-seconds` (acks per second).

For Frontline it also waits until every fixed-rate request got its answer (the work after the
ack: users.info, the flag and its theme in the database, the response_url answer).

    .venv/bin/python -m bench.slack_ack --runs 3

Targets: Frontline's saturation throughput ≥ half the bolt-only baseline; p99 ack < 100 ms at
200 requests/s.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import asyncpg  # type: ignore[import-untyped]

from bench.baselines import SECRET
from bench.load import FlagRequests, Phase, fixed_rate, saturate

CONFIG = "channels:\n  slack:\n    escalations: C0ESCALAT1\n"
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"


@dataclass
class Outcome:
    target: str
    steady: Phase
    burst: Phase
    drained_after: float | None  # seconds after the last fixed-rate request; None: n/a


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def wait_until_listening(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{_tail(log)}")
        with contextlib.suppress(OSError):
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        await asyncio.sleep(0.1)
    raise RuntimeError(f"server on port {port} did not start; see {log}")


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-2000:]


@contextlib.contextmanager
def running(
    command: list[str], log: Path, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """A server process of ours, stopped (SIGINT, then kill) when done."""
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, env=env)
        try:
            yield process
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


async def answers(fake_base: str) -> int:
    async with aiohttp.ClientSession() as session, session.get(f"{fake_base}/stats") as response:
        return int((await response.json())["answers"])


async def measure(
    name: str, port: int, args: argparse.Namespace, fake_base: str, *, frontline: bool
) -> Outcome:
    url = f"http://127.0.0.1:{port}/slack/events"
    bodies = FlagRequests(fake_base, f"{name}-{port}")
    await fixed_rate(url, SECRET, bodies, rate=args.rate, seconds=1)  # warm-up
    await asyncio.sleep(2 if frontline else 0.2)
    before = await answers(fake_base) if frontline else 0
    steady = await fixed_rate(url, SECRET, bodies, rate=args.rate, seconds=args.seconds)
    drained_after = None
    if frontline:
        expected = before + len(steady.latencies)
        finished = time.perf_counter()
        for _ in range(120 * 20):  # give up after two minutes
            if await answers(fake_base) >= expected:
                break
            await asyncio.sleep(0.05)
        drained_after = time.perf_counter() - finished
    burst = await saturate(
        url, SECRET, bodies, concurrency=args.concurrency, seconds=args.saturate_seconds
    )
    return Outcome(name, steady, burst, drained_after)


async def create_database(admin_url: str, name: str) -> str:
    connection = await asyncpg.connect(admin_url)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


async def drop_database(admin_url: str, name: str) -> None:
    connection = await asyncpg.connect(admin_url)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


async def one_run(args: argparse.Namespace, workdir: Path, run: int) -> list[Outcome]:
    python = sys.executable
    frontline = shutil.which("frontline", path=str(Path(python).parent)) or "frontline"
    fake_port = free_port()
    fake_base = f"http://127.0.0.1:{fake_port}"
    outcomes: list[Outcome] = []
    with running(
        [python, "-m", "bench.fake_web_api", "--port", str(fake_port)], workdir / "fake.log"
    ) as fake:
        await wait_until_listening(fake_port, fake, workdir / "fake.log")
        for kind in ("bare", "bolt"):
            port = free_port()
            command = [
                python,
                "-m",
                "bench.baselines",
                kind,
                "--port",
                str(port),
                "--api-url",
                f"{fake_base}/api/",
            ]
            log = workdir / f"{kind}-{run}.log"
            with running(command, log) as server:
                await wait_until_listening(port, server, log)
                label = "aiohttp 200 (bare)" if kind == "bare" else "slack-bolt, /flag acks only"
                outcomes.append(await measure(label, port, args, fake_base, frontline=False))
        databases: list[tuple[str, str, str | None]] = [
            ("SQLite", f"sqlite+aiosqlite:///{workdir / f'bench-{run}.db'}", None)
        ]
        if args.postgres:
            name = f"frontline_bench_{os.getpid()}_{run}"
            databases.append(("PostgreSQL", await create_database(args.postgres, name), name))
        for label, url, pg_name in databases:
            env = {
                **{
                    k: v
                    for k, v in os.environ.items()
                    if not k.startswith(("SLACK_", "FRONTLINE_", "DATABASE_URL", "MICROSOFT_"))
                },
                "SLACK_BOT_TOKEN": "xoxb-bench",
                "SLACK_SIGNING_SECRET": SECRET,
                "SLACK_API_URL": f"{fake_base}/api/",
                "DATABASE_URL": url,
                "FRONTLINE_CONFIG": str(workdir / "frontline.yml"),
            }
            try:
                if pg_name:
                    await asyncio.to_thread(
                        subprocess.run,
                        [frontline, "db", "upgrade"],
                        env=env,
                        check=True,
                        capture_output=True,
                    )
                port = free_port()
                log = workdir / f"frontline-{label}-{run}.log"
                with running([frontline, "serve", "--port", str(port)], log, env) as server:
                    await wait_until_listening(port, server, log)
                    outcomes.append(
                        await measure(f"Frontline, {label}", port, args, fake_base, frontline=True)
                    )
            finally:
                if pg_name:
                    await drop_database(args.postgres, pg_name)
    return outcomes


def table(runs: list[list[Outcome]], rate: float) -> str:
    """Medians over the runs, with the saturation throughput relative to the bolt baseline."""
    names = [o.target for o in runs[0]]
    bolt = statistics.median(r[1].burst.throughput for r in runs)
    lines = [
        f"| target | acks/s at saturation | vs bolt | p50 ack @ {rate:g}/s | p99 ack @ {rate:g}/s "
        "| errors | answers all sent |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for index, name in enumerate(names):
        outcomes = [r[index] for r in runs]
        throughput = statistics.median(o.burst.throughput for o in outcomes)
        p50 = statistics.median(o.steady.p50_ms for o in outcomes)
        p99 = statistics.median(o.steady.p99_ms for o in outcomes)
        errors = sum(o.steady.errors + o.burst.errors for o in outcomes)
        drained = [o.drained_after for o in outcomes if o.drained_after is not None]
        drain = f"{statistics.median(drained):.1f} s after the last request" if drained else "n/a"
        lines.append(
            f"| {name} | {throughput:,.0f} | {throughput / bolt:.2f} | {p50:.1f} ms "
            f"| {p99:.1f} ms | {errors} | {drain} |"
        )
    return "\n".join(lines)


def per_run(runs: list[list[Outcome]]) -> str:
    lines = [
        "| run | target | acks/s at saturation | vs bolt | p50 | p99 |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for number, outcomes in enumerate(runs, 1):
        bolt = outcomes[1].burst.throughput
        for o in outcomes:
            acks = o.burst.throughput
            lines.append(
                f"| {number} | {o.target} | {acks:,.0f} | {acks / bolt:.2f} "
                f"| {o.steady.p50_ms:.1f} ms | {o.steady.p99_ms:.1f} ms |"
            )
    return "\n".join(lines)


async def main_async(args: argparse.Namespace, workdir: Path) -> None:
    runs: list[list[Outcome]] = []
    for run in range(1, args.runs + 1):
        print(f"run {run}/{args.runs}…", file=sys.stderr, flush=True)
        runs.append(await one_run(args, workdir, run))
    print(f"Medians of {len(runs)} run(s); {os.cpu_count()} CPU(s).\n")
    print(table(runs, args.rate))
    print("\nEach run:\n")
    print(per_run(runs))
    if args.json:
        raw = [
            {
                "run": n,
                "target": o.target,
                "saturation_acks_per_s": o.burst.throughput,
                "p50_ms": o.steady.p50_ms,
                "p99_ms": o.steady.p99_ms,
                "errors": o.steady.errors + o.burst.errors,
                "drained_after_s": o.drained_after,
            }
            for n, outcomes in enumerate(runs, 1)
            for o in outcomes
        ]
        await asyncio.to_thread(Path(args.json).write_text, json.dumps(raw, indent=2))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--rate", type=float, default=200, help="requests/s of the fixed-rate phase"
    )
    parser.add_argument("--seconds", type=float, default=10, help="length of the fixed-rate phase")
    parser.add_argument(
        "--concurrency", type=int, default=32, help="clients in the saturation phase"
    )
    parser.add_argument(
        "--saturate-seconds", type=float, default=5, help="length of the saturation phase"
    )
    parser.add_argument(
        "--runs", type=int, default=3, help="repeat everything; the table shows medians"
    )
    parser.add_argument(
        "--postgres",
        default=DEFAULT_POSTGRES,
        help="admin URL of a PostgreSQL server to create a scratch database on ('' to skip)",
    )
    parser.add_argument("--json", help="also write every run's figures to this file")
    parser.add_argument("--logs", help="keep the servers' logs and databases in this directory")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="frontline-bench-") as tmp:
        workdir = Path(args.logs or tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        (workdir / "frontline.yml").write_text(CONFIG)
        asyncio.run(main_async(args, workdir))


if __name__ == "__main__":
    main()
