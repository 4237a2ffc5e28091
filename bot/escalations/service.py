"""Use cases of escalations: post to the escalation channel, acknowledge in the thread."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.core import Core
from bot.delivery import deliver, record_failure
from bot.durations import format_duration
from bot.errors import DeliveryError, FlagNotFound, InvalidState, NotAllowed
from bot.flags.models import EventKind, Flag, FlagKind, TimelineEvent
from bot.flags.rendering import escalation_post
from bot.messages import Conversation, Message, MessageRef, Person, Reply, Where
from bot.ports import UnitOfWork


def escalation_conversation(core: Core, flag: Flag) -> Conversation | None:
    """The configured escalation channel of the flag's platform, if there is one."""
    channel = core.config.channels_for(flag.platform).escalations
    return Conversation(flag.platform, flag.workspace_id, channel) if channel else None


async def post_escalation(core: Core, flag: Flag) -> MessageRef | None:
    """Post the escalation and remember where, so it can be updated in place later."""
    assert flag.id is not None
    conversation = escalation_conversation(core, flag)
    if conversation is None:
        # Posting where it was raised (maybe a DM) would hide it from every manager.
        missing = DeliveryError(
            f"no escalation channel is configured for {flag.platform}",
            admin_hint=f"set channels.{flag.platform}.escalations in frontline.yml",
        )
        await record_failure(core, flag, "escalation post", missing)
        return None
    message = escalation_post(flag, core.clock.now(), core.config)
    ref = await deliver(core, flag, "escalation post", core.chat.post(conversation, message))
    if ref is None:
        return None
    async with core.uow() as uow:
        stored = await uow.flags.get_by_id(flag.id)
        if stored is not None:
            stored.post = ref
            await uow.flags.save(stored)
            await uow.timeline.add(
                TimelineEvent(flag.id, core.clock.now(), EventKind.POSTED, None, "")
            )
            await uow.commit()
    flag.post = ref
    return ref


async def refresh_post(core: Core, flag: Flag) -> None:
    """Update the escalation post in place so it shows the flag as it stands now."""
    if flag.post is not None:
        message = escalation_post(flag, core.clock.now(), core.config)
        await deliver(core, flag, "post update", core.chat.update(flag.post, message))


async def say_in_thread(core: Core, flag: Flag, text: str) -> None:
    """Add one line to the escalation's thread, when it has been posted."""
    if flag.post is not None:
        await deliver(core, flag, "thread line", core.chat.reply(flag.post, Message(text)))


async def tell_person(core: Core, flag: Flag, person: Person, actor: Person, text: str) -> None:
    """Tell someone (usually the reporter) what happened, unless they did it themselves."""
    if person.user_id != actor.user_id:
        await deliver(core, flag, "direct message", core.chat.direct_message(person, Message(text)))


async def acknowledge(core: Core, *, actor: Person, number: int, via: str) -> Reply:
    """Acknowledge an escalation; the first acknowledger owns it, later ones are recorded."""
    async with core.uow() as uow:
        flag = await uow.flags.get(actor.workspace_id, number)
        if flag is None or flag.platform != actor.platform:
            raise FlagNotFound(f"F-{number}")
        outcome = await _record_ack(core, uow, flag, actor, via)
    return await _announce_ack(core, outcome, actor)


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
    """A ✅ or 👀 reaction on an escalation's root message acknowledges it."""
    name = reaction.strip(":").lower()
    if name not in core.config.acknowledgement.reactions:
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
        outcome = await _record_ack(core, uow, flag, actor, via)
    return await _announce_ack(core, outcome, actor)


@dataclass(frozen=True, slots=True)
class _AckOutcome:
    flag: Flag
    reply: Reply
    took: str | None  # set when this acknowledgement made the actor the owner


async def _record_ack(
    core: Core, uow: UnitOfWork, flag: Flag, actor: Person, via: str
) -> _AckOutcome:
    """Store the acknowledgement (the caller announces it once the unit of work is closed)."""
    assert flag.id is not None
    if flag.kind is not FlagKind.ESCALATE:
        raise InvalidState(
            f"{flag.key} is a recurring flag; its theme's product team sets its status."
        )
    if not flag.is_open:
        raise InvalidState(f"{flag.key} is already resolved; there is nothing to acknowledge.")
    policy = core.config.acknowledgement
    if policy.who == "managers":
        managers = core.config.managers_for(flag.platform).on_duty
        if actor.user_id not in managers:
            raise NotAllowed(
                f"Only the on-duty managers acknowledge escalations here; {flag.key} is still "
                "waiting for one of them."
            )
    now = core.clock.now()
    owner = flag.acknowledged_by
    if owner is not None:
        if owner.user_id == actor.user_id:
            return _AckOutcome(flag, Reply(Message(f"You already own {flag.key}.")), None)
        await uow.timeline.add(
            TimelineEvent(
                flag.id,
                now,
                EventKind.ACK_REPEATED,
                actor,
                f"via {via}; owner stays {owner.mention}",
            )
        )
        await uow.commit()
        text = (
            f"{flag.key} was already acknowledged by {owner.mention}; they stay the owner. "
            "Your acknowledgement is on the timeline."
        )
        return _AckOutcome(flag, Reply(Message(text)), None)
    flag.acknowledge(actor, now)
    took = format_duration(now - flag.created_at)
    await uow.flags.save(flag)
    await uow.timeline.add(
        TimelineEvent(flag.id, now, EventKind.ACKNOWLEDGED, actor, f"via {via} after {took}")
    )
    await uow.commit()
    reply = Reply(Message(f"You own *{flag.key}* now. The reporter has been told."))
    return _AckOutcome(flag, reply, took)


async def _announce_ack(core: Core, outcome: _AckOutcome, actor: Person) -> Reply:
    """Update the post, add the thread line and tell the reporter, for a first ack."""
    flag, took = outcome.flag, outcome.took
    if took is None:
        return outcome.reply
    await refresh_post(core, flag)
    await say_in_thread(core, flag, f"✅ Acknowledged by {actor.mention} after {took}.")
    await tell_person(
        core,
        flag,
        flag.reporter,
        actor,
        f"Your escalation *{flag.key}* ({flag.summary}) was acknowledged by {actor.mention} "
        f"after {took}.",
    )
    return outcome.reply
