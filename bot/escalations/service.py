"""Use cases of escalations: post to the escalation channel, acknowledge in the thread."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.core import Core
from bot.durations import after, format_duration
from bot.errors import FlagNotFound, InvalidState
from bot.escalations.bursts import customers_affected
from bot.flags.models import EventKind, Flag, FlagKind, TimelineEvent
from bot.flags.permissions import require_may_change
from bot.flags.rendering import customer_refs_text, escalation_post
from bot.messages import Conversation, Message, MessageRef, Person, Reply, Where
from bot.outbox.models import DeliveryStatus, Outgoing, OutgoingKind, flag_order
from bot.ports import UnitOfWork
from bot.reactions import reaction_name
from bot.silence.ladder import ClockKind

log = logging.getLogger(__name__)


def escalation_conversation(core: Core, flag: Flag) -> Conversation | None:
    """The configured escalation channel of the flag's platform, if there is one."""
    channel = core.config.channels_for(flag.platform).escalations
    return Conversation(flag.platform, flag.workspace_id, channel) if channel else None


async def post_escalation(core: Core, uow: UnitOfWork, flag: Flag) -> bool:
    """Record the escalation post in the outbox; False when there is nowhere to post it."""
    assert flag.id is not None
    now = core.clock.now()
    conversation = escalation_conversation(core, flag)
    if conversation is None:
        # Posting where it was raised (maybe a DM) would hide it from every manager.
        detail = (
            f"escalation post: no escalation channel is configured for {flag.platform} "
            f"(set channels.{flag.platform}.escalations in frontline.yml)"
        )
        log.warning("cannot post %s: %s", flag.key, detail)
        await uow.timeline.add(TimelineEvent(flag.id, now, EventKind.DELIVERY_FAILED, None, detail))
        return False
    message = escalation_post(flag, now, core.config)
    outgoing = Outgoing.post(conversation, message, purpose="escalation post", flag_id=flag.id)
    await uow.outbox.record(outgoing, now)
    return True


def has_post(core: Core, flag: Flag) -> bool:
    """Whether the flag has (or is getting) an escalation post to update and thread under."""
    return flag.post is not None or (
        flag.kind is FlagKind.ESCALATE and escalation_conversation(core, flag) is not None
    )


def _post_place(core: Core, flag: Flag) -> Conversation:
    if flag.post is not None:
        return flag.post.conversation
    conversation = escalation_conversation(core, flag)
    assert conversation is not None
    return conversation


async def adopt_post(core: Core, uow: UnitOfWork, flag: Flag, pressed_on: MessageRef) -> None:
    """A button pressed on a post Frontline never heard back about makes it the flag's post.

    After an uncertain failure (a 502 once the card may exist) a platform without history
    (Teams) cannot say whether the post arrived; the press proves it did, and where.
    """
    if flag.id is None or flag.post is not None or flag.kind is not FlagKind.ESCALATE:
        return
    expected = escalation_conversation(core, flag)
    if expected is None or pressed_on.conversation != expected:
        return
    if await uow.outbox.post_state(flag.id) is DeliveryStatus.SENT:
        return
    flag.post = MessageRef(pressed_on.conversation, pressed_on.message_id)
    await uow.flags.save(flag)
    await uow.timeline.add(
        TimelineEvent(
            flag.id, core.clock.now(), EventKind.POSTED, None, "found from a button on it"
        )
    )
    log.info("%s: adopted its escalation post from a button pressed on it", flag.key)


async def adopt_pressed_post(
    core: Core, actor: Person, number: int, pressed_on: MessageRef
) -> None:
    """Before a button's own use case: the post it was pressed on may be one Frontline never
    heard back about (see `adopt_post`); then it becomes the flag's post, so the use case's
    update goes to it, whichever button it was."""
    async with core.uow() as uow:
        flag = await uow.flags.get(actor.workspace_id, number)
        if flag is None or flag.platform != actor.platform or flag.post is not None:
            return
        await adopt_post(core, uow, flag, pressed_on)
        await uow.commit()


async def refresh_post(core: Core, uow: UnitOfWork, flag: Flag) -> None:
    """Record an update of the escalation post, so it shows the flag as it stands.

    The post is drawn when the update is delivered (`current_post`), not here: it shows the
    flag as it is then, and a sweep moving many flags on draws none of them in its write.
    """
    if flag.id is not None and has_post(core, flag):
        outgoing = Outgoing.flag_post_refresh(_post_place(core, flag), flag.id)
        await uow.outbox.record(outgoing, core.clock.now())


async def current_post(core: Core, uow: UnitOfWork, flag: Flag) -> Message:
    """The escalation post of `flag` as it stands now, with the customers of its burst."""
    affected = None
    if flag.joined_count and flag.id is not None:
        affected = customers_affected(flag, await uow.flags.list_joined(flag.id))
    return escalation_post(flag, core.clock.now(), core.config, affected=affected)


