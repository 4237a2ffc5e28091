"""Benchmark: how fast `frontline serve` works off a backlog, and what each flag costs its threads.

Per database, on one server (SQLite, then PostgreSQL): `--requests` `/flag recurring …` from
32 clients as fast as Frontline acknowledges them, which leaves a backlog in the inbox. Then,
with no request arriving, for `--seconds`: how many answers reach the fake Slack per second,
and how much CPU the server used per answer (read from Linux's `/proc/<pid>/task/*/stat`
before and after): its event loop (the main thread), and its other threads together (the
model, the theme index, the SQLite driver).

    .venv/bin/python -m bench.drain --runs 3

No target of its own: it shows where the end-to-end target (`bench/slack_e2e.py`) is lost.
Linux only.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from bench.baselines import SECRET
from bench.harness import (
    code_line,
    fake_slack,
    frontline_servers,
    get_json,
    machine_line,
    parser_for,
    repeat_runs,
    run_in_workdir,
)
from bench.load import FlagRequests, saturate

TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Drained:
    database: str
    answers_per_s: float
    cpu_ms_per_answer: dict[str, float]  # thread group → CPU ms per answer


def thread_cpu(pid: int) -> dict[str, float]:
    """CPU seconds (user + system) so far of process `pid`'s event loop (its main thread) and
    of its other threads together: Linux names them all after the process, so the model's,
    the theme index's and the SQLite driver's cannot be told apart."""
    groups: dict[str, float] = defaultdict(float)
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except FileNotFoundError:  # the thread ended meanwhile
            continue
        group = "event loop" if int(tid) == pid else "other threads"
        groups[group] += (int(fields[11]) + int(fields[12])) / TICKS
    return groups


async def answered(fake_base: str, prefix: str) -> int:
    summary = await get_json(f"{fake_base}/answers?prefix={prefix}-&summary=1")
    return int(summary["distinct"])


async def measure(label: str, port: int, pid: int, args: argparse.Namespace, fake: str) -> Drained:
    requests = FlagRequests(fake, f"drain-{label}-{port}")
    url = f"http://127.0.0.1:{port}/slack/events"
    await saturate(url, SECRET, requests, concurrency=32, seconds=120, total=args.requests)
    before, cpu_before = await answered(fake, requests.prefix), thread_cpu(pid)
    await asyncio.sleep(args.seconds)
    after, cpu_after = await answered(fake, requests.prefix), thread_cpu(pid)
    count = max(after - before, 1)
    return Drained(
        label,
        (after - before) / args.seconds,
        {
            group: 1000 * (cpu_after[group] - cpu_before.get(group, 0.0)) / count
            for group in cpu_after
        },
    )


async def one_run(args: argparse.Namespace, workdir: Path, run: int) -> list[Drained]:
    outcomes = []
    async with fake_slack(workdir) as fake:
        servers = frontline_servers(workdir, fake, args.postgres, f"drain{run}")
        async with contextlib.aclosing(servers):
            async for label, port, process in servers:
                outcomes.append(await measure(label, port, process.pid, args, fake))
    return outcomes


def table(runs: list[list[Drained]]) -> str:
    groups = ["event loop", "other threads"]
    lines = [
        "| database | answers/s while draining | "
        + " | ".join(f"{group}: CPU ms per answer" for group in groups)
        + " |",
        "|---|---:|" + "---:|" * len(groups),
    ]
    for database in dict.fromkeys(d.database for outcomes in runs for d in outcomes):
        mine = [d for outcomes in runs for d in outcomes if d.database == database]
        rate = statistics.median(d.answers_per_s for d in mine)
        costs = [statistics.median(d.cpu_ms_per_answer.get(g, 0.0) for d in mine) for g in groups]
        runs_text = ", ".join(f"{d.answers_per_s:.1f}" for d in mine)
        lines.append(
            f"| {database} | {rate:.1f} (runs {runs_text}) | "
            + " | ".join(f"{cost:.1f}" for cost in costs)
            + " |"
        )
    return "\n".join(lines)


async def main_async(args: argparse.Namespace, workdir: Path) -> None:
    runs, loads = await repeat_runs(args, one_run, workdir)
    print(f"Medians of {len(runs)} run(s); {machine_line()}.\n")
    print(table(runs))
    print("\nLoad average (1 min, both cores shared): " + "; ".join(loads) + ".")
    print(code_line())


def main() -> None:
    parser = parser_for(__doc__)
    parser.add_argument("--requests", type=int, default=1500, help="the backlog to leave")
    parser.add_argument("--seconds", type=float, default=10, help="how long to watch it drain")
    args = parser.parse_args()
    run_in_workdir(args, "frontline-drain-", main_async)


if __name__ == "__main__":
    main()
