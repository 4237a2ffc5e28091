"""What the benchmarks share: free ports, our own server processes, scratch databases.

Everything listens on 127.0.0.1. Every process started here is stopped when its `with` block
ends (SIGINT, then SIGKILL after a grace period), and every wait is bounded in time.
Times compared across processes use `time.monotonic()` (CLOCK_MONOTONIC: one clock for every
process on the machine).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Coroutine, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import asyncpg  # type: ignore[import-untyped]

from bench.baselines import SECRET

T = TypeVar("T")

# The load is one synthetic problem escalated many times, each measured as its own post: bursts
# (which would join them into one post) are off.
CONFIG = "channels:\n  slack:\n    escalations: C0ESCALAT1\nthemes:\n  coalesce_within: off\n"
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
START_TIMEOUT_SECONDS = 60
REPOSITORY = Path(__file__).resolve().parent.parent
# The code each Frontline server ran: the commit, and any uncommitted change to it.
CODE_MEASURED: list[str] = []
STOP_TIMEOUT_SECONDS = 25  # Frontline gives its workers 10 s + 10 s to stop


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def tail(log: Path) -> str:
    return log.read_text(errors="replace")[-2000:]


async def wait_until_listening(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{tail(log)}")
        with contextlib.suppress(OSError):
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        await asyncio.sleep(0.1)
    raise RuntimeError(f"server on port {port} did not start; see {log}")


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
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextlib.asynccontextmanager
async def fake_slack(workdir: Path, *options: str) -> AsyncIterator[str]:
    """The fake Slack Web API (bench/fake_web_api.py) in its own process; yields its base URL."""
    port = free_port()
    log = workdir / f"fake-{port}.log"
    command = [sys.executable, "-m", "bench.fake_web_api", "--port", str(port), *options]
    with running(command, log) as process:
        await wait_until_listening(port, process, log)
        yield f"http://127.0.0.1:{port}"


async def get_json(url: str) -> Any:
    timeout = aiohttp.ClientTimeout(total=30)
    async with (
        aiohttp.ClientSession(timeout=timeout) as session,
        session.get(url) as response,
    ):
        response.raise_for_status()
        return await response.json()


def frontline_command() -> str:
    python = sys.executable
    return shutil.which("frontline", path=str(Path(python).parent)) or "frontline"


def frontline_env(workdir: Path, fake_base: str, database_url: str) -> dict[str, str]:
    """The environment of a `frontline serve` talking to the fake Slack, nothing inherited."""
    inherited = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "FRONTLINE_", "DATABASE_URL", "MICROSOFT_"))
    }
    config = workdir / "frontline.yml"
    if not config.exists():
        config.write_text(CONFIG)
    return {
        **inherited,
        "SLACK_BOT_TOKEN": "xoxb-bench",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": f"{fake_base}/api/",
        "DATABASE_URL": database_url,
        "FRONTLINE_CONFIG": str(config),
    }


async def upgrade(env: dict[str, str]) -> None:
    """`frontline db upgrade` on the environment's DATABASE_URL."""
    await asyncio.to_thread(
        subprocess.run,
        [frontline_command(), "db", "upgrade"],
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )


@contextlib.asynccontextmanager
async def frontline_server(
    workdir: Path, fake_base: str, database_url: str, label: str
) -> AsyncIterator[tuple[int, subprocess.Popen[bytes], Path]]:
    """`frontline serve` on a free port, on `database_url` (already upgraded for PostgreSQL)."""
    env = frontline_env(workdir, fake_base, database_url)
    port = free_port()
    log = workdir / f"frontline-{label}.log"
    state = await asyncio.to_thread(code_state)
    if state not in CODE_MEASURED:
        CODE_MEASURED.append(state)
    with running([frontline_command(), "serve", "--port", str(port)], log, env) as process:
        await wait_until_listening(port, process, log)
        yield port, process, log


async def create_database(admin_url: str, name: str) -> str:
    connection = await asyncpg.connect(admin_url, timeout=30)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


async def drop_database(admin_url: str, name: str) -> None:
    connection = await asyncpg.connect(admin_url, timeout=30)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


@contextlib.asynccontextmanager
async def scratch_databases(
    workdir: Path, postgres: str, tag: str
) -> AsyncIterator[list[tuple[str, str]]]:
    """(label, URL) of a fresh SQLite file and, unless `postgres` is '', a fresh PostgreSQL
    database (dropped at the end). Neither is upgraded yet."""
    databases = [("SQLite", f"sqlite+aiosqlite:///{workdir / f'bench-{tag}.db'}")]
    name = f"frontline_bench_{os.getpid()}_{tag}".replace("-", "_")
    if postgres:
        databases.append(("PostgreSQL", await create_database(postgres, name)))
    try:
        yield databases
    finally:
        if postgres:
            await drop_database(postgres, name)


async def frontline_servers(
    workdir: Path, fake_base: str, postgres: str, tag: str
) -> AsyncGenerator[tuple[str, int, subprocess.Popen[bytes]], None]:
    """`frontline serve` on a fresh SQLite file, then on a fresh PostgreSQL database (unless
    `postgres` is '', upgraded first): yields (label, port, process) while each one runs.
    Iterate it inside `contextlib.aclosing`, so a failure stops the server it is in."""
    async with scratch_databases(workdir, postgres, tag) as databases:
        for label, url in databases:
            if label != "SQLite":
                await upgrade(frontline_env(workdir, fake_base, url))
            async with frontline_server(workdir, fake_base, url, f"{tag}-{label}") as server:
                port, process, _ = server
                yield label, port, process


