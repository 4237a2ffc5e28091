"""Benchmark: what the database alone needs to write what one sweep of 1,000 due flags writes.

`bench/sweep.py` times `bot.silence.sweep.sweep`. This script asks how much of that time no
Python could save: it runs one real sweep of 1,000 due escalations among 10,000 open clocks (as
`bench/sweep.py` does), keeps the rows it wrote, then makes the flags due again and writes the
very same rows again with the database driver alone, in one transaction per run:

1. the claim: the sweep's query for the due flags, every column, 1,000 rows (on PostgreSQL
   `FOR UPDATE SKIP LOCKED`);
2. the outbox rows (2,000: each flag's post marked overdue and its thread nudge);
3. the timeline events (2,000);
4. the flags' clock columns (1,000 rows: `ack_steps`, `ack_next_at`, `alarm_at`);
5. the commit.

The fastest way each driver offers: on SQLite one prepared `executemany` per table (the stdlib
`sqlite3` module, no thread hop); on PostgreSQL binary `COPY` for the inserts and one
`UPDATE … FROM unnest(…)` for the flags (asyncpg). On PostgreSQL it also times the same update
on a table that holds only the clock columns (its primary key and the alarm index), to show
what moving the clocks out of `flags` (15 indexes, each rewritten when `alarm_at` changes)
would save.

    .venv/bin/python -m bench.sweep_floor --runs 7
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import statistics
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.engine import make_url

from bench.harness import machine_line, parser_for, run_in_workdir, scratch_databases
from bench.sweep import DUE, NOW, fill, make_due_again, one_sweep
from storage.database import Database

OPEN = 10_000
PHASES = ("claim", "outbox", "timeline", "flags", "commit")
CLAIM = "SELECT * FROM flags WHERE alarm_at IS NOT NULL AND alarm_at <= {now} ORDER BY alarm_at, id"
CLOCKS = ("ack_steps", "ack_next_at", "alarm_at")


def _columns(names: Sequence[str]) -> list[str]:
    return [name for name in names if name != "id"]


def _sqlite_run(path: str) -> dict[str, float]:
    """One transaction writing what the sweep wrote, timed by phase (ms)."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        written: dict[str, tuple[list[str], list[tuple[Any, ...]]]] = {}
        for table in ("outbox", "timeline_events"):
            cursor = connection.execute(f"SELECT * FROM {table} ORDER BY id")
            names = _columns([d[0] for d in cursor.description])
            rows = connection.execute(f"SELECT {', '.join(names)} FROM {table}").fetchall()
            written[table] = (names, rows)
        moved = connection.execute(
            f"SELECT {', '.join(CLOCKS)}, id FROM flags WHERE number <= {DUE}"
        ).fetchall()
        connection.execute("DELETE FROM outbox")
        connection.execute("DELETE FROM timeline_events")
        connection.execute(
            f"UPDATE flags SET ack_steps = 0, ack_next_at = ack_due_at, alarm_at = ack_due_at "
            f"WHERE number <= {DUE}"
        )
        times: dict[str, float] = {}
        started = time.perf_counter()
        connection.execute("BEGIN IMMEDIATE")
        now = f"'{NOW.strftime('%Y-%m-%d %H:%M:%S.%f')}'"
        claimed = connection.execute(CLAIM.format(now=now) + f" LIMIT {DUE}").fetchall()
        assert len(claimed) == DUE, len(claimed)
        times["claim"] = time.perf_counter()
        for table, phase in (("outbox", "outbox"), ("timeline_events", "timeline")):
            names, rows = written[table]
            marks = ", ".join("?" for _ in names)
            connection.executemany(
                f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks})",
                rows,
            )
            times[phase] = time.perf_counter()
        connection.executemany(
            "UPDATE flags SET ack_steps = ?, ack_next_at = ?, alarm_at = ? WHERE id = ?", moved
        )
        times["flags"] = time.perf_counter()
        connection.execute("COMMIT")
        times["commit"] = time.perf_counter()
        return _phases(started, times)
    finally:
        connection.close()


