"""Benchmark: one silence sweep with 10,000 / 100,000 / 1,000,000 open clocks, 1,000 of them due.

For each database (a SQLite file, then a scratch PostgreSQL database) and each size, the flags
table is filled with open escalations whose acknowledgement alarm lies in the future, except
1,000 whose alarm has passed. One `bot.silence.sweep.sweep` then takes their first ladder step:
it claims them, records a thread nudge and a post update for each in the outbox, adds their
timeline events and moves their alarms on. The 1,000 are made due again between runs (outbox and
timeline emptied), so each run does the same work. The script also prints the query plan of the
claim query, to show it reads the alarm index and not the table.

    .venv/bin/python -m bench.sweep --runs 3

Target: under 100 ms for 1,000 due at every size, on SQLite and PostgreSQL: the cost follows
the due count, not the open count.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

from adapters.http.collector import settle_after_start
from bench.harness import add_sizes, machine_line, parser_for, run_in_workdir, scratch_databases
from bot.clock import FakeClock
from bot.config.models import FrontlineConfig
from bot.core import Core
from bot.silence.sweep import sweep
from storage.database import Database

SIZES = (10_000, 100_000, 1_000_000)
DUE = 1_000
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
CONFIG = FrontlineConfig.model_validate(
    {
        "channels": {"slack": {"escalations": "C-ESC"}},
        "managers": {"slack": {"group": "S0MGR", "on_duty": ["U-MARIA"]}},
    }
)
COLUMNS = (
    "workspace_id, number, kind, summary, severity, status, platform, reporter_id, "
    "reporter_name, origin_channel_id, customer_refs, post_channel_id, post_message_id, "
    "ack_due_at, ack_steps, ack_next_at, update_steps, alarm_at, created_at"
)


def _fill_sql(dialect: str, start: int, count: int) -> str:
    """Insert flags numbered start+1 … start+count: the first DUE (by number) are due."""
    due = "'2026-11-23 11:00:00+00:00'" if dialect == "postgresql" else "'2026-11-23 11:00:00'"
    later = "'2026-11-24 12:00:00+00:00'" if dialect == "postgresql" else "'2026-11-24 12:00:00'"
    alarm = f"CASE WHEN n <= {DUE} THEN {due} ELSE {later} END"
    if dialect == "postgresql":
        alarm = f"(CASE WHEN n <= {DUE} THEN {due} ELSE {later} END)::timestamptz"
        series = f"generate_series({start + 1}, {start + count}) AS n"
    else:
        series = (
            f"(WITH RECURSIVE s(n) AS (SELECT {start + 1} UNION ALL SELECT n + 1 FROM s "
            f"WHERE n < {start + count}) SELECT n FROM s)"
        )
    refs = "'[\"ticket:ZD-1\"]'" + ("::json" if dialect == "postgresql" else "")
    return (
        f"INSERT INTO flags ({COLUMNS}) SELECT 'T1', n, 'escalate', 'customer problem', "
        f"'normal', 'open', 'slack', 'U-ANA', 'Ana', 'C-SUPPORT', {refs}, 'C-ESC', "
        f"'1700000000.' || n, {alarm}, 0, {alarm}, 0, {alarm}, {due} FROM {series}"
    )


async def fill(database: Database, size: int, already: int) -> None:
    dialect = database.engine.dialect.name
    async with database.engine.begin() as connection:
        step = 200_000
        for start in range(already, size, step):
            await connection.execute(text(_fill_sql(dialect, start, min(step, size - start))))
    if dialect == "postgresql":
        async with database.engine.connect() as connection:
            await connection.execute(text("COMMIT"))
            await connection.execute(text("ANALYZE flags"))


async def make_due_again(database: Database) -> None:
    async with database.engine.begin() as connection:
        await connection.execute(text("DELETE FROM outbox"))
        await connection.execute(text("DELETE FROM timeline_events"))
        await connection.execute(
            text(
                "UPDATE flags SET ack_steps = 0, ack_next_at = ack_due_at, alarm_at = ack_due_at "
                f"WHERE number <= {DUE}"
            )
        )


async def plan(database: Database) -> str:
    claim = (
        "SELECT id FROM flags WHERE alarm_at IS NOT NULL AND alarm_at <= :now "
        "ORDER BY alarm_at, id LIMIT 200"
    )
    async with database.engine.connect() as connection:
        if database.engine.dialect.name == "postgresql":
            rows = await connection.execute(
                text(f"EXPLAIN {claim} FOR UPDATE SKIP LOCKED"), {"now": NOW}
            )
        else:
            rows = await connection.execute(text(f"EXPLAIN QUERY PLAN {claim}"), {"now": NOW})
        return " | ".join(str(row[-1]).strip() for row in rows)


async def one_sweep(database: Database) -> tuple[float, int]:
    core = Core(uow=database.unit_of_work, clock=FakeClock(NOW), config=CONFIG)
    started = time.perf_counter()
    flags = await sweep(core)
    return (time.perf_counter() - started) * 1000, flags


async def main_async(args: argparse.Namespace, workdir: Path) -> None:
    print(machine_line())
    results: list[dict[str, object]] = []
    async with scratch_databases(workdir, args.postgres, "sweep") as databases:
        for label, url in databases:
            database = Database.from_url(url)
            await database.upgrade()
            filled = 0
            try:
                for size in args.sizes:
                    started = time.perf_counter()
                    await fill(database, size, filled)
                    filled = size
                    print(
                        f"{label}: {size:,} flags stored in {time.perf_counter() - started:.0f} s"
                    )
                    times = []
                    settle_after_start()  # as `frontline serve` does after its start-up
                    for _ in range(args.runs):
                        await make_due_again(database)
                        ms, taken = await one_sweep(database)
                        assert taken == DUE, f"the sweep took {taken} flags, not {DUE}"
                        times.append(ms)
                    query_plan = await plan(database)
                    results.append(
                        {"database": label, "open": size, "runs_ms": times, "plan": query_plan}
                    )
                    print(f"  sweep of {DUE:,} due: {', '.join(f'{t:.0f}' for t in times)} ms")
                    print(f"  claim plan: {query_plan}")
            finally:
                await database.dispose()
    print()
    print(
        f"| database | open clocks | due | sweep (median of {args.runs}) | runs "
        "| claim query plan |"
    )
    print("|---|---:|---:|---:|---|---|")
    for row in results:
        runs = row["runs_ms"]
        assert isinstance(runs, list)
        print(
            f"| {row['database']} | {row['open']:,} | {DUE:,} | {statistics.median(runs):.0f} ms | "
            f"{', '.join(f'{t:.0f}' for t in runs)} | {row['plan']} |"
        )
    if args.json:
        await asyncio.to_thread(Path(args.json).write_text, json.dumps(results, indent=2))


def main() -> None:
    parser = parser_for(__doc__)
    add_sizes(parser, SIZES, "open clocks")
    args = parser.parse_args()
    run_in_workdir(args, "frontline-bench-sweep-", main_async)


if __name__ == "__main__":
    main()
