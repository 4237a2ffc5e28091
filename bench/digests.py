"""Benchmark: the weekly digests of a workspace with 100,000 and 1,000,000 flags.

For each database (a SQLite file, then a scratch PostgreSQL database) and each size, a fresh
database is migrated and filled with one Slack workspace's year: ten routing rules, each owning a
channel (`C0OWNER0` … `C0OWNER9`), 500 routed themes spread over those channels, N flags spread
evenly over the 52 weeks ending with the reported week (80 % recurring flags on themes, some
themes much busier than others, 20 % escalations, most of them acknowledged and resolved, some
joined into bursts), every flag with an embedding as the theme matcher stores it, and a few
thousand silence breaches. PostgreSQL then gets the VACUUM ANALYZE autovacuum would give it;
SQLite gets no ANALYZE, as Frontline runs none. The clock is set to the digests' due time
(Monday 09:00 UTC) and three things are timed:

- all digests: `bot.digests.sending.send_due_digests`, as the scheduler runs it: every owner
  channel's product digest with its chart, and the flow digest for support leads, composed,
  claimed and recorded in the outbox. The `digests` and `outbox` rows are deleted between runs,
  so every run does the same work;
- figures only: the SQL those digests read, without drawing charts (`workspace_week`,
  `gather_product` for each owner channel, and the flow digest's two weeks);
- charts only: the owner channels' charts drawn one after the other from those figures.

Then one more pass of the figures times each SQL statement at the cursor and prints the query
plans of the week count, `theme_weeks` and the heaviest statement (EXPLAIN QUERY PLAN on SQLite,
EXPLAIN on PostgreSQL). Seeding is not measured. The script creates only what the migrations
create: no extra index.

    .venv/bin/python -m bench.digests --runs 3
    .venv/bin/python -m bench.digests --sizes 10000 --runs 1 --databases sqlite

Target: all digests in under 3 s with 1,000,000 flags, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import json
import os
import random
import statistics
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import event, text

from bench.harness import (
    add_sizes,
    code_state,
    create_database,
    drop_database,
    machine_line,
    parser_for,
    run_in_workdir,
)
from bot.clock import FakeClock
from bot.config.models import FrontlineConfig
from bot.core import Core
from bot.digests.models import DigestKind
from bot.digests.periods import Week, due_at
from bot.digests.product import ProductDigest, gather_product, product_chart, workspace_week
from bot.digests.sending import send_due_digests
from bot.digests.targets import digest_targets
from bot.messages import Conversation
from storage.database import Database
from storage.tables import FlagRow

SIZES = (100_000, 1_000_000)
DATABASES = ("sqlite", "postgresql")
TARGET_SECONDS = 3.0
WORKSPACE = "T0BENCH"
PLATFORM = "slack"
OWNERS = 10
THEMES = 500
BREACHES = 3_000
WEEKS = 52
BATCH = 10_000
EMBEDDING_BYTES = 384 * 2  # all-MiniLM-L6-v2, float16 (bot.themes.matching.encode)
REPORTED = Week(2026, 48)  # Monday 23 to Sunday 29 November 2026
YEAR_START = REPORTED.shifted(1 - WEEKS).bounds(UTC)[0]
WEEK_START, WEEK_END = REPORTED.bounds(UTC)
CONFIG = FrontlineConfig.model_validate(
    {
        "timezone": "UTC",
        "channels": {
            "slack": {
                "escalations": "C0ESCALAT1",
                "triage": "C0TRIAGE1",
                "support_leads": "C0LEADS1",
            }
        },
        "themes": {
            "rules": [
                {
                    "name": f"area-{i}",
                    "keywords": [f"area{i}"],
                    "owner": {"slack": f"C0OWNER{i}"},
                }
                for i in range(OWNERS)
            ]
        },
    }
)
NOW = due_at(REPORTED, CONFIG.digests.product, CONFIG.tz)  # Monday 30 November, 09:00 UTC
PRODUCT_DIGESTS = OWNERS
ALL_DIGESTS = OWNERS + 1  # and the flow digest
THEME_COLUMNS = (
    "id, workspace_id, slug, name, status, owner_platform, owner_channel_id, post_platform, "
    "post_channel_id, post_message_id, post_thread_id, status_note, status_changed_at, "
    "created_at, rule_name, routed_at, fixed_at, fixed_in, merged_into_id, title_private, "
    "nudge_at, regressed_at, loop_closed_at"
).split(", ")
FLAG_COLUMNS = (
    "id, workspace_id, number, kind, summary, severity, status, platform, reporter_id, "
    "reporter_name, origin_channel_id, origin_thread_id, origin_message_id, origin_private, "
    "customer_refs, theme_id, post_channel_id, post_message_id, post_thread_id, "
    "acknowledged_by_id, acknowledged_by_name, acknowledged_at, resolved_by_id, "
    "resolved_by_name, resolved_at, resolution_note, last_customer_update_at, update_due_at, "
    "snoozed_until, ack_due_at, ack_steps, ack_next_at, update_steps, update_next_at, "
    "silent_since, alarm_at, created_at, embedding, joined_to_id, joined_count, ack_seconds"
).split(", ")
BREACH_COLUMNS = ["id", "flag_id", "workspace_id", "severity", "started_at", "ended_at"]
JSON_COLUMNS = {"customer_refs"}
PROBLEMS = (
    "SSO login loops after password reset",
    "CSV export times out for large accounts",
    "invoice PDF shows the wrong currency",
    "mobile app crashes when opening attachments",
    "webhooks delivered twice after retry",
    "search misses documents uploaded today",
    "2FA codes by SMS arrive late",
    "dashboard charts empty for new workspaces",
)


# --- the workspace -------------------------------------------------------------------------


def _at(seconds: float) -> datetime:
    return YEAR_START + timedelta(seconds=seconds)


@dataclass
class Workspace:
    """What one seeding wrote, as plain rows (datetimes aware, JSON as Python lists)."""

    themes: list[tuple[Any, ...]] = field(default_factory=list)
    breaches: list[tuple[Any, ...]] = field(default_factory=list)
    theme_created: list[datetime] = field(default_factory=list)  # by theme id - 1


def theme_rows(rng: random.Random) -> list[tuple[Any, ...]]:
    """500 routed themes over the ten owner channels, a few of them changed in the week."""
    year = (WEEK_START - YEAR_START).total_seconds()
    week = (WEEK_END - WEEK_START).total_seconds()
    rows = []
    # The themes in the reported week: new ones, fixes, won't-fixes, regressions; last week's.
    new = set(range(THEMES - 6, THEMES))
    fixed = set(range(100, 108))
    wont_fix = {108, 109}
    regressed = set(range(110, 115))
    fixed_last_week = set(range(115, 121))
    for index in range(THEMES):
        theme_id = index + 1
        owner = index % OWNERS
        if index < 40:  # the workspace's first week
            created = _at(rng.uniform(0, 7 * 86400))
        elif index in new:
            created = WEEK_START + timedelta(seconds=rng.uniform(0, week - 86400))
        else:
            created = _at(rng.uniform(0, year))
        routed = created + timedelta(hours=rng.uniform(1, 72))
        fixed_at: datetime | None = None
        regressed_at: datetime | None = None
        loop_closed: datetime | None = None
        fixed_in: str | None = None
        if index in fixed or index in wont_fix:
            status = "fixed" if index in fixed else "wont_fix"
            fixed_at = WEEK_START + timedelta(seconds=rng.uniform(0, week))
            fixed_in = f"v3.{index}" if index in fixed else None
            loop_closed = fixed_at + timedelta(minutes=5)
        elif index in regressed:
            status = "open"
            fixed_at = WEEK_START - timedelta(days=rng.uniform(10, 60))
            fixed_in = f"v2.{index}"
            loop_closed = fixed_at + timedelta(minutes=5)
            regressed_at = WEEK_START + timedelta(seconds=rng.uniform(0, week))
        elif index in fixed_last_week:
            status = "fixed"
            fixed_at = WEEK_START - timedelta(seconds=rng.uniform(1, week))
            fixed_in = f"v3.{index}"
            loop_closed = fixed_at + timedelta(minutes=5)
        elif index in new:
            status = "open"
            routed = min(routed, WEEK_END - timedelta(hours=1))
        else:
            status = rng.choices(
                ("acknowledged", "planned", "fixed", "wont_fix", "open"), (40, 20, 25, 5, 10)
            )[0]
            if status in ("fixed", "wont_fix"):
                fixed_at = routed + (WEEK_START - routed) * rng.random()
                fixed_in = f"v2.{index}" if status == "fixed" else None
                loop_closed = fixed_at + timedelta(minutes=5)
        problem = PROBLEMS[index % len(PROBLEMS)]
        rows.append(
            (
                theme_id,
                WORKSPACE,
                f"area{owner}-theme-{theme_id}",
                f"area{owner}: {problem} ({theme_id})",
                status,
                PLATFORM,
                f"C0OWNER{owner}",
                PLATFORM,
                f"C0OWNER{owner}",
                f"1700000000.{theme_id:06d}",
                None,
                None,
                fixed_at or (routed if status != "open" else None),
                created,
                f"area-{owner}",
                routed,
                fixed_at,
                fixed_in,
                None,
                False,
                routed + timedelta(days=2) if status == "open" and index not in regressed else None,
                regressed_at,
                loop_closed,
            )
        )
    return rows


def flag_batches(size: int, seed: int, workspace: Workspace) -> Iterator[list[tuple[Any, ...]]]:
    """The flags, oldest first (id = number), in batches of BATCH rows."""
    rng = random.Random(seed)
    year = (WEEK_END - YEAR_START).total_seconds()
    times = sorted(rng.uniform(0, year) for _ in range(size))
    # Themes by creation, each with a weight: a few themes take most of the recurring flags.
    order = sorted(range(THEMES), key=lambda i: workspace.theme_created[i])
    created = [(workspace.theme_created[i] - YEAR_START).total_seconds() for i in order]
    ranks = list(range(1, THEMES + 1))
    rng.shuffle(ranks)
    cumulative: list[float] = []
    total = 0.0
    for i in order:
        total += 1.0 / ranks[i] ** 1.1
        cumulative.append(total)
    blobs = [rng.randbytes(EMBEDDING_BYTES) for _ in range(512)]
    last_lead: int | None = None
    batch: list[tuple[Any, ...]] = []
    for index, offset in enumerate(times):
        number = index + 1
        at = _at(offset)
        problem = PROBLEMS[number % len(PROBLEMS)]
        customers = rng.random()
        if customers < 0.10:
            refs: list[str] = []
        elif customers < 0.95:
            refs = [f"ticket:ZD-{rng.randrange(1, 20_000)}"]
        else:
            refs = [
                f"ticket:ZD-{rng.randrange(1, 20_000)}",
                f"ticket:ZD-{rng.randrange(1, 20_000)}",
            ]
        reporter = rng.randrange(200)
        origin = f"C0SUPPORT{rng.randrange(30)}"
        row: dict[str, Any] = {
            "id": number,
            "workspace_id": WORKSPACE,
            "number": number,
            "platform": PLATFORM,
            "reporter_id": f"U0AGENT{reporter:03d}",
            "reporter_name": f"Agent {reporter}",
            "origin_channel_id": origin,
            "origin_thread_id": None,
            "origin_message_id": f"{1_700_000_000 + number}.000100",
            "origin_private": rng.random() < 0.05,
            "customer_refs": refs,
            "created_at": at,
            "embedding": blobs[number % len(blobs)],
            "ack_steps": 0,
            "update_steps": 0,
            "joined_count": 0,
        }
        if rng.random() < 0.8:
            eligible = max(1, bisect.bisect_right(created, offset))
            pick = bisect.bisect_left(cumulative, rng.random() * cumulative[eligible - 1])
            theme_id = order[min(pick, eligible - 1)] + 1
            row |= {
                "kind": "recurring",
                "summary": f"{problem}, again for this customer",
                "severity": "normal",
                "status": "open",
                "theme_id": theme_id,
            }
        else:
            row |= escalation(rng, number, at, last_lead)
            if row["joined_to_id"] is None:
                last_lead = number
        batch.append(tuple(row.get(column) for column in FLAG_COLUMNS))
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def escalation(
    rng: random.Random, number: int, at: datetime, last_lead: int | None
) -> dict[str, Any]:
    """An escalation: most acknowledged within minutes, most resolved within days."""
    severity = rng.choices(("high", "normal", "low"), (15, 70, 15))[0]
    row: dict[str, Any] = {
        "kind": "escalate",
        "summary": f"{PROBLEMS[number % len(PROBLEMS)]}: customer blocked",
        "severity": severity,
        "status": "open",
        "post_channel_id": "C0ESCALAT1",
        "post_message_id": f"{1_700_100_000 + number}.000200",
        "ack_due_at": at + timedelta(minutes=30),
        "joined_to_id": None,
    }
    manager = rng.randrange(20)
    acknowledged: datetime | None = None
    if last_lead is not None and rng.random() < 0.08:
        row["joined_to_id"] = last_lead  # joined an outage's post: one acknowledgement
    elif rng.random() < 0.9:
        acknowledged = at + timedelta(seconds=min(rng.expovariate(1 / 1200), 86400.0))
        if acknowledged < NOW:
            row |= {
                "status": "acknowledged",
                "acknowledged_by_id": f"U0MGR{manager:02d}",
                "acknowledged_by_name": f"Manager {manager}",
                "acknowledged_at": acknowledged,
                "ack_seconds": (acknowledged - at).total_seconds() * rng.uniform(0.3, 1.0),
                "last_customer_update_at": acknowledged,
            }
        else:
            acknowledged = None
    # Resolved about a day later (a few never are); the rest still run their clocks.
    resolved = (acknowledged or at) + timedelta(seconds=rng.expovariate(1 / 86400))
    if resolved < NOW and rng.random() >= 0.002:
        row |= {
            "status": "resolved",
            "resolved_by_id": f"U0MGR{manager:02d}",
            "resolved_by_name": f"Manager {manager}",
            "resolved_at": resolved,
            "resolution_note": "fixed by a config change",
        }
    elif acknowledged is not None:
        row |= {
            "update_due_at": acknowledged + timedelta(hours=4),
            "update_next_at": acknowledged + timedelta(hours=4),
            "alarm_at": max(acknowledged + timedelta(hours=4), NOW + timedelta(hours=1)),
        }
    elif row["joined_to_id"] is None:
        row |= {"ack_next_at": at + timedelta(minutes=30), "alarm_at": NOW + timedelta(hours=1)}
    return row


def breach_rows(
    rng: random.Random, escalations: Sequence[tuple[int, datetime, str]]
) -> list[tuple[Any, ...]]:
    """Update deadlines missed, on escalations picked at random, each over within a day."""
    rows = []
    for index, (flag_id, at, severity) in enumerate(
        rng.sample(list(escalations), min(BREACHES, len(escalations) // 2))
    ):
        started = at + timedelta(hours=rng.uniform(1, 8))
        ended = started + timedelta(seconds=rng.expovariate(1 / 3600))
        rows.append(
            (index + 1, flag_id, WORKSPACE, severity, started, ended if ended < NOW else None)
        )
    return rows


# --- writing it ----------------------------------------------------------------------------


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        # As SQLAlchemy stores UTCDateTime on SQLite: naive UTC, with microseconds.
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, list):
        return json.dumps(value)
    if isinstance(value, bool):
        return int(value)
    return value


class Writer:
    """Multi-row writes: executemany on SQLite, COPY on PostgreSQL (its own connection)."""

    def __init__(self, database: Database, pg_url: str | None) -> None:
        self.database = database
        self.pg_url = pg_url
        self._pg: Any = None

    async def __aenter__(self) -> Writer:
        if self.pg_url is not None:
            self._pg = await asyncpg.connect(self.pg_url, timeout=30)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._pg is not None:
            await self._pg.close()

    async def write(
        self, table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
    ) -> None:
        if not rows:
            return
        if self._pg is not None:
            json_at = [i for i, column in enumerate(columns) if column in JSON_COLUMNS]
            if json_at:
                rows = [
                    tuple(json.dumps(v) if i in json_at else v for i, v in enumerate(row))
                    for row in rows
                ]
            await self._pg.copy_records_to_table(table, records=rows, columns=list(columns))
            return
        marks = ", ".join("?" for _ in columns)
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
        converted = [tuple(_sqlite_value(v) for v in row) for row in rows]
        async with self.database.engine.begin() as connection:
            await connection.exec_driver_sql(sql, converted)

    async def sql(self, statement: str) -> None:
        if self._pg is not None:
            await self._pg.execute(statement)
            return
        async with self.database.engine.begin() as connection:
            await connection.execute(text(statement))


async def seed(database: Database, pg_url: str | None, size: int, seed: int = 11) -> Workspace:
    """Fill a migrated, empty database with the workspace and `size` flags."""
    assert set(FLAG_COLUMNS) == set(FlagRow.__table__.columns.keys()), "FlagRow changed"
    rng = random.Random(seed)
    workspace = Workspace(themes=theme_rows(rng))
    workspace.theme_created = [row[THEME_COLUMNS.index("created_at")] for row in workspace.themes]
    escalations: list[tuple[int, datetime, str]] = []
    at_kind = FLAG_COLUMNS.index("kind")
    at_created = FLAG_COLUMNS.index("created_at")
    at_severity = FLAG_COLUMNS.index("severity")
    async with Writer(database, pg_url) as writer:
        await writer.write("themes", THEME_COLUMNS, workspace.themes)
        for batch in flag_batches(size, seed, workspace):
            await writer.write("flags", FLAG_COLUMNS, batch)
            escalations.extend(
                (row[0], row[at_created], row[at_severity])
                for row in batch
                if row[at_kind] == "escalate" and row[at_created] < NOW - timedelta(days=1)
            )
        workspace.breaches = breach_rows(rng, escalations)
        await writer.write("silence_breaches", BREACH_COLUMNS, workspace.breaches)
        await writer.write(
            "workspace_counters", ["workspace_id", "last_number"], [(WORKSPACE, size)]
        )
        await writer.sql(
            "UPDATE flags SET joined_count = (SELECT count(*) FROM flags AS j "
            "WHERE j.joined_to_id = flags.id) "
            "WHERE id IN (SELECT joined_to_id FROM flags WHERE joined_to_id IS NOT NULL)"
        )
        if pg_url is not None:
            for table in ("themes", "flags", "silence_breaches"):
                await writer.sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
            # What autovacuum does to a table this size soon after the inserts.
            await writer.sql("VACUUM ANALYZE")
    return workspace


# --- measuring -----------------------------------------------------------------------------


def core_at_due_time(database: Database) -> Core:
    return Core(uow=database.unit_of_work, clock=FakeClock(NOW), config=CONFIG)


async def forget_sent(database: Database) -> None:
    async with database.engine.begin() as connection:
        await connection.execute(text("DELETE FROM outbox"))
        await connection.execute(text("DELETE FROM digests"))


async def all_digests(database: Database) -> float:
    """Seconds for send_due_digests to compose, claim and record every digest."""
    await forget_sent(database)
    core = core_at_due_time(database)
    started = time.perf_counter()
    sent = await send_due_digests(core)
    seconds = time.perf_counter() - started
    assert sent == ALL_DIGESTS, f"{sent} digests recorded, not {ALL_DIGESTS}"
    async with database.engine.connect() as connection:
        outgoing = await connection.scalar(text("SELECT count(*) FROM outbox"))
    assert outgoing == 2 * PRODUCT_DIGESTS + 1, f"{outgoing} outbox rows"  # digest + chart each
    return seconds


async def product_channels(database: Database) -> list[Conversation]:
    """The owner channels digest_targets finds (read before the figures are timed)."""
    async with database.unit_of_work() as uow:
        targets = await digest_targets(CONFIG, uow)
    products = [t.conversation for t in targets if t.kind is DigestKind.PRODUCT]
    assert len(products) == PRODUCT_DIGESTS, products
    return products


async def figures_only(
    database: Database, products: Sequence[Conversation], digests: list[ProductDigest] | None = None
) -> float:
    """Seconds for the SQL of every digest: compose without the charts, claims or outbox."""
    core = core_at_due_time(database)
    tz = CONFIG.tz
    started = time.perf_counter()
    async with core.uow() as uow:
        shared = await workspace_week(uow, WORKSPACE, REPORTED, tz)
        for conversation in products:
            digest = await gather_product(uow, CONFIG, conversation, REPORTED, shared)
            assert digest.themes, f"{conversation.channel_id} had no flags in the week"
            if digests is not None:
                digests.append(digest)
        last_start, last_end = REPORTED.shifted(-1).bounds(tz)
        this = await uow.digests.flow(WORKSPACE, WEEK_START, WEEK_END)
        await uow.digests.flow(WORKSPACE, last_start, last_end)
    seconds = time.perf_counter() - started
    assert this.escalations and this.recurring and this.breaches, this
    return seconds


def charts_only(digests: Sequence[ProductDigest]) -> float:
    """Seconds to draw the product digests' charts, one after the other as sending does."""
    started = time.perf_counter()
    for digest in digests:
        assert product_chart(digest) is not None
    return time.perf_counter() - started


