"""Benchmark: `/flag recurring …` end to end, from the signed request to the answer at "Slack".

`frontline serve` (SQLite, then PostgreSQL) with a fake Slack Web API in its own process; the
answer is the response_url POST that Frontline's outbox delivers after the inbox worker ran the
command (users.info, the flag and its theme in the database). Per database, on one server:

1. fixed rate: `--rate` requests/s for `--seconds` (open loop). When does the last answer reach
   the fake, relative to the last request? And each answer's latency from when its request
   was due.
2. saturation: `--requests` requests from `--concurrency` clients as fast as Frontline acks
   them, then wait for every answer. Flags fully processed per second = answered requests /
   (last answer's arrival - first request sent).

Every acknowledged request must get exactly one answer: both phases count the lost (no answer
after `--drain` seconds) and the duplicated (more than one). Each phase waits for the previous
one's answers, so it starts with an empty queue.

    .venv/bin/python -m bench.slack_e2e --runs 3

Target: at 200 requests/s for 10 s, the last answer within 2 s of the last request; none lost,
none duplicated.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
from dataclasses import dataclass
from pathlib import Path

from bench.baselines import SECRET
from bench.harness import (
    Tally,
    code_line,
    fake_slack,
    frontline_servers,
    machine_line,
    parser_for,
    repeat_runs,
    run_in_workdir,
    tally,
    wait_for_answers,
)
from bench.load import FlagRequests, Phase, fixed_rate, saturate


@dataclass
class Outcome:
    database: str
    steady: Phase
    steady_answers: Tally
    burst: Phase
    burst_answers: Tally

    @property
    def last_answer_after(self) -> float | None:
        """Seconds from the last fixed-rate request to its last answer; None when any is lost."""
        answers = self.steady_answers
        if answers.lost or answers.latest is None:
            return None
        return answers.latest - self.steady.last_due

    @property
    def flags_per_second(self) -> float:
        answers = self.burst_answers
        if answers.latest is None:
            return 0.0
        return answers.answered / (answers.latest - self.burst.began)


async def phase_answers(
    fake_base: str, requests: FlagRequests, phase: Phase, drain: float
) -> Tally:
    await wait_for_answers(fake_base, requests.prefix, len(phase.acked), within=drain)
    await asyncio.sleep(1.0)  # a duplicate would arrive right after
    return await tally(fake_base, requests.prefix, phase.acked)


async def measure(
    database: str, port: int, args: argparse.Namespace, fake_base: str, tag: str
) -> Outcome:
    url = f"http://127.0.0.1:{port}/slack/events"
    warm = FlagRequests(fake_base, f"{tag}-warm")
    warmup = await fixed_rate(url, SECRET, warm, rate=args.rate, seconds=1)
    await wait_for_answers(fake_base, warm.prefix, len(warmup.acked), within=args.drain)
    await asyncio.sleep(0.5)

    requests = FlagRequests(fake_base, f"{tag}-steady")
    steady = await fixed_rate(url, SECRET, requests, rate=args.rate, seconds=args.seconds)
    steady_answers = await phase_answers(fake_base, requests, steady, args.drain)

    requests = FlagRequests(fake_base, f"{tag}-burst")
    burst = await saturate(
        url,
        SECRET,
        requests,
        concurrency=args.concurrency,
        seconds=args.drain,
        total=args.requests,
    )
    burst_answers = await phase_answers(fake_base, requests, burst, args.drain)
    return Outcome(database, steady, steady_answers, burst, burst_answers)


async def one_run(args: argparse.Namespace, workdir: Path, run: int) -> list[Outcome]:
    outcomes = []
    async with fake_slack(workdir) as fake_base:
        servers = frontline_servers(workdir, fake_base, args.postgres, f"e2e{run}")
        async with contextlib.aclosing(servers):
            async for label, port, _ in servers:
                outcomes.append(await measure(label, port, args, fake_base, f"r{run}-{label}"))
    return outcomes


def _seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} s"


def _median(values: list[float | None]) -> str:
    known = [v for v in values if v is not None]
    text = _seconds(statistics.median(known)) if known else "—"
    missing = len(values) - len(known)
    return text + (f" ({missing} run(s) with answers missing)" if missing else "")


def table(runs: list[list[Outcome]], args: argparse.Namespace) -> str:
    lines = [
        f"| database | last answer after the last request @ {args.rate:g}/s "
        "| answer p50 / p99 | flags/s end to end at saturation | acks/s meanwhile "
        "| lost / duplicated / errors |",
        "|---|---|---:|---:|---:|---|",
    ]
    for index, database in enumerate(o.database for o in runs[0]):
        outcomes = [r[index] for r in runs]
        p50 = statistics.median(o.steady_answers.percentile_ms(50) for o in outcomes)
        p99 = statistics.median(o.steady_answers.percentile_ms(99) for o in outcomes)
        flags = statistics.median(o.flags_per_second for o in outcomes)
        acks = statistics.median(o.burst.throughput for o in outcomes)
        lost = sum(o.steady_answers.lost + o.burst_answers.lost for o in outcomes)
        duplicated = sum(o.steady_answers.duplicated + o.burst_answers.duplicated for o in outcomes)
        errors = sum(o.steady.errors + o.burst.errors for o in outcomes)
        lines.append(
            f"| {database} | {_median([o.last_answer_after for o in outcomes])} "
            f"| {p50 / 1000:.1f} s / {p99 / 1000:.1f} s | {flags:,.0f} | {acks:,.0f} "
            f"| {lost} / {duplicated} / {errors} |"
        )
    return "\n".join(lines)


def per_run(runs: list[list[Outcome]]) -> str:
    lines = [
        "| run | database | last answer after | answer p50 / p99 | flags/s | acks/s "
        "| acked (fixed rate + saturation) | lost | duplicated | errors |",
        "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for number, outcomes in enumerate(runs, 1):
        for o in outcomes:
            s, b = o.steady_answers, o.burst_answers
            lines.append(
                f"| {number} | {o.database} | {_seconds(o.last_answer_after)} "
                f"| {s.percentile_ms(50) / 1000:.1f} s / {s.percentile_ms(99) / 1000:.1f} s "
                f"| {o.flags_per_second:,.0f} | {o.burst.throughput:,.0f} "
                f"| {s.acked} + {b.acked} | {s.lost + b.lost} | {s.duplicated + b.duplicated} "
                f"| {o.steady.errors + o.burst.errors} |"
            )
    return "\n".join(lines)


async def main_async(args: argparse.Namespace, workdir: Path) -> None:
    runs, loads = await repeat_runs(args, one_run, workdir)
    print(f"Medians of {len(runs)} run(s); {machine_line()}.\n")
    print(table(runs, args))
    print("\nEach run:\n")
    print(per_run(runs))
    print("\nLoad average (1 min, both cores shared): " + "; ".join(loads) + ".")
    print(code_line())
    if args.json:
        raw = [
            {
                "run": n,
                "database": o.database,
                "last_answer_after_s": o.last_answer_after,
                "answer_p50_ms": o.steady_answers.percentile_ms(50),
                "answer_p99_ms": o.steady_answers.percentile_ms(99),
                "flags_per_s": o.flags_per_second,
                "acks_per_s_meanwhile": o.burst.throughput,
                "acked": [o.steady_answers.acked, o.burst_answers.acked],
                "lost": [o.steady_answers.lost, o.burst_answers.lost],
                "duplicated": [o.steady_answers.duplicated, o.burst_answers.duplicated],
                "unacked_answered": [
                    o.steady_answers.unacked_answered,
                    o.burst_answers.unacked_answered,
                ],
                "errors": [o.steady.errors, o.burst.errors],
            }
            for n, outcomes in enumerate(runs, 1)
            for o in outcomes
        ]
        await asyncio.to_thread(Path(args.json).write_text, json.dumps(raw, indent=2))


def main() -> None:
    parser = parser_for(__doc__)
    parser.add_argument("--rate", type=float, default=200, help="requests/s, fixed-rate phase")
    parser.add_argument("--seconds", type=float, default=10, help="length of the fixed-rate phase")
    parser.add_argument("--requests", type=int, default=1000, help="requests, saturation phase")
    parser.add_argument("--concurrency", type=int, default=32, help="clients, saturation phase")
    parser.add_argument(
        "--drain", type=float, default=300, help="at most this many seconds to wait for answers"
    )
    args = parser.parse_args()
    run_in_workdir(args, "frontline-e2e-", main_async)


if __name__ == "__main__":
    main()
