"""The ladder a missed deadline climbs: the owner first, then the managers, `max_nudges` a stage.

An unacknowledged escalation: a nudge in its thread mentioning the managers group, then a direct
message to the on-duty managers. A missed customer update: first a reminder to the flag's owner
(the acknowledger, else the reporter), then the same two manager stages. Each step waits the
severity's `ack_within` (in business time, unless the severity is around the clock) after the
one before; after the last, the flag stays marked overdue and nothing more is sent.
"""

from __future__ import annotations

from enum import StrEnum


class ClockKind(StrEnum):
    ACK = "ack"  # the escalation must be acknowledged
    UPDATE = "update"  # the customer must hear from us


class Rung(StrEnum):
    OWNER = "owner"  # a reminder to the person who owns the promise
    THREAD = "thread"  # a nudge in the flag's thread, mentioning the managers group
    MANAGERS = "managers"  # a direct message to each on-duty manager


def rungs(clock: ClockKind, max_nudges: int) -> tuple[Rung, ...]:
    """Every step of the ladder, in order."""
    owner = (Rung.OWNER,) if clock is ClockKind.UPDATE else ()
    return owner + (Rung.THREAD,) * max_nudges + (Rung.MANAGERS,) * max_nudges


def rung_at(clock: ClockKind, steps_taken: int, max_nudges: int) -> Rung | None:
    """The step after `steps_taken` steps; None once the ladder is climbed."""
    ladder = rungs(clock, max_nudges)
    return ladder[steps_taken] if steps_taken < len(ladder) else None


def stage_position(clock: ClockKind, steps_taken: int, max_nudges: int) -> tuple[int, int]:
    """Which nudge of its stage step `steps_taken` is (1-based), and how many the stage has."""
    ladder = rungs(clock, max_nudges)
    rung = ladder[steps_taken]
    return ladder[: steps_taken + 1].count(rung), ladder.count(rung)