async def _postgres_run(url: str) -> dict[str, float]:
    connection = await asyncpg.connect(url)
    try:
        written: dict[str, tuple[list[str], list[tuple[Any, ...]]]] = {}
        for table in ("outbox", "timeline_events"):
            records = await connection.fetch(f"SELECT * FROM {table} ORDER BY id")
            names = _columns(list(records[0].keys()))
            written[table] = (names, [tuple(r[name] for name in names) for r in records])
        moved = await connection.fetch(
            f"SELECT id, {', '.join(CLOCKS)} FROM flags WHERE number <= {DUE}"
        )
        ids, steps, next_at, alarm_at = (list(column) for column in zip(*moved, strict=True))
        await connection.execute("DELETE FROM outbox; DELETE FROM timeline_events")
        await connection.execute(
            "UPDATE flags SET ack_steps = 0, ack_next_at = ack_due_at, alarm_at = ack_due_at "
            f"WHERE number <= {DUE}"
        )
        # The floor of a well-kept database: no dead rows left by the runs before.
        await connection.execute("VACUUM ANALYZE outbox, timeline_events, flags")
        times: dict[str, float] = {}
        started = time.perf_counter()
        transaction = connection.transaction()
        await transaction.start()
        claim = CLAIM.format(now="$1") + f" LIMIT {DUE} FOR UPDATE SKIP LOCKED"
        assert len(await connection.fetch(claim, NOW)) == DUE
        times["claim"] = time.perf_counter()
        for table, phase in (("outbox", "outbox"), ("timeline_events", "timeline")):
            names, rows = written[table]
            await connection.copy_records_to_table(table, records=rows, columns=names)
            times[phase] = time.perf_counter()
        update = UNNEST_UPDATE.format(table="flags", key="id")
        await connection.execute(update, ids, steps, next_at, alarm_at)
        times["flags"] = time.perf_counter()
        await transaction.commit()
        times["commit"] = time.perf_counter()
        phases = _phases(started, times)
        # The same update on a table of the clock columns alone (rolled back).
        transaction = connection.transaction()
        await transaction.start()
        started = time.perf_counter()
        more_steps = [s + 1 for s in steps]
        update = UNNEST_UPDATE.format(table="clocks_alone", key="flag_id")
        await connection.execute(update, ids, more_steps, next_at, alarm_at)
        phases["clocks alone"] = (time.perf_counter() - started) * 1000
        await transaction.rollback()
        return phases
    finally:
        await connection.close()


UNNEST_UPDATE = (
    "UPDATE {table} SET ack_steps = u.steps, ack_next_at = u.next_at, alarm_at = u.alarm_at "
    "FROM unnest($1::int[], $2::int[], $3::timestamptz[], $4::timestamptz[]) "
    "AS u(id, steps, next_at, alarm_at) WHERE {table}.{key} = u.id"
)
CLOCKS_ALONE = (
    "CREATE TABLE clocks_alone (flag_id int PRIMARY KEY, ack_steps int, "
    "ack_next_at timestamptz, alarm_at timestamptz); "
    "CREATE INDEX ix_clocks_alone_alarm_at ON clocks_alone (alarm_at) "
    "WHERE alarm_at IS NOT NULL; "
    "INSERT INTO clocks_alone SELECT id, ack_steps, ack_next_at, alarm_at FROM flags; "
    "ANALYZE clocks_alone"
)


def _phases(started: float, times: dict[str, float]) -> dict[str, float]:
    phases, before = {}, started
    for phase in PHASES:
        phases[phase] = (times[phase] - before) * 1000
        before = times[phase]
    phases["total"] = (times["commit"] - started) * 1000
    return phases


async def main_async(args: argparse.Namespace, workdir: Path) -> None:
    print(machine_line())
    results: list[tuple[str, float, list[dict[str, float]]]] = []
    async with scratch_databases(workdir, args.postgres, "sweep-floor") as databases:
        for label, url in databases:
            database = Database.from_url(url)
            try:
                await database.upgrade()
                await fill(database, OPEN, 0)
                sweeps = []
                for _ in range(args.runs):
                    await make_due_again(database)
                    ms, taken = await one_sweep(database)
                    assert taken == DUE, taken
                    sweeps.append(ms)
            finally:
                await database.dispose()
            runs = []
            if label == "SQLite":
                path = str(make_url(url).database)
                for _ in range(args.runs):
                    runs.append(await asyncio.to_thread(_sqlite_run, path))
            else:
                plain = make_url(url).set(drivername="postgresql").render_as_string(False)
                connection = await asyncpg.connect(plain)
                await connection.execute(CLOCKS_ALONE)
                await connection.close()
                for _ in range(args.runs):
                    runs.append(await _postgres_run(plain))
            results.append((label, statistics.median(sweeps), runs))
            print(f"{label}: the sweep itself {', '.join(f'{t:.0f}' for t in sweeps)} ms")
    names = [*PHASES, "total", "clocks alone"]
    print()
    print(f"Medians of {args.runs} runs, ms; {OPEN:,} open clocks, {DUE:,} due.")
    print()
    print("| database | the sweep | " + " | ".join(names) + " |")
    print("|---|---:|" + "---:|" * len(names))
    for label, sweep_ms, runs in results:
        cells = [
            f"{statistics.median(run[name] for run in runs):.1f}" if name in runs[0] else "—"
            for name in names
        ]
        print(f"| {label} | {sweep_ms:.0f} | " + " | ".join(cells) + " |")


def main() -> None:
    parser = parser_for(__doc__)
    args = parser.parse_args()
    run_in_workdir(args, "frontline-bench-sweep-floor-", main_async)


if __name__ == "__main__":
    main()
