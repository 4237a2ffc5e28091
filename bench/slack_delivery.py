"""Benchmark: delivering a backlog of outbox messages to a Slack that enforces its rate limit.

`--channels` channels times `--per-channel` messages (default 100 x 10 = 1,000) are recorded in
the outbox of a fresh database (SQLite file, then PostgreSQL) with Frontline's own storage
(`Outgoing.post` through a real `SqlUnitOfWork`), before the server starts. Then
`frontline serve` starts and its delivery worker sends them (chat.postMessage, with the outbox
id in `metadata.event_payload.outbox_id`) to a fake Slack that refuses — HTTP 429,
`Retry-After: 1` — a message arriving in a channel less than `--interval` seconds after that
channel's last accepted one.

Delivery time: from the first accepted post to the last, at the fake. Theoretical minimum:
(per-channel - 1) * interval, e.g. 9 s: each channel's 10th message can arrive no sooner than
9 s after its first, and all channels can go in parallel. Target: within 1.2 times that, with no
message lost (every outbox id accepted) and none duplicated (no outbox id accepted twice).

    .venv/bin/python -m bench.slack_delivery --runs 3
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench.harness import (
    code_line,
    fake_slack,
    frontline_server,
    get_json,
    machine_line,
    parser_for,
    repeat_runs,
    run_in_workdir,
    scratch_databases,
)
from bot.messages import Conversation, Message
from bot.outbox.models import Outgoing
from storage.database import Database

WORKSPACE = "T0BENCH01"


@dataclass
class Outcome:
    database: str
    expected: int
    minimum: float  # the theoretical minimum delivery time
    delivery: float | None  # first to last accepted post at the fake; None: not all arrived
    from_start: float | None  # from starting `frontline serve` to the last accepted post
    slowest_channel: float  # the longest first-to-last span of one channel
    accepted: int
    lost: int
    duplicated: int
    refused: int  # 429s the fake answered
    out_of_order: int  # channels whose messages arrived in another order than recorded
    statuses: dict[str, int]  # the outbox rows' statuses at the end

    @property
    def ratio(self) -> float | None:
        return None if self.delivery is None else self.delivery / self.minimum


async def enqueue(url: str, channels: int, per_channel: int) -> list[int]:
    """Record the messages with Frontline's storage; returns their outbox ids."""
    database = Database.from_url(url)
    try:
        await database.upgrade()
        ids = []
        async with database.unit_of_work() as uow:
            now = datetime.now(UTC)
            for number in range(1, per_channel + 1):  # round robin: as the traffic would be
                for channel in range(channels):
                    place = Conversation("slack", WORKSPACE, f"C{channel:04d}")
                    text = f"bench message {number}/{per_channel} for C{channel:04d}"
                    outgoing = Outgoing.post(place, Message(text), purpose="bench", flag_id=None)
                    ids.append(await uow.outbox.add(outgoing, now))
            await uow.commit()
        return ids
    finally:
        await database.dispose()


async def statuses(url: str) -> dict[str, int]:
    from sqlalchemy import func, select

    from storage.tables import OutboxRow

    database = Database.from_url(url)
    try:
        async with database.engine.connect() as connection:
            query = select(OutboxRow.status, func.count()).group_by(OutboxRow.status)
            return {status: count for status, count in await connection.execute(query)}
    finally:
        await database.dispose()


async def measure(
    label: str, url: str, args: argparse.Namespace, workdir: Path, run: int
) -> Outcome:
    ids = await enqueue(url, args.channels, args.per_channel)
    expected = {str(i) for i in ids}
    order = {str(i): position for position, i in enumerate(ids)}
    async with fake_slack(workdir, "--channel-interval", str(args.interval)) as fake:
        started = time.monotonic()
        async with frontline_server(workdir, fake, url, f"delivery-{label}-{run}"):
            deadline = started + args.timeout
            while time.monotonic() < deadline:
                if (await get_json(f"{fake}/stats"))["posts"] >= len(ids):
                    break
                await asyncio.sleep(0.1)
            await asyncio.sleep(args.settle)  # a duplicate would arrive now
            seen = await get_json(f"{fake}/posts")
    raw = workdir / f"posts-{label}-{run}.json"
    await asyncio.to_thread(raw.write_text, json.dumps({"started": started, **seen}))
    accepted: list[tuple[str, str | None, float]] = [tuple(p) for p in seen["accepted"]]
    counts = Counter(outbox_id for _, outbox_id, _ in accepted)
    arrived = [at for _, outbox_id, at in accepted if outbox_id in expected]
    by_channel: dict[str, list[tuple[float, str]]] = defaultdict(list)
    for channel, outbox_id, at in accepted:
        by_channel[channel].append((at, str(outbox_id)))
    spans = [max(t for t, _ in posts) - min(t for t, _ in posts) for posts in by_channel.values()]
    out_of_order = sum(
        1
        for posts in by_channel.values()
        if [order.get(i, -1) for _, i in sorted(posts)]
        != sorted(order.get(i, -1) for _, i in posts)
    )
    lost = len(expected - set(counts))
    complete = lost == 0 and bool(arrived)
    return Outcome(
        database=label,
        expected=len(ids),
        minimum=(args.per_channel - 1) * args.interval,
        delivery=(max(arrived) - min(arrived)) if complete else None,
        from_start=(max(arrived) - started) if complete else None,
        slowest_channel=max(spans, default=0.0),
        accepted=len(accepted),
        lost=lost,
        duplicated=sum(count - 1 for outbox_id, count in counts.items() if count > 1),
        refused=sum(seen["refused"].values()),
        out_of_order=out_of_order,
        statuses=await statuses(url),
    )