async def say_in_thread(
    core: Core,
    uow: UnitOfWork,
    flag: Flag,
    text: str | Message,
    *,
    while_due: ClockKind | None = None,
) -> None:
    """Record one line (or a message with buttons) for the escalation's thread.

    `while_due`: a reminder or nudge of that clock, dropped if the clock moves on before it
    is delivered (`Outgoing.while_due`)."""
    if flag.id is not None and has_post(core, flag):
        message = text if isinstance(text, Message) else Message(text)
        outgoing = Outgoing.on_flag_post(
            OutgoingKind.REPLY, _post_place(core, flag), flag.id, message
        )
        await uow.outbox.record(replace(outgoing, while_due=while_due), core.clock.now())


async def tell_person(
    core: Core, uow: UnitOfWork, flag: Flag, person: Person, actor: Person, text: str
) -> None:
    """Record a private message to someone (usually the reporter), unless they did it."""
    if person.user_id != actor.user_id:
        outgoing = Outgoing.direct(person, Message(text), purpose="direct message", flag_id=flag.id)
        await uow.outbox.record(outgoing, core.clock.now())


async def acknowledge(
    core: Core, *, actor: Person, number: int, via: str, pressed_on: MessageRef | None = None
) -> Reply:
    """Acknowledge an escalation; the first acknowledger owns it, later ones are recorded."""
    async with core.uow() as uow:
        flag = await uow.flags.get(actor.workspace_id, number)
        if flag is None or flag.platform != actor.platform:
            raise FlagNotFound(f"F-{number}")
        if pressed_on is not None:
            await adopt_post(core, uow, flag, pressed_on)
        acting_from = pressed_on.conversation if pressed_on is not None else None
        outcome = await _record_ack(core, uow, flag, actor, via, acting_from)
        await _announce_ack(core, uow, outcome, actor)
        await uow.commit()
    return outcome.reply


async def acknowledge_by_reply(
    core: Core, *, actor: Person, where: Where, text: str
) -> Reply | None:
    """A thread reply under an escalation post that says `ack`, `on it`… acknowledges it."""
    if where.thread_id is None or not is_ack_reply(text, core.config.acknowledgement.words):
        return None
    return await _acknowledge_post(core, actor, where.conversation, where.thread_id, "reply")


async def acknowledge_by_reaction(
    core: Core, *, actor: Person, conversation: Conversation, message_id: str, reaction: str
) -> Reply | None:
    """A ✅ or 👀 reaction on an escalation's root message acknowledges it.

    Compared by name, so the character, `:name:` and a Teams type all match the configured ones.
    """
    name = reaction_name(reaction)
    if name not in {reaction_name(known) for known in core.config.acknowledgement.reactions}:
        return None
    return await _acknowledge_post(core, actor, conversation, message_id, f":{name}: reaction")


def is_ack_reply(text: str, words: tuple[str, ...]) -> bool:
    """True when the reply is an acknowledgement word, alone or before a comma or colon.

    `on it`, `Ack!`, `<@bot> mine` and `on it, checking the gateway` acknowledge;
    `mine is broken too` and `not mine` do not.
    """
    without_mentions = re.sub(r"<@[^>]+>|<at>[^<]*</at>", " ", text)
    normalised = " ".join(without_mentions.lower().split())
    for word in words:
        pattern = rf"{re.escape(word)}\s*(?:[.!]*\W*$|[,:;]\s*\S)"
        if re.match(pattern, normalised):
            return True
    return False


async def _acknowledge_post(
    core: Core, actor: Person, conversation: Conversation, message_id: str, via: str
) -> Reply | None:
    """Acknowledge the escalation posted as `message_id`; None when it is not one."""
    async with core.uow() as uow:
        flag = await uow.flags.find_by_post(conversation, message_id)
        if flag is None:
            return None
        outcome = await _record_ack(core, uow, flag, actor, via, conversation)
        await _announce_ack(core, uow, outcome, actor)
        await uow.commit()
    return outcome.reply


@dataclass(frozen=True, slots=True)
class _AckOutcome:
    flag: Flag
    reply: Reply
    took: str | None  # set when this acknowledgement made the actor the owner


async def _record_ack(
    core: Core,
    uow: UnitOfWork,
    flag: Flag,
    actor: Person,
    via: str,
    acting_from: Conversation | None,
) -> _AckOutcome:
    """Store the acknowledgement (the caller announces it and commits)."""
    assert flag.id is not None
    if flag.kind is not FlagKind.ESCALATE:
        raise InvalidState(
            f"*{flag.key}* is a recurring flag; its theme's product team sets its status."
        )
    if not flag.is_open:
        raise InvalidState(f"*{flag.key}* is already resolved; there is nothing to acknowledge.")
    await require_may_change(core, flag, actor, acting_from)
    now = core.clock.now()
    owner = flag.acknowledged_by
    if owner is not None:
        if owner.user_id == actor.user_id:
            return _AckOutcome(flag, Reply(Message(f"You already own *{flag.key}*.")), None)
        await uow.timeline.add(
            TimelineEvent(
                flag.id,
                now,
                EventKind.ACK_REPEATED,
                actor,
                f"via {via}; owner stays {owner.mention}",
            )
        )
        text = (
            f"*{flag.key}* was already acknowledged by {owner.mention}; they stay the owner. "
            "Your acknowledgement is on the timeline."
        )
        return _AckOutcome(flag, Reply(Message(text)), None)
    flag.acknowledge(actor, now)
    # The flow digest's time to acknowledge counts business time, as the ack clock does.
    flag.ack_seconds = (
        core.config.deadlines(flag.severity).elapsed(flag.created_at, now).total_seconds()
    )
    took = after(now - flag.created_at)
    await uow.flags.save(flag)
    await uow.timeline.add(TimelineEvent(flag.id, now, EventKind.ACKNOWLEDGED, actor, f"via {via}"))
    reply = Reply(Message(f"You own *{flag.key}* now.{_who_is_told(flag, actor)}"))
    return _AckOutcome(flag, reply, took)