# Each statement of the figures, named by what identifies it in the SQL.
STATEMENTS = (
    ("themes.list_all", "SELECT themes.id,"),
    ("theme_weeks", "CASE WHEN (flags.created_at <"),
    ("theme_customers", "json_"),
    ("theme_quotes", "row_number()"),
    ("flow: raised (week count)", "count(DISTINCT flags.joined_to_id)"),
    ("flow: recurrence", "EXISTS"),
    ("flow: breaches", "silence_breaches"),
    ("flow: themes closed", "(themes.fixed_at >="),
    ("flow: open at end, resolved later", "flags.resolved_at >="),
    ("flow: open at end, not resolved", "flags.status !="),
    ("flow: ack percentile", "OFFSET"),
    ("flow: ack count", "flags.acknowledged_at >="),
)


def statement_name(sql: str) -> str:
    return next((name for name, mark in STATEMENTS if mark in sql), sql.split()[0].lower())


@dataclass
class Traced:
    name: str
    statement: str
    parameters: Any
    seconds: float
    calls: int = 1


@contextlib.contextmanager
def tracing(database: Database) -> Iterator[list[Traced]]:
    """Every SQL statement run inside, with its parameters and time (at the DBAPI cursor)."""
    engine = database.engine.sync_engine
    traced: list[Traced] = []

    def before(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        conn.info.setdefault("bench_started", []).append(time.perf_counter())

    def after(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        took = time.perf_counter() - conn.info["bench_started"].pop()
        if statement.startswith("BEGIN"):
            return
        traced.append(Traced(statement_name(statement), statement, parameters, took))

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        yield traced
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)


async def statement_times(database: Database, products: Sequence[Conversation]) -> list[Traced]:
    """One figures-only pass, its time per statement kind, heaviest first."""
    with tracing(database) as traced:
        await figures_only(database, products)
    by_name: dict[str, Traced] = {}
    for item in traced:
        if item.name in by_name:
            by_name[item.name].seconds += item.seconds
            by_name[item.name].calls += 1
        else:
            by_name[item.name] = item  # the first one's SQL, for its plan
    return sorted(by_name.values(), key=lambda t: -t.seconds)


# Lines of a PostgreSQL plan left out of the summary: conditions, keys, workers, JIT.
PLAN_DETAILS = (
    "Filter",
    "Rows Removed",
    "Group Key",
    "Sort Key",
    "Presorted Key",
    "Recheck Cond",
    "Index Cond",
    "Hash Cond",
    "Join Filter",
    "Workers Planned",
    "JIT",
    "Functions",
    "Options",
)


async def plan(database: Database, item: Traced) -> str:
    """The plan of a traced statement with its own parameters, on one line."""
    postgres = database.engine.dialect.name == "postgresql"
    explain = "EXPLAIN" if postgres else "EXPLAIN QUERY PLAN"
    async with database.engine.connect() as connection:
        rows = await connection.exec_driver_sql(f"{explain} {item.statement}", item.parameters)
        lines = [str(row[-1]).strip() for row in rows]
    if postgres:
        # The plan's nodes, without costs and filters.
        lines = [line.split("  (cost")[0].lstrip("-> ") for line in lines]
        lines = [line for line in lines if not line.startswith(PLAN_DETAILS)]
    return " | ".join(lines)


@dataclass
class Result:
    database: str
    flags: int
    seed_seconds: float
    all_runs: list[float]
    figure_runs: list[float]
    chart_runs: list[float]
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]
    statements: list[tuple[str, int, float]]
    plans: dict[str, str]


