"""Team-level figures for `/flag stats`: flow, silence and recurrence, never per person."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from datetime import timedelta

from bot.core import Core
from bot.durations import format_duration
from bot.flags.models import Flag, FlagKind
from bot.messages import Field, Message, Reply

WEEK = timedelta(days=7)


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile of `values` (which must not be empty)."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[rank]


async def team_stats(core: Core, *, workspace_id: str) -> Reply:
    """This week's team-level figures."""
    now = core.clock.now()
    async with core.uow() as uow:
        # end is exclusive: include flags raised this very second
        week = await uow.flags.list_created_between(
            workspace_id, now - WEEK, now + timedelta(seconds=1)
        )
        still_open = await uow.flags.list_open(workspace_id)
    escalations = [f for f in week if f.kind is FlagKind.ESCALATE]
    recurring = [f for f in week if f.kind is FlagKind.RECURRING]
    ack_seconds = [
        (f.acknowledged_at - f.created_at).total_seconds()
        for f in escalations
        if f.acknowledged_at is not None
    ]
    overdue = [f for f in still_open if f.update_due_at is not None and f.update_due_at <= now]
    waiting = [f for f in still_open if _awaits_ack(f)]
    themes = {f.theme_id for f in recurring if f.theme_id is not None}
    customers = {ref for f in week for ref in f.customer_refs}
    fields = [
        Field("Escalations this week", str(len(escalations))),
        Field("Recurring flags this week", f"{len(recurring)} across {len(themes)} theme(s)"),
        Field("Customers involved", str(len(customers))),
        Field("Time to acknowledge", _ack_summary(ack_seconds)),
        Field("Waiting for acknowledgement now", str(len(waiting))),
        Field("Customer updates overdue now", str(len(overdue))),
        Field("Open flags", str(len(still_open))),
    ]
    return Reply(Message("*Team figures, last 7 days*", fields=tuple(fields)))


def _awaits_ack(flag: Flag) -> bool:
    return flag.kind is FlagKind.ESCALATE and flag.acknowledged_by is None


def _ack_summary(seconds: Sequence[float]) -> str:
    if not seconds:
        return "no acknowledgements yet"
    median = format_duration(timedelta(seconds=statistics.median(seconds)))
    p90 = format_duration(timedelta(seconds=percentile(seconds, 0.9)))
    return f"median {median}, 90th percentile {p90} ({len(seconds)} acknowledged)"
