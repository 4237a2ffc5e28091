"""Use cases of flags: raise one, record a customer update, snooze, resolve, show, list mine."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.actions import ActionId
from bot.core import Core
from bot.durations import ago, format_duration
from bot.errors import FlagNotFound, InvalidState
from bot.escalations.bursts import burst_lead, wants_vector
from bot.escalations.service import (
    join_burst,
    post_escalation,
    refresh_post,
    say_in_thread,
    tell_person,
)
from bot.flags.models import EventKind, Flag, FlagKind, TimelineEvent, flag_key
from bot.flags.permissions import can_see, require_may_change
from bot.flags.raising import RaiseFlag
from bot.flags.rendering import (
    SEVERITY_LABEL,
    flag_line,
    local_time,
    timeline_message,
    withheld_line,
)
from bot.messages import Button, Conversation, Message, Person, Reply, Where
from bot.outbox.models import POST_LINK
from bot.ports import UnitOfWork
from bot.themes.matching import matched_words
from bot.themes.routing import after_new_flag
from bot.themes.service import weekly_count

log = logging.getLogger(__name__)
BUTTON_SNOOZE = timedelta(hours=1)


async def raise_flag(
    core: Core,
    *,
    reporter: Person,
    where: Where,
    command: RaiseFlag,
    source_link: str | None = None,
) -> Reply:
    """Record a new flag; escalations are posted for the managers, recurring ones themed."""
    now = core.clock.now()
    policy = core.config.severity(command.severity)
    # The text's vector is computed before the transaction: the model needs no lock.
    vector = None
    if command.kind is FlagKind.RECURRING or wants_vector(core):
        vector = await core.themes.vector(command.summary)
    async with core.uow() as uow:
        number = 0
        if command.kind is FlagKind.RECURRING:
            # A recurring flag needs nobody to wait for it: its number is reserved on its own
            # (PostgreSQL), first, before this transaction holds a connection, so the counter
            # row is not held until the commit while every new flag of the workspace waits.
            number = await uow.flags.reserve_number(reporter.workspace_id)
        flag = Flag(
            workspace_id=reporter.workspace_id,
            number=number,  # an escalation's is reserved below
            kind=command.kind,
            summary=command.summary,
            severity=command.severity,
            reporter=reporter,
            origin=where,
            created_at=now,
            customer_refs=command.customer_refs,
        )
        flag.start_clocks(
            now, core.config.deadlines(command.severity), policy.ack_within, policy.update_every
        )
        matched = lead = None
        if flag.kind is FlagKind.RECURRING:
            matched = await core.themes.match(
                uow, core.config.themes, flag, tag=command.theme_slug, now=now, vector=vector
            )
        else:
            # Escalations reserve their number first: the counter row's lock (PostgreSQL; on
            # SQLite the whole transaction) makes two escalations of one outage, raised at the
            # same moment, see each other, so the second joins the first.
            flag.number = await uow.flags.next_number(reporter.workspace_id)
            lead = await burst_lead(core, uow, flag, now, vector)
            if lead is not None:
                flag.join(lead)
        flag = await uow.flags.add(flag)
        assert flag.id is not None
        source = f"from <{source_link}|this message>" if source_link else ""
        await uow.timeline.add(TimelineEvent(flag.id, now, EventKind.FLAGGED, reporter, source))
        if matched is not None:
            theme = matched.theme
            await uow.timeline.add(
                TimelineEvent(flag.id, now, EventKind.THEMED, None, matched_words(matched))
            )
            routed = await after_new_flag(core, uow, theme, flag, now)
            count = await weekly_count(uow, theme, now)
        elif lead is not None:
            affected = await join_burst(core, uow, flag, lead, now)
        else:
            posted = await post_escalation(core, uow, flag)
        await uow.commit()
    log.info("flag %s raised (%s) in workspace %s", flag.key, flag.kind, flag.workspace_id)
    clock = _clock_sentence(flag, core)
    if matched is not None:
        return Reply(
            Message(
                f"🚩 *{flag.key}* recorded under theme *#{matched.theme.slug}* "
                f"({count} flag{'s' if count != 1 else ''} this week).{routed}{clock}",
                buttons=(Button("Wrong theme?", ActionId.WRONG_THEME, str(flag.number)),),
            )
        )
    if lead is not None:
        owner = (
            f" It is already acknowledged by {lead.acknowledged_by.mention}, who owns yours too."
            if lead.acknowledged_by is not None
            else " A manager will acknowledge it there, for all of them."
        )
        return Reply(
            Message(
                f"🚩 *{flag.key}* joined *{lead.key}*, the same problem escalated "
                f"{ago(now - lead.created_at)}: see {POST_LINK} "
                f"({affected} customers affected).{owner}{clock}"
            ),
            after_post_of=lead.id,
        )
    if not posted:
        return Reply(
            Message(
                f"🚩 *{flag.key}* is recorded, but posting it to the escalation channel failed, "
                "so no manager has seen it: tell one yourself, and tell your Frontline admin. "
                f"`/flag show {flag.key}` says why.{clock}"
            )
        )
    return Reply(
        Message(
            f"🚩 *{flag.key}* escalated ({SEVERITY_LABEL[flag.severity]}): see "
            f"{POST_LINK}. A manager will acknowledge it in the thread.{clock}"
        ),
        after_post_of=flag.id,
    )


def _clock_sentence(flag: Flag, core: Core) -> str:
    if not flag.has_customer or flag.update_due_at is None:
        return ""
    every = format_duration(core.config.severity(flag.severity).update_every)
    due = local_time(flag.update_due_at, core.config.tz)
    return (
        f" The customer is due an update by {due} (every {every}{_hours_note(core, flag)}); "
        f"after updating them: `/flag update {flag.key}`."
    )


def _hours_note(core: Core, flag: Flag) -> str:
    return "" if core.config.severity(flag.severity).around_the_clock else ", business hours"


async def _load(uow: UnitOfWork, actor: Person, number: int) -> Flag:
    flag = await uow.flags.get(actor.workspace_id, number)
    if flag is None or flag.platform != actor.platform:
        raise FlagNotFound(flag_key(number))
    return flag


def _require_open(flag: Flag) -> None:
    if not flag.is_open:
        who = f" by {flag.resolved_by.mention}" if flag.resolved_by else ""
        raise InvalidState(f"*{flag.key}* was already resolved{who}.")


async def record_customer_update(
    core: Core,
    *,
    actor: Person,
    number: int,
    note: str | None,
    acting_from: Conversation | None = None,
) -> Reply:
    """The customer was told something: restart the update clock."""
    now = core.clock.now()
    async with core.uow() as uow:
        flag = await _load(uow, actor, number)
        _require_open(flag)
        await require_may_change(core, flag, actor, acting_from)
        every = core.config.severity(flag.severity).update_every
        silent_since = flag.record_customer_update(now, core.config.deadlines(flag.severity), every)
        assert flag.id is not None
        await uow.flags.save(flag)
        if silent_since is not None:
            await uow.breaches.end(flag.id, now)
        # The timeline shows how long the customer waited, against the promise.
        await uow.timeline.add(
            TimelineEvent(flag.id, now, EventKind.CUSTOMER_UPDATED, actor, note or "")
        )
        due = local_time(flag.update_due_at or now, core.config.tz)
        if flag.has_customer:
            await refresh_post(core, uow, flag)
            await say_in_thread(
                core, uow, flag, f"📣 Customer updated by {actor.mention}; next update by {due}."
            )
        await uow.commit()
    if not flag.has_customer:
        return Reply(
            Message(
                f"Noted on *{flag.key}*. It has no customer attached, so there is no update "
                "clock to restart."
            )
        )
    return Reply(Message(f"Customer update recorded on *{flag.key}*; next one due by {due}."))


async def snooze(
    core: Core,
    *,
    actor: Person,
    number: int,
    duration: timedelta,
    acting_from: Conversation | None = None,
) -> Reply:
    """Hold the update reminders of a flag for a while, and say when they resume."""
    now = core.clock.now()
    until = now + duration
    async with core.uow() as uow:
        flag = await _load(uow, actor, number)
        _require_open(flag)
        await require_may_change(core, flag, actor, acting_from)
        if flag.update_due_at is None:
            return Reply(
                Message(
                    f"*{flag.key}* has no customer attached, so it has no update reminders "
                    "to snooze."
                )
            )
        due_later = flag.update_due_at > until
        flag.snooze(until)
        assert flag.id is not None
        await uow.flags.save(flag)
        await uow.timeline.add(
            TimelineEvent(
                flag.id, now, EventKind.SNOOZED, actor, f"for {format_duration(duration)}"
            )
        )
        tz = core.config.tz
        when = local_time(until, tz)
        await refresh_post(core, uow, flag)
        line = f"💤 Snoozed by {actor.mention} until {when}"
        if due_later:  # the next update is due after the snooze ends: reminders are unchanged
            line += "; the next customer update is due later anyway, so nothing is held"
        await say_in_thread(core, uow, flag, f"{line}.")
        await uow.commit()
    return Reply(Message(_snooze_words(core, flag, now, until, due_later)))


def _snooze_words(core: Core, flag: Flag, now: datetime, until: datetime, due_later: bool) -> str:
    tz = core.config.tz
    deadlines = core.config.deadlines(flag.severity)
    when = local_time(until, tz)
    if due_later and flag.update_due_at is not None:
        text = (
            f"*{flag.key}* snoozed until {when}. Its next customer update is due "
            f"{local_time(flag.update_due_at, tz)} anyway, so reminders stay as they were."
        )
    else:
        resume = deadlines.next_sending_time(until)
        text = f"*{flag.key}* snoozed until {when}; reminders resume "
        text += f"{local_time(resume, tz)}, in business hours." if resume != until else "then."
    if not deadlines.around_the_clock and until > core.config.calendar.next_business_day_end(now):
        text += " That is past the next business day."
    if flag.kind is FlagKind.ESCALATE and flag.acknowledged_by is None:
        text += " Nudges to acknowledge it go on until a manager does."
    return text


async def resolve(
    core: Core,
    *,
    actor: Person,
    number: int,
    note: str | None,
    acting_from: Conversation | None = None,
) -> Reply:
    """Close a flag: clocks stop, the post is updated, the reporter is told."""
    now = core.clock.now()
    async with core.uow() as uow:
        flag = await _load(uow, actor, number)
        _require_open(flag)
        await require_may_change(core, flag, actor, acting_from)
        owner = flag.acknowledged_by
        silent_since = flag.resolve(actor, now, note)
        assert flag.id is not None
        await uow.flags.save(flag)
        detail = note or ""
        if silent_since is not None:
            await uow.breaches.end(flag.id, now)
            silence = f"customer update {format_duration(now - silent_since)} overdue"
            detail = f"{detail} ({silence})" if detail else silence
        await uow.timeline.add(TimelineEvent(flag.id, now, EventKind.RESOLVED, actor, detail))
        suffix = f": {note}" if note else "."
        await refresh_post(core, uow, flag)
        await say_in_thread(core, uow, flag, f"✔️ Resolved by {actor.mention}{suffix}")
        what = f"*{flag.key}* ({flag.summary})"
        by = f"was resolved by {actor.mention}{suffix}"
        yours = "Your escalation" if flag.kind is FlagKind.ESCALATE else "Your flag"
        await tell_person(core, uow, flag, flag.reporter, actor, f"{yours} {what} {by}")
        if owner is not None and owner.user_id != flag.reporter.user_id:
            owned = f"The escalation you own, {what}, {by}"
            await tell_person(core, uow, flag, owner, actor, owned)
        await uow.commit()
    return Reply(Message(f"*{flag.key}* resolved.{_resolve_told(flag, owner, actor)}"))


def _resolve_told(flag: Flag, owner: Person | None, actor: Person) -> str:
    """Who heard of a resolve: the reporter and the owner, unless they resolved it."""
    told = []
    if flag.reporter.user_id != actor.user_id:
        told.append("reporter")
    if owner is not None and owner.user_id not in (actor.user_id, flag.reporter.user_id):
        told.append("owner")
    if not told:
        return ""
    return f" Its {' and '.join(told)} {'has' if len(told) == 1 else 'have'} been told."


async def show_flag(
    core: Core, *, actor: Person, number: int, acting_from: Conversation | None = None
) -> Reply:
    """The flag's timeline, end to end; without its words for someone who may not see them."""
    async with core.uow() as uow:
        flag = await _load(uow, actor, number)
        assert flag.id is not None
        events = await uow.timeline.list_for(flag.id)
    if not await can_see(core, flag, actor, acting_from):
        return Reply(Message(withheld_line(flag, core.config)))
    return Reply(timeline_message(flag, events, core.clock.now(), core.config))


async def list_mine(core: Core, *, actor: Person) -> Reply:
    """The person's open flags (reported or owned), with when each customer is next due."""
    async with core.uow() as uow:
        flags = await uow.flags.list_open_for_person(actor.workspace_id, actor.user_id)
    if not flags:
        return Reply(Message("You have no open flags."))
    now = core.clock.now()
    lines = [flag_line(f, now, core.config) for f in flags]
    return Reply(Message(f"*Your open flags ({len(flags)})*\n" + "\n".join(lines)))