def _load() -> tuple[float, float, float]:
    one, five, fifteen = os.getloadavg()
    return round(one, 2), round(five, 2), round(fifteen, 2)


async def measure(label: str, database: Database, size: int, seed_s: float, runs: int) -> Result:
    products = await product_channels(database)
    load_before = _load()
    all_runs, figure_runs, chart_runs = [], [], []
    for _ in range(runs):
        all_runs.append(await all_digests(database))
        digests: list[ProductDigest] = []
        figure_runs.append(await figures_only(database, products, digests))
        chart_runs.append(await asyncio.to_thread(charts_only, digests))
    load_after = _load()
    statements = await statement_times(database, products)
    plans = {}
    for item in statements:
        if item.name in ("theme_weeks", "flow: raised (week count)") or item is statements[0]:
            plans[item.name] = await plan(database, item)
    return Result(
        database=label,
        flags=size,
        seed_seconds=seed_s,
        all_runs=all_runs,
        figure_runs=figure_runs,
        chart_runs=chart_runs,
        load_before=load_before,
        load_after=load_after,
        statements=[(item.name, item.calls, item.seconds) for item in statements],
        plans=plans,
    )


def report_one(result: Result) -> None:
    print(
        f"  all digests: {_runs(result.all_runs)} s (median {_median(result.all_runs)} s); "
        f"figures only: {_runs(result.figure_runs)} s (median {_median(result.figure_runs)} s); "
        f"{PRODUCT_DIGESTS} charts only: {_runs(result.chart_runs)} s "
        f"(median {_median(result.chart_runs)} s); "
        f"load average {_triple(result.load_before)} before, {_triple(result.load_after)} after"
    )
    print("  one figures-only pass by statement (calls, ms):")
    for name, calls, seconds in result.statements:
        print(f"    {name}: {calls} call(s), {seconds * 1000:.0f} ms")
    for name, query_plan in result.plans.items():
        print(f"  plan of {name}: {query_plan}")