def _who_is_told(flag: Flag, actor: Person) -> str:
    """Who hears of an acknowledgement: the reporter (unless it is them), and a burst's."""
    reporter = flag.reporter.user_id != actor.user_id
    count = flag.joined_count
    if count:
        joined = "The escalation" if count == 1 else f"The {count} escalations"
        are = "is" if count == 1 else "are"
        if reporter:
            told = "the reporters have"
        else:
            told = "its reporter has" if count == 1 else "their reporters have"
        return f" {joined} joined to it {are} yours too; {told} been told."
    return " The reporter has been told." if reporter else ""


async def _announce_ack(core: Core, uow: UnitOfWork, outcome: _AckOutcome, actor: Person) -> None:
    """Record the post update, the thread line and the word to the reporter, for a first ack."""
    flag, took = outcome.flag, outcome.took
    if took is None:
        return
    await refresh_post(core, uow, flag)
    await say_in_thread(core, uow, flag, f"✅ Acknowledged by {actor.mention} {took}.")
    if flag.joined_count:
        await _acknowledge_burst(core, uow, flag, actor, core.clock.now())
    await tell_person(
        core,
        uow,
        flag,
        flag.reporter,
        actor,
        f"Your escalation *{flag.key}* ({flag.summary}) was acknowledged by {actor.mention} "
        f"{took}.",
    )


async def join_burst(core: Core, uow: UnitOfWork, flag: Flag, lead: Flag, now: datetime) -> int:
    """`flag` (stored) joins `lead`'s post; returns the customers now affected."""
    assert flag.id is not None and lead.id is not None
    lead.joined_count += 1
    await uow.flags.save(lead)
    await uow.timeline.add(
        TimelineEvent(flag.id, now, EventKind.JOINED, None, f"{lead.key}, the same problem")
    )
    await uow.timeline.add(
        TimelineEvent(lead.id, now, EventKind.JOINED, flag.reporter, f"{flag.key} joined it")
    )
    joined = await uow.flags.list_joined(lead.id)
    affected = customers_affected(lead, joined)
    customer = ""
    if flag.customer_refs:
        customer = f" · customer: {customer_refs_text(flag.customer_refs, core.config.tickets)}"
    await say_in_thread(
        core,
        uow,
        lead,
        f"\N{HEAVY PLUS SIGN} *{flag.key}* from {flag.reporter.mention}: {flag.summary}{customer}",
    )
    # In an outage flags join every few seconds: only the newest count needs to reach the post.
    await uow.outbox.supersede_updates(flag_order(lead.id), now)
    await refresh_post(core, uow, lead)
    if lead.acknowledged_by is not None:
        await _acknowledge_with(uow, flag, lead, lead.acknowledged_by, now)
    log.info("%s joined %s in workspace %s", flag.key, lead.key, flag.workspace_id)
    return affected


async def _acknowledge_burst(
    core: Core, uow: UnitOfWork, lead: Flag, actor: Person, now: datetime
) -> None:
    """The post was acknowledged: so is every open flag that joined it; each reporter told."""
    assert lead.id is not None
    for flag in await uow.flags.list_joined(lead.id):
        if not flag.is_open or flag.acknowledged_by is not None or flag.id is None:
            continue
        await _acknowledge_with(uow, flag, lead, actor, now)
        await tell_person(
            core,
            uow,
            flag,
            flag.reporter,
            actor,
            f"Your escalation *{flag.key}* ({flag.summary}) was acknowledged by {actor.mention} "
            f"with *{lead.key}*, the same problem, {_since_raised(now - flag.created_at)}.",
        )


def _since_raised(delta: timedelta) -> str:
    if delta < timedelta(minutes=1):
        return "within a minute of you raising it"
    return f"{format_duration(delta)} after you raised it"


async def _acknowledge_with(
    uow: UnitOfWork, flag: Flag, lead: Flag, owner: Person, now: datetime
) -> None:
    """A joined flag is acknowledged with the escalation it joined, by the same owner."""
    assert flag.id is not None
    flag.acknowledge(owner, now)
    await uow.flags.save(flag)
    await uow.timeline.add(
        TimelineEvent(flag.id, now, EventKind.ACKNOWLEDGED, owner, f"with {lead.key}")
    )
