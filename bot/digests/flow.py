"""The flow digest for support leads, and `/flag stats`: does the team keep its promise?

Team-level figures only: nothing here names, counts or ranks an individual agent or manager.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

from bot.core import Core
from bot.digests.models import FlowWeek
from bot.digests.periods import Week
from bot.digests.wording import week_words
from bot.durations import format_duration, span
from bot.messages import Field, Message, Reply
from bot.words import plural

FOOTER = (
    "Team figures: nobody is named or ranked. Time to acknowledge counts business hours "
    "(every hour for 24/7 severities)."
)


def flow_message(
    this: FlowWeek, last: FlowWeek, heading: str, late: str | None, *, open_label: str
) -> Message:
    """The figures of a week, each with the week before's beside it."""
    lines = [heading]
    if late:
        lines.append(f"_{late}_")
    fields = (
        Field("Flags raised", _beside(this, last, _flags)),
        Field("Time to acknowledge", _beside(this, last, _ack)),
        Field("Customer updates missed", _beside(this, last, _breaches)),
        Field(open_label, _beside(this, last, lambda w: str(w.open_at_end))),
        Field("Escalations sharing a post", _beside(this, last, _bursts)),
        Field("Recurrence", _beside(this, last, _recurrence)),
        Field("Themes fixed", _beside(this, last, lambda w: str(w.themes_fixed))),
        Field("Loops closed", _beside(this, last, lambda w: str(w.loops_closed))),
    )
    return Message("\n".join(lines), fields=fields, footer=FOOTER)


def flow_digest(this: FlowWeek, last: FlowWeek, week: Week, late: str | None) -> Message:
    heading = f"📈 *Flow digest: {week_words(week)}*"
    if not this.flags and not this.breaches and not this.open_at_end:
        quiet = "No flags were raised, no customer update was missed and no escalation is open."
        return Message("\n".join([heading, *([f"_{late}_"] if late else []), quiet]))
    return flow_message(this, last, heading, late, open_label="Escalations open at week end")


async def team_stats(core: Core, *, workspace_id: str) -> Reply:
    """`/flag stats`: this week so far, beside last week, for whoever asks."""
    now = core.clock.now()
    tz = core.config.tz
    week = Week.of(now.astimezone(tz).date())
    start, _ = week.bounds(tz)
    last_start, last_end = week.shifted(-1).bounds(tz)
    async with core.uow() as uow:
        # The end is exclusive: a flag raised this very second counts.
        this = await uow.digests.flow(workspace_id, start, now + timedelta(seconds=1))
        last = await uow.digests.flow(workspace_id, last_start, last_end)
        waiting = len(await uow.flags.list_awaiting_ack(workspace_id))
        still_open = await uow.flags.list_open(workspace_id)
    overdue = sum(1 for f in still_open if f.update_due_at is not None and f.update_due_at <= now)
    heading = f"📈 *Team figures, {week_words(week)}, so far*"
    message = flow_message(this, last, heading, None, open_label="Escalations open now")
    now_fields = (
        Field("Waiting for acknowledgement now", str(waiting)),
        Field("Customer updates overdue now", str(overdue)),
    )
    return Reply(replace(message, fields=now_fields + message.fields))


def _beside(this: FlowWeek, last: FlowWeek, words: Callable[[FlowWeek], str]) -> str:
    return f"{words(this)}; last week: {words(last)}"


def _flags(week: FlowWeek) -> str:
    return f"{plural(week.escalations, 'escalation')}, {week.recurring} recurring"


def _ack(week: FlowWeek) -> str:
    if week.ack_median is None or week.ack_p90 is None:
        return "none acknowledged"
    p90 = "a minute" if week.ack_p90 < 60 else _seconds(week.ack_p90)
    return (
        f"median {span(timedelta(seconds=week.ack_median))}, 90% within {p90}, "
        f"{week.acknowledged} acknowledged"
    )


def _breaches(week: FlowWeek) -> str:
    if not week.breaches or week.longest_breach is None:
        return "none"
    return f"{week.breaches}, the longest {_seconds(week.longest_breach)} overdue"


def _bursts(week: FlowWeek) -> str:
    if not week.bursts:
        return "none"
    return f"{plural(week.bursts, 'post')} for {week.bursts + week.joined} escalations"


def _recurrence(week: FlowWeek) -> str:
    share = week.recurrence
    if share is None:
        return "no recurring flags"
    recurring = plural(week.recurring, "recurring flag")
    return f"{share:.0%} of {recurring} joined an existing theme"


def _seconds(value: float) -> str:
    return format_duration(timedelta(seconds=value))
