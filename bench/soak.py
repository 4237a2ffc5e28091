"""Soak: does `frontline serve` hold its memory under a long stream of `/flag` requests?

One Frontline server (SQLite or PostgreSQL) against the fake Slack; clients send signed
`/flag recurring …` requests back to back in chunks until `--requests` were sent. After each
chunk the script reads the server's resident memory (VmRSS) from /proc. Growth that follows the
request count (not the backlog) is a leak; the table shows it per 1,000 requests.

    .venv/bin/python -m bench.soak --requests 200000 --database postgresql
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from bench.baselines import SECRET
from bench.harness import (
    fake_slack,
    frontline_env,
    frontline_server,
    machine_line,
    parser_for,
    run_in_workdir,
    scratch_databases,
    upgrade,
)
from bench.load import FlagRequests, saturate

CHUNK = 10_000


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def main_async(args: argparse.Namespace, workdir: Path) -> None:
    print(machine_line())
    postgres = args.postgres if args.database == "postgresql" else ""
    async with (
        fake_slack(workdir) as fake_base,
        scratch_databases(workdir, postgres, "soak") as databases,
    ):
        label, url = databases[-1]
        if label != "SQLite":
            await upgrade(frontline_env(workdir, fake_base, url))
        async with frontline_server(workdir, fake_base, url, f"soak-{label}") as (port, proc, _):
            target = f"http://127.0.0.1:{port}/slack/events"
            requests = FlagRequests(fake_base, "soak")
            sent = 0
            begin = time.monotonic()
            rows = [(0, rss_mb(proc.pid), 0.0, 0)]
            print(f"{label}: start RSS {rows[0][1]:.1f} MB")
            while sent < args.requests:
                phase = await saturate(
                    target,
                    SECRET,
                    requests,
                    concurrency=args.concurrency,
                    seconds=3600,
                    total=min(CHUNK, args.requests - sent),
                )
                sent += len(phase.latencies) + phase.errors
                rows.append((sent, rss_mb(proc.pid), time.monotonic() - begin, phase.errors))
                print(f"  {sent:>7,} requests  RSS {rows[-1][1]:7.1f} MB  {rows[-1][2]:6.0f} s")
    print()
    print(f"| {label}: requests sent | RSS (MB) | elapsed (s) | errors in chunk |")
    print("|---:|---:|---:|---:|")
    for sent, rss, elapsed, errors in rows:
        print(f"| {sent:,} | {rss:.1f} | {elapsed:.0f} | {errors} |")
    first_half = [r for r in rows if r[0] >= args.requests // 2]
    if len(first_half) >= 2:
        (n0, m0, _, _), (n1, m1, _, _) = first_half[0], first_half[-1]
        per_thousand = (m1 - m0) * 1024 / max(1, (n1 - n0) / 1000)
        print(f"\nSecond half: {per_thousand:.1f} KB of RSS per 1,000 requests.")


def main() -> None:
    parser = parser_for(__doc__)
    parser.add_argument("--requests", type=int, default=200_000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="postgresql")
    run_in_workdir(parser.parse_args(), "frontline-soak-", main_async)


if __name__ == "__main__":
    main()