async def one_run(args: argparse.Namespace, workdir: Path, run: int) -> list[Outcome]:
    outcomes = []
    async with scratch_databases(workdir, args.postgres, f"delivery{run}") as databases:
        for label, url in databases:
            outcomes.append(await measure(label, url, args, workdir, run))
    return outcomes


def _s(value: float | None) -> str:
    return "not all delivered" if value is None else f"{value:.2f} s"


def table(runs: list[list[Outcome]]) -> str:
    minimum = runs[0][0].minimum
    lines = [
        f"| database | delivery time (first to last post) | vs minimum ({minimum:g} s) "
        "| from server start | slowest channel | 429s | lost / duplicated / out of order |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for index, database in enumerate(o.database for o in runs[0]):
        outcomes = [r[index] for r in runs]
        complete = [o for o in outcomes if o.delivery is not None]
        if complete:
            delivery = statistics.median(o.delivery for o in complete if o.delivery is not None)
            ratio = f"{delivery / minimum:.2f}x"
            start = _s(statistics.median(o.from_start or 0.0 for o in complete))
        else:
            delivery, ratio, start = None, "—", "—"
        note = (
            ""
            if len(complete) == len(outcomes)
            else f" ({len(outcomes) - len(complete)} incomplete)"
        )
        lines.append(
            f"| {database} | {_s(delivery)}{note} | {ratio} | {start} "
            f"| {statistics.median(o.slowest_channel for o in outcomes):.2f} s "
            f"| {statistics.median(o.refused for o in outcomes):g} "
            f"| {sum(o.lost for o in outcomes)} / {sum(o.duplicated for o in outcomes)} "
            f"/ {sum(o.out_of_order for o in outcomes)} |"
        )
    return "\n".join(lines)


def per_run(runs: list[list[Outcome]]) -> str:
    lines = [
        "| run | database | delivery time | vs minimum | from server start | slowest channel "
        "| 429s | accepted | lost | duplicated | out of order | outbox rows at the end |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for number, outcomes in enumerate(runs, 1):
        for o in outcomes:
            ratio = "—" if o.ratio is None else f"{o.ratio:.2f}x"
            rows = ", ".join(f"{status} {count}" for status, count in sorted(o.statuses.items()))
            lines.append(
                f"| {number} | {o.database} | {_s(o.delivery)} | {ratio} | {_s(o.from_start)} "
                f"| {o.slowest_channel:.2f} s | {o.refused} | {o.accepted} | {o.lost} "
                f"| {o.duplicated} | {o.out_of_order} | {rows} |"
            )
    return "\n".join(lines)


async def main_async(args: argparse.Namespace, workdir: Path) -> None:
    runs, loads = await repeat_runs(args, one_run, workdir)
    print(
        f"{args.channels} channels x {args.per_channel} messages, the fake refusing a second "
        f"message within {args.interval:g} s in a channel. Medians of {len(runs)} run(s); "
        f"{machine_line()}.\n"
    )
    print(table(runs))
    print("\nEach run:\n")
    print(per_run(runs))
    print("\nLoad average (1 min, both cores shared): " + "; ".join(loads) + ".")
    print(code_line())
    if args.json:
        raw = [
            {"run": n, **{k: v for k, v in vars(o).items()}, "ratio": o.ratio}
            for n, outcomes in enumerate(runs, 1)
            for o in outcomes
        ]
        await asyncio.to_thread(Path(args.json).write_text, json.dumps(raw, indent=2))


def main() -> None:
    parser = parser_for(__doc__)
    parser.add_argument("--channels", type=int, default=100)
    parser.add_argument("--per-channel", type=int, default=10)
    parser.add_argument(
        "--interval", type=float, default=1.0, help="the fake's minimum gap per channel (s)"
    )
    parser.add_argument(
        "--timeout", type=float, default=180, help="give up waiting for the posts after this"
    )
    parser.add_argument(
        "--settle", type=float, default=3, help="seconds to keep watching for duplicates"
    )
    args = parser.parse_args()
    run_in_workdir(args, "frontline-delivery-", main_async)


if __name__ == "__main__":
    main()