def _runs(values: Sequence[float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values)


def _median(values: Sequence[float]) -> str:
    return f"{statistics.median(values):.2f}"


def _triple(load: tuple[float, float, float]) -> str:
    return "/".join(f"{v:.2f}" for v in load)


def _remove(workdir: Path, name: str) -> None:
    """A SQLite database file and its -wal and -shm files."""
    for leftover in workdir.glob(f"{name}*"):
        leftover.unlink()


@contextlib.asynccontextmanager
async def fresh_database(
    workdir: Path, name: str, size: int, postgres: str
) -> AsyncIterator[tuple[Database, str | None]]:
    """A migrated, empty database for one size; removed afterwards."""
    if name == "sqlite":
        path = workdir / f"bench-digests-{size}.db"
        await asyncio.to_thread(_remove, workdir, path.name)
        database = Database.from_url(f"sqlite+aiosqlite:///{path}")
        pg_url = None
    else:
        scratch = f"frontline_bench_digests_{size}"
        pg_url = await create_database(postgres, scratch)
        database = Database.from_url(pg_url)
    try:
        await database.upgrade()
        yield database, pg_url
    finally:
        await database.dispose()
        if name == "sqlite":
            await asyncio.to_thread(_remove, workdir, f"bench-digests-{size}.db")
        else:
            await drop_database(postgres, f"frontline_bench_digests_{size}")


async def main_async(args: argparse.Namespace, workdir: Path) -> None:
    print(machine_line())
    print(f"Code measured: {await asyncio.to_thread(code_state)}.")
    print(
        f"Reported week {REPORTED.key}, clock at {NOW:%Y-%m-%d %H:%M} UTC; {THEMES} themes over "
        f"{OWNERS} owner channels, {BREACHES:,} silence breaches."
    )
    labels = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
    results: list[Result] = []
    for name in args.databases:
        if name == "postgresql" and not args.postgres:
            continue
        for size in args.sizes:
            async with fresh_database(workdir, name, size, args.postgres) as (database, pg_url):
                started = time.perf_counter()
                await seed(database, pg_url, size)
                seed_s = time.perf_counter() - started
                print(f"{labels[name]}: {size:,} flags stored in {seed_s:.0f} s")
                result = await measure(labels[name], database, size, seed_s, args.runs)
                report_one(result)
                results.append(result)
    print()
    print(
        f"| database | flags | all {ALL_DIGESTS} digests (median of {args.runs}) | runs "
        f"| figures only (median) | runs | {PRODUCT_DIGESTS} charts only (median) "
        f"| load average before, after | under {TARGET_SECONDS:.0f} s |"
    )
    print("|---|---:|---:|---|---:|---|---:|---|---|")
    for r in results:
        median = statistics.median(r.all_runs)
        verdict = (
            f"yes ({TARGET_SECONDS / median:.1f}x headroom)"
            if median < TARGET_SECONDS
            else f"NO ({median / TARGET_SECONDS:.1f}x over)"
        )
        print(
            f"| {r.database} | {r.flags:,} | {median:.2f} s | {_runs(r.all_runs)} | "
            f"{_median(r.figure_runs)} s | {_runs(r.figure_runs)} | {_median(r.chart_runs)} s | "
            f"{r.load_before[0]:.2f}, {r.load_after[0]:.2f} | {verdict} |"
        )
    if args.json:
        payload = [r.__dict__ for r in results]
        await asyncio.to_thread(Path(args.json).write_text, json.dumps(payload, indent=2))


def main() -> None:
    parser = parser_for(__doc__)
    add_sizes(parser, SIZES, "flags")
    parser.add_argument(
        "--databases",
        type=lambda text: [d.strip() for d in text.split(",")],
        default=list(DATABASES),
        help="sqlite, postgresql or both, comma-separated (default both)",
    )
    args = parser.parse_args()
    unknown = set(args.databases) - set(DATABASES)
    if unknown:
        parser.error(f"unknown database(s): {', '.join(sorted(unknown))}")
    run_in_workdir(args, "frontline-bench-digests-", main_async)


if __name__ == "__main__":
    main()