async def repeat_runs(
    args: argparse.Namespace,
    one_run: Callable[[argparse.Namespace, Path, int], Coroutine[Any, Any, T]],
    workdir: Path,
) -> tuple[list[T], list[str]]:
    """`--runs` runs of `one_run`, and the load average at the start and end of each."""
    runs: list[T] = []
    loads: list[str] = []
    for run in range(1, args.runs + 1):
        print(f"run {run}/{args.runs}…", file=sys.stderr, flush=True)
        before = load_average()
        runs.append(await one_run(args, workdir, run))
        loads.append(f"run {run}: {before} at the start, {load_average()} at the end")
    return runs, loads


def machine_line() -> str:
    import platform
    import sqlite3

    import slack_bolt
    import sqlalchemy

    cpu = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return (
        f"{os.cpu_count()} CPU(s) ({cpu}), Python {platform.python_version()}, "
        f"aiohttp {aiohttp.__version__}, slack-bolt {slack_bolt.version.__version__}, "
        f"SQLAlchemy {sqlalchemy.__version__}, SQLite {sqlite3.sqlite_version}, "
        f"asyncpg {asyncpg.__version__}"
    )


@dataclass
class Tally:
    """The answers (response URL calls) that reached the fake for one phase's requests."""

    acked: int  # requests acknowledged with a 200
    answered: int  # of those, answered at least once
    lost: int  # acknowledged, never answered (when the wait ended)
    duplicated: int  # answered more than once
    unacked_answered: int  # answered although the client saw no 200 (a timeout, say)
    earliest: float | None  # first answer's arrival (time.monotonic)
    latest: float | None  # last answer's arrival
    latencies: list[float]  # per answered request: first answer - when it was due

    def percentile_ms(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000


async def wait_for_answers(
    fake_base: str, prefix: str, expected: int, *, within: float, poll: float = 0.2
) -> bool:
    """Poll the fake until `expected` distinct names under `prefix` got an answer (bounded)."""
    url = f"{fake_base}/answers?prefix={prefix}-&summary=1"
    deadline = time.monotonic() + within
    for _ in range(int(within / poll) + 1):
        if (await get_json(url))["distinct"] >= expected:
            return True
        if time.monotonic() >= deadline:
            break
        await asyncio.sleep(poll)
    return False


async def tally(fake_base: str, prefix: str, acked: dict[str, float]) -> Tally:
    """Match the fake's answers under `prefix` with the acknowledged requests."""
    seen = await get_json(f"{fake_base}/answers?prefix={prefix}-")
    counts: dict[str, int] = seen["counts"]
    first: dict[str, float] = seen["first"]
    return Tally(
        acked=len(acked),
        answered=sum(1 for name in acked if counts.get(name)),
        lost=sum(1 for name in acked if not counts.get(name)),
        duplicated=sum(1 for count in counts.values() if count > 1),
        unacked_answered=sum(1 for name in counts if name not in acked),
        earliest=seen["earliest"],
        latest=seen["latest"],
        latencies=[first[name] - due for name, due in acked.items() if name in first],
    )


def load_average() -> str:
    """The machine's 1-minute load average (other processes share the cores)."""
    return f"{os.getloadavg()[0]:.1f}"


def code_state() -> str:
    """The commit of the code under test, and a hash of uncommitted changes to it, if any."""

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", *args], cwd=REPOSITORY, capture_output=True, timeout=30, check=False
        )
        return done.stdout.decode(errors="replace").strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    diff = git("diff", "HEAD", "--", "bot", "adapters", "storage")
    untracked = git(
        "ls-files", "--others", "--exclude-standard", "--", "bot", "adapters", "storage"
    )
    if not (diff or untracked):
        return commit
    import hashlib

    digest = hashlib.sha256((diff + untracked).encode()).hexdigest()[:8]
    return f"{commit} with uncommitted changes to bot/ adapters/ storage/ ({digest})"


def code_line() -> str:
    """What the Frontline servers of this run ran; more than one state means it changed."""
    states = CODE_MEASURED or [code_state()]
    if len(states) == 1:
        return f"Code measured: {states[0]}."
    return "Code measured: CHANGED DURING THE RUN: " + "; then ".join(states) + "."


def add_sizes(parser: argparse.ArgumentParser, sizes: Sequence[int], what: str) -> None:
    """`--sizes`: the sizes to measure, comma-separated (`what` says what is counted)."""
    parser.add_argument(
        "--sizes",
        type=lambda text: [int(n) for n in text.split(",")],
        default=list(sizes),
        help=f"{what} per measurement, comma-separated (default {','.join(map(str, sizes))})",
    )


def parser_for(doc: str | None) -> argparse.ArgumentParser:
    """The options every benchmark script shares; add its own, then call `run_in_workdir`."""
    parser = argparse.ArgumentParser(
        description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3, help="repeat; the table shows medians")
    parser.add_argument(
        "--postgres",
        default=DEFAULT_POSTGRES,
        help="admin URL of a PostgreSQL server to create a scratch database on ('' to skip)",
    )
    parser.add_argument("--json", help="also write every run's figures to this file")
    parser.add_argument("--logs", help="keep the servers' logs and databases in this directory")
    return parser


def run_in_workdir(
    args: argparse.Namespace,
    prefix: str,
    main_async: Callable[[argparse.Namespace, Path], Coroutine[Any, Any, None]],
) -> None:
    """Run the benchmark in `--logs` (kept) or a temporary directory (removed)."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        workdir = Path(args.logs or tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        asyncio.run(main_async(args, workdir))
