"""Benchmark: how fast `frontline serve` acknowledges signed `/flag recurring …` requests.

Side by side in one run, on one machine: a bare aiohttp handler answering 200, a minimal
slack-bolt AsyncApp whose `/flag` only acks, and Frontline (SQLite, then PostgreSQL), every
server in its own process, all talking to one fake Slack Web API process. For each target:

- fixed rate: `--rate` requests/s for `--seconds` (open loop; latency from when each was due);
- saturation: `--concurrency` clients back to back for `--saturate-seconds` (acks per second).

Frontline stores each request in its inbox before the 200 and works on it afterwards; between
the two phases the script waits until every fixed-rate request got its answer (the
response_url POST at the fake), so the saturation phase starts with an empty queue, and it
reports when the last answer arrived and how many were lost or duplicated.

    .venv/bin/python -m bench.slack_ack --runs 3

Targets: Frontline's saturation throughput ≥ 0.6 times the bolt-only baseline; p99 ack < 50 ms at
200 requests/s; on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path

from bench.baselines import SECRET
from bench.harness import (
    Tally,
    code_line,
    fake_slack,
    free_port,
    frontline_servers,
    machine_line,
    parser_for,
    repeat_runs,
    run_in_workdir,
    running,
    tally,
    wait_for_answers,
    wait_until_listening,
)
from bench.load import FlagRequests, Phase, fixed_rate, saturate

BASELINES = {"bare": "aiohttp 200 (bare)", "bolt": "slack-bolt, /flag acks only"}


@dataclass
class Outcome:
    target: str
    steady: Phase
    burst: Phase
    answers: Tally | None  # the fixed-rate phase's answers (Frontline only)

    @property
    def drained_after(self) -> float | None:
        """Seconds from the last fixed-rate request to its last answer; None: n/a or lost."""
        if self.answers is None or self.answers.lost or self.answers.latest is None:
            return None
        return self.answers.latest - self.steady.last_due


async def measure(
    name: str, port: int, args: argparse.Namespace, fake_base: str, tag: str, *, frontline: bool
) -> Outcome:
    url = f"http://127.0.0.1:{port}/slack/events"
    warm = FlagRequests(fake_base, f"{tag}-warm")
    warmup = await fixed_rate(url, SECRET, warm, rate=args.rate, seconds=1)
    if frontline:  # start from an empty queue
        await wait_for_answers(fake_base, warm.prefix, len(warmup.acked), within=args.drain)
    await asyncio.sleep(0.5)
    requests = FlagRequests(fake_base, f"{tag}-steady")
    steady = await fixed_rate(url, SECRET, requests, rate=args.rate, seconds=args.seconds)
    answers = None
    if frontline:
        await wait_for_answers(fake_base, requests.prefix, len(steady.acked), within=args.drain)
        await asyncio.sleep(0.5)  # a duplicate would arrive right after
        answers = await tally(fake_base, requests.prefix, steady.acked)
    burst = await saturate(
        url,
        SECRET,
        FlagRequests(fake_base, f"{tag}-burst"),
        concurrency=args.concurrency,
        seconds=args.saturate_seconds,
    )
    return Outcome(name, steady, burst, answers)


async def one_run(args: argparse.Namespace, workdir: Path, run: int) -> list[Outcome]:
    outcomes: list[Outcome] = []
    async with fake_slack(workdir) as fake_base:
        for kind, label in BASELINES.items():
            port = free_port()
            command = [sys.executable, "-m", "bench.baselines", kind, "--port", str(port)]
            command += ["--api-url", f"{fake_base}/api/"]
            log = workdir / f"{kind}-{run}.log"
            with running(command, log) as server:
                await wait_until_listening(port, server, log)
                tag = f"r{run}-{kind}"
                outcomes.append(await measure(label, port, args, fake_base, tag, frontline=False))
        servers = frontline_servers(workdir, fake_base, args.postgres, f"ack{run}")
        async with contextlib.aclosing(servers):
            async for label, port, _ in servers:
                outcomes.append(
                    await measure(
                        f"Frontline, {label}",
                        port,
                        args,
                        fake_base,
                        f"r{run}-{label}",
                        frontline=True,
                    )
                )
    return outcomes


def _drain(outcome: Outcome) -> str:
    if outcome.answers is None:
        return "n/a"
    if outcome.drained_after is None:
        return f"{outcome.answers.lost} never answered"
    return f"{outcome.drained_after:.1f} s"


def table(runs: list[list[Outcome]], rate: float) -> str:
    """Medians over the runs, with the saturation throughput relative to the bolt baseline."""
    names = [o.target for o in runs[0]]
    lines = [
        f"| target | acks/s at saturation | vs bolt | p50 ack @ {rate:g}/s | p99 ack @ {rate:g}/s "
        "| errors | last answer after the last request | lost / duplicated answers |",
        "|---|---:|---:|---:|---:|---:|---|---|",
    ]
    for index, name in enumerate(names):
        outcomes = [r[index] for r in runs]
        throughput = statistics.median(o.burst.throughput for o in outcomes)
        ratio = statistics.median(
            o.burst.throughput / r[1].burst.throughput for o, r in zip(outcomes, runs, strict=True)
        )
        p50 = statistics.median(o.steady.p50_ms for o in outcomes)
        p99 = statistics.median(o.steady.p99_ms for o in outcomes)
        errors = sum(o.steady.errors + o.burst.errors for o in outcomes)
        tallies = [o.answers for o in outcomes if o.answers is not None]
        drained = [o.drained_after for o in outcomes if o.drained_after is not None]
        if not tallies:
            drain, lost = "n/a", "n/a"
        else:
            drain = f"{statistics.median(drained):.1f} s" if drained else "—"
            if len(drained) < len(tallies):
                drain += f" ({len(tallies) - len(drained)} run(s) with answers missing)"
            lost = f"{sum(t.lost for t in tallies)} / {sum(t.duplicated for t in tallies)}"
        lines.append(
            f"| {name} | {throughput:,.0f} | {ratio:.2f} | {p50:.1f} ms "
            f"| {p99:.1f} ms | {errors} | {drain} | {lost} |"
        )
    return "\n".join(lines)


def per_run(runs: list[list[Outcome]]) -> str:
    lines = [
        "| run | target | acks/s at saturation | vs bolt | p50 | p99 | last answer after |",
        "|---:|---|---:|---:|---:|---:|---|",
    ]
    for number, outcomes in enumerate(runs, 1):
        bolt = outcomes[1].burst.throughput
        for o in outcomes:
            acks = o.burst.throughput
            lines.append(
                f"| {number} | {o.target} | {acks:,.0f} | {acks / bolt:.2f} "
                f"| {o.steady.p50_ms:.1f} ms | {o.steady.p99_ms:.1f} ms | {_drain(o)} |"
            )
    return "\n".join(lines)


async def main_async(args: argparse.Namespace, workdir: Path) -> None:
    runs, loads = await repeat_runs(args, one_run, workdir)
    print(f"Medians of {len(runs)} run(s); {machine_line()}.\n")
    print(table(runs, args.rate))
    print("\nEach run:\n")
    print(per_run(runs))
    print("\nLoad average (1 min, both cores shared): " + "; ".join(loads) + ".")
    print(code_line())
    if args.json:
        raw = [
            {
                "run": n,
                "target": o.target,
                "saturation_acks_per_s": o.burst.throughput,
                "vs_bolt": o.burst.throughput / outcomes[1].burst.throughput,
                "p50_ms": o.steady.p50_ms,
                "p99_ms": o.steady.p99_ms,
                "errors": o.steady.errors + o.burst.errors,
                "drained_after_s": o.drained_after,
                "lost": o.answers.lost if o.answers else None,
                "duplicated": o.answers.duplicated if o.answers else None,
            }
            for n, outcomes in enumerate(runs, 1)
            for o in outcomes
        ]
        await asyncio.to_thread(Path(args.json).write_text, json.dumps(raw, indent=2))


def main() -> None:
    parser = parser_for(__doc__)
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
        "--drain",
        type=float,
        default=300,
        help="at most this many seconds to wait for the fixed-rate phase's answers",
    )
    args = parser.parse_args()
    run_in_workdir(args, "frontline-bench-", main_async)


if __name__ == "__main__":
    main()
