"""Benchmark: one delivery claim with a backlog in the outbox, its statistics taken before it.

The outbox mostly holds delivered messages; a backlog builds when Slack or Teams is down or
slow. PostgreSQL plans each claim from statistics taken while nearly every row was delivered,
and autovacuum refreshes them only later. Per database: 50,000 delivered messages, analysed;
then a backlog of 1,000 / 3,000 / 10,000 pending (a third escalation posts across 100
channels, the rest answers that wait for their post), not analysed. Each run times one
`SqlOutboxRepository.claim` of 16 messages, as the delivery worker makes it, and rolls it back.

    .venv/bin/python -m bench.outbox_claim --runs 5

No target of its own: a claim must stay cheap while a backlog is being worked off.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from bench.harness import add_sizes, machine_line, parser_for, run_in_workdir, scratch_databases
from bot.messages import Conversation, Message, Person
from bot.outbox.models import DeliveryStatus, Outgoing
from storage.database import Database

SIZES = (1_000, 3_000, 10_000)
DELIVERED = 50_000
CHANNELS = 100
AGENTS = 25
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
BATCH = 1_000


def _backlog(count: int, first_flag: int) -> list[Outgoing]:
    messages = []
    for n in range(count):
        flag_id = first_flag + n - n % 3
        if n % 3 == 0:
            channel = Conversation("slack", "T1", f"C{n % CHANNELS:03d}")
            messages.append(
                Outgoing.post(channel, Message(f"F-{flag_id}"), purpose="post", flag_id=flag_id)
            )
        else:
            agent = Person("slack", "T1", f"U{n % AGENTS:02d}")
            route = {"response_url": f"http://127.0.0.1:9/{n}"}
            messages.append(
                Outgoing.answer(agent, Message("flagged"), route, after_post_of=flag_id)
            )
    return messages


async def _record(database: Database, messages: list[Outgoing]) -> None:
    for start in range(0, len(messages), BATCH):
        async with database.unit_of_work() as uow:
            for outgoing in messages[start : start + BATCH]:
                await uow.outbox.record(outgoing, NOW - timedelta(minutes=1))
            await uow.commit()


async def _set_up(database: Database) -> None:
    """Delivered history, and the statistics PostgreSQL takes of it."""
    await _record(database, _backlog(DELIVERED, first_flag=1_000_000))
    async with database.engine.begin() as connection:
        await connection.execute(
            text("UPDATE outbox SET status = :sent"), {"sent": DeliveryStatus.SENT.value}
        )
    async with database.engine.connect() as connection:
        if database.engine.dialect.name == "postgresql":
            await connection.execute(text("COMMIT"))
            await connection.execute(text("ANALYZE outbox"))
        else:
            await connection.execute(text("ANALYZE"))


async def _fill_backlog(database: Database, size: int) -> None:
    async with database.engine.begin() as connection:
        pending = DeliveryStatus.PENDING.value
        await connection.execute(text("DELETE FROM outbox WHERE status = :p"), {"p": pending})
    await _record(database, _backlog(size, first_flag=1))


async def one_claim(database: Database) -> tuple[float, int]:
    async with database.unit_of_work() as uow:
        started = time.perf_counter()
        claimed = await uow.outbox.claim("bench", NOW, NOW + timedelta(minutes=1), 16, frozenset())
        took = (time.perf_counter() - started) * 1000
        await uow.rollback()
    return took, len(claimed)


async def main_async(args: argparse.Namespace, workdir: Path) -> None:
    print(machine_line())
    rows: list[tuple[str, int, list[float], int]] = []
    async with scratch_databases(workdir, args.postgres, "claim") as databases:
        for label, url in databases:
            database = Database.from_url(url)
            await database.upgrade()
            try:
                await _set_up(database)
                for size in args.sizes:
                    await _fill_backlog(database, size)
                    times, claimed = [], 0
                    for _ in range(args.runs):
                        ms, claimed = await one_claim(database)
                        times.append(ms)
                    rows.append((label, size, times, claimed))
                    print(f"{label}: {size:,} pending: {', '.join(f'{t:.1f}' for t in times)} ms")
            finally:
                await database.dispose()
    print()
    median = f"one claim (median of {args.runs})"
    print(f"| database | delivered (analysed) | pending | {median} | runs |")
    print("|---|---:|---:|---:|---|")
    for label, size, times, claimed in rows:
        runs = ", ".join(f"{t:.1f}" for t in times)
        print(
            f"| {label} | {DELIVERED:,} | {size:,} | {statistics.median(times):.1f} ms "
            f"({claimed} claimed) | {runs} |"
        )


def main() -> None:
    parser = parser_for(__doc__)
    add_sizes(parser, SIZES, "pending messages")
    run_in_workdir(parser.parse_args(), "frontline-bench-claim-", main_async)


if __name__ == "__main__":
    main()
