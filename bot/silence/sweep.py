"""The sweep: every flag whose alarm is due takes its next ladder step, exactly once.

Due work lives in the flags themselves: each open clock keeps when its next step is due
(`ack_next_at`, `update_next_at`), and the earliest of them is the flag's indexed `alarm_at`.
A sweep claims due flags in batches (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so replicas
sweeping at once take different flags; SQLite has one writer), takes each step, records the
messages in the outbox, moves the alarms on and commits — all in one transaction. A crash
before the commit leaves the alarms due, to be taken by the next sweep; after it, the messages
are the outbox's to deliver. Nothing is sent twice and nothing due is lost.

Business-hours severities send nothing outside business hours: a step that comes due then
waits for the next opening. A step found long past its time (the server was down) is sent
once, marked late, and the next step counts from now: never a burst of stale reminders.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from bot.core import Core
from bot.durations import format_duration
from bot.escalations.service import has_post, refresh_post, say_in_thread
from bot.flags.models import EventKind, Flag, TimelineEvent
from bot.messages import Person
from bot.outbox.models import DeliveryStatus, Outgoing
from bot.ports import UnitOfWork
from bot.silence.ladder import ClockKind, Rung, rung_at, stage_position
from bot.silence.reminders import (
    Step,
    group_mention,
    grouped_owner_reminder,
    manager_message,
    owner_reminder,
    thread_nudge,
)
from bot.silence.wording import local_time
from bot.words import plural

log = logging.getLogger(__name__)
BATCH = 200
# A step found this long after its time was missed while Frontline was not running.
LATE_AFTER = timedelta(minutes=5)

PersonKey = tuple[str, str, str]


def _key(person: Person) -> PersonKey:
    return (person.platform, person.workspace_id, person.user_id)


@dataclass
class _Plan:
    """What one batch of the sweep sends, gathered so each person gets one message."""

    core: Core
    now: datetime
    owner_steps: dict[PersonKey, list[Step]] = field(default_factory=lambda: defaultdict(list))
    owners: dict[PersonKey, Person] = field(default_factory=dict)
    manager_steps: dict[PersonKey, list[Step]] = field(default_factory=lambda: defaultdict(list))
    managers: dict[PersonKey, Person] = field(default_factory=dict)


async def sweep(core: Core) -> int:
    """Take every due ladder step; returns how many flags had one."""
    total = 0
    while True:
        async with core.uow() as uow:
            now = core.clock.now()
            flags = await uow.flags.claim_due(now, BATCH)
            plan = _Plan(core, now)
            for flag in flags:
                await _visit(plan, uow, flag)
            await _send_grouped(plan, uow)
            for flag in flags:
                await uow.flags.save(flag)
            await uow.commit()
        total += len(flags)
        if len(flags) < BATCH:
            break
    if total:
        log.info("silence sweep: %d flag(s) took a step", total)
    return total


async def _visit(plan: _Plan, uow: UnitOfWork, flag: Flag) -> None:
    for clock in (ClockKind.ACK, ClockKind.UPDATE):
        next_at = flag.ack_next_at if clock is ClockKind.ACK else flag.update_next_at
        if next_at is not None and next_at <= plan.now:
            await _step(plan, uow, flag, clock, next_at)
    if flag.alarm_at is not None and flag.alarm_at <= plan.now:
        # Never leave a flag due: the next sweep would take it again at once.
        log.error("%s: its alarm did not move on; stopping its clocks", flag.key)
        flag.ack_next_at = flag.update_next_at = None


async def _step(plan: _Plan, uow: UnitOfWork, flag: Flag, clock: ClockKind, due: datetime) -> None:
    core, now = plan.core, plan.now
    assert flag.id is not None
    deadlines = core.config.deadlines(flag.severity)
    policy = core.config.severity(flag.severity)
    if not deadlines.may_send(now):
        _schedule(flag, clock, deadlines.next_sending_time(now))  # nothing at night
        return
    late_since = due if now - due > LATE_AFTER else None
    steps = flag.ack_steps if clock is ClockKind.ACK else flag.update_steps
    deadline = flag.ack_due_at if clock is ClockKind.ACK else flag.update_due_at
    assert deadline is not None
    if steps == 0:
        await _mark_overdue(plan, uow, flag, clock, deadline)
    while (rung := rung_at(clock, steps, policy.max_nudges)) is not None:
        step = Step(
            flag, clock, deadline, late_since, stage_position(clock, steps, policy.max_nudges)
        )
        steps += 1
        if await _take(plan, uow, step, rung):
            break
    if clock is ClockKind.ACK:
        flag.ack_steps = steps
    else:
        flag.update_steps = steps
    more = rung_at(clock, steps, policy.max_nudges) is not None
    _schedule(flag, clock, deadlines.after(now, policy.ack_within) if more else None)


def _schedule(flag: Flag, clock: ClockKind, at: datetime | None) -> None:
    if clock is ClockKind.ACK:
        flag.ack_next_at = at
    else:
        flag.update_next_at = at


async def _mark_overdue(
    plan: _Plan, uow: UnitOfWork, flag: Flag, clock: ClockKind, deadline: datetime
) -> None:
    """The deadline has passed: on the timeline, and on the post, updated in place."""
    assert flag.id is not None
    policy = plan.core.config.severity(flag.severity)
    severity = flag.severity.value
    event: TimelineEvent | None = None
    if clock is ClockKind.ACK:
        target = f"target {format_duration(policy.ack_within)} ({severity})"
        event = TimelineEvent(flag.id, deadline, EventKind.ACK_OVERDUE, None, target)
    elif flag.silent_since is None:  # else marked when it first fell overdue (a snooze ended)
        flag.silent_since = deadline  # a silence breach, until the customer hears from us
        await uow.breaches.start(flag, deadline)
        promise = f"promise: every {format_duration(policy.update_every)} ({severity})"
        event = TimelineEvent(flag.id, deadline, EventKind.UPDATE_OVERDUE, None, promise)
    if event is not None:
        await uow.timeline.add(event)
    await refresh_post(plan.core, uow, flag)


async def _take(plan: _Plan, uow: UnitOfWork, step: Step, rung: Rung) -> bool:
    """Take one rung; False when it cannot be taken here (the ladder moves past it)."""
    core, flag = plan.core, step.flag
    managers = core.config.managers_for(flag.platform)
    # Both clocks nudge the same people: the timeline says which one each nudge was for.
    about = "for the acknowledgement" if step.clock is ClockKind.ACK else "for the customer update"
    match rung:
        case Rung.OWNER:
            owner = flag.owner
            plan.owner_steps[_key(owner)].append(step)
            plan.owners[_key(owner)] = owner
            return True
        case Rung.THREAD:
            if not await _has_thread(plan, uow, flag):
                return False
            mention = group_mention(flag.platform, managers.group)
            message = thread_nudge(step, mention, core.config)
            await say_in_thread(core, uow, flag, message, while_due=step.clock)
            who = f"mentioned {mention} in the thread" if mention else "in the thread"
            await _record(plan, uow, step, EventKind.NUDGED, f"{about}, {who}")
            return True
        case Rung.MANAGERS:
            if not managers.on_duty:
                return False
            for user_id in managers.on_duty:
                manager = Person(flag.platform, flag.workspace_id, user_id)
                plan.manager_steps[_key(manager)].append(step)
                plan.managers[_key(manager)] = manager
            names = ", ".join(f"<@{user_id}>" for user_id in managers.on_duty)
            who = f"direct message to the on-duty managers {names}"
            await _record(plan, uow, step, EventKind.NUDGED, f"{about}, {who}")
            return True


async def _has_thread(plan: _Plan, uow: UnitOfWork, flag: Flag) -> bool:
    """Whether the flag has a post to reply under (delivered, or still on its way)."""
    if flag.post is not None:
        return True
    if flag.id is None or not has_post(plan.core, flag):
        return False
    # A post that was given up has no thread: what would go there goes elsewhere.
    return await uow.outbox.post_state(flag.id) not in (DeliveryStatus.DEAD, DeliveryStatus.SKIPPED)


async def _record(plan: _Plan, uow: UnitOfWork, step: Step, kind: EventKind, what: str) -> None:
    assert step.flag.id is not None
    number, of = step.position
    count = f" ({number} of {of})" if of > 1 else ""
    late = ""
    if step.late_since is not None:
        late = f"; late, due {local_time(step.late_since, plan.core.config.tz)}"
    await uow.timeline.add(
        TimelineEvent(step.flag.id, plan.now, kind, None, f"{what}{count}{late}")
    )


async def _send_grouped(plan: _Plan, uow: UnitOfWork) -> None:
    """One message per person per sweep: reminders to owners, then direct messages to managers."""
    core = plan.core
    for key, steps in plan.owner_steps.items():
        owner = plan.owners[key]
        if len(steps) == 1 and await _has_thread(plan, uow, steps[0].flag):
            flag = steps[0].flag
            words = owner_reminder(steps[0], core.config, in_thread=True)
            await say_in_thread(core, uow, flag, words, while_due=ClockKind.UPDATE)
            how = f"{owner.mention}, in the thread"
        elif len(steps) == 1:
            flag = steps[0].flag
            message = owner_reminder(steps[0], core.config, in_thread=False)
            reminder = Outgoing.direct(owner, message, purpose="reminder", flag_id=flag.id)
            await uow.outbox.record(replace(reminder, while_due=ClockKind.UPDATE), plan.now)
            how = f"{owner.mention}, by direct message"
        else:
            message = grouped_owner_reminder(steps, core.config)
            await uow.outbox.record(Outgoing.direct(owner, message, purpose="reminder"), plan.now)
            others = plural(len(steps) - 1, "other flag")
            how = f"{owner.mention}, by direct message with {others}"
        for step in steps:
            await _record(plan, uow, step, EventKind.REMINDED, how)
    for key, steps in plan.manager_steps.items():
        manager = plan.managers[key]
        message = manager_message(steps, core.config)
        # About one flag: dropped if that flag's clock moves on first. About several: sent.
        one = steps[0] if len(steps) == 1 else None
        nudge = Outgoing.direct(
            manager, message, purpose="manager nudge", flag_id=one.flag.id if one else None
        )
        if one is not None:  # its words link the flag's post, and it lapses with its clock
            nudge = replace(nudge, while_due=one.clock, links_post=True)
        await uow.outbox.record(nudge, plan.now)
