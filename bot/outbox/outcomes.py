"""What a delivery's outcome means for the flag it is about: the post recorded, or the failure told.

Both run in the same transaction as the outbox row's new status, so they happen exactly once.
"""

from __future__ import annotations

import logging
from datetime import datetime

from bot.core import Core
from bot.errors import DeliveryError
from bot.flags.models import EventKind, Flag, TimelineEvent
from bot.messages import Conversation, Message, MessageRef
from bot.outbox.models import Delivery, Outgoing, OutgoingKind
from bot.ports import UnitOfWork

log = logging.getLogger(__name__)
FAILURE_NOTICE = "failure notice"


async def record_delivered(
    uow: UnitOfWork, delivery: Delivery, ref: MessageRef | None, now: datetime
) -> None:
    """An escalation post that arrived becomes the flag's post (the one updated in place)."""
    outgoing = delivery.outgoing
    if outgoing.records_post and outgoing.theme_id is not None and ref is not None:
        theme = await uow.themes.get(outgoing.theme_id)
        if theme is not None and theme.post is None:
            theme.post = ref
            await uow.themes.save(theme)
        return
    if outgoing.records_post and outgoing.digest_id is not None and ref is not None:
        await uow.digests.save_post(outgoing.digest_id, ref)
        return
    if not (outgoing.records_post and outgoing.flag_id is not None and ref is not None):
        return
    flag = await uow.flags.get_by_id(outgoing.flag_id)
    if flag is None or flag.post is not None:
        return  # deleted, or a card already adopted from a button press on it
    flag.post = ref
    await uow.flags.save(flag)
    await uow.timeline.add(TimelineEvent(outgoing.flag_id, now, EventKind.POSTED, None, ""))


async def report_undelivered(
    core: Core, uow: UnitOfWork, delivery: Delivery, error: DeliveryError
) -> None:
    """Put a message that was given up on the flag's timeline and tell who can act on it."""
    outgoing = delivery.outgoing
    detail = f"{outgoing.purpose}: {error.reason}"
    if error.admin_hint:
        detail += f" ({error.admin_hint})"
    log.warning(
        "gave up delivering outbox message %d (%s on %s) after %d attempt(s): %s",
        delivery.id,
        outgoing.purpose,
        outgoing.platform,
        delivery.attempts + 1,
        error.reason,
    )
    if outgoing.purpose == FAILURE_NOTICE:
        return  # a notice about a failure that fails itself is logged, never re-notified
    now = core.clock.now()
    triage = core.config.channels_for(outgoing.platform).triage
    flag = await uow.flags.get_by_id(outgoing.flag_id) if outgoing.flag_id is not None else None
    if flag is not None and flag.id is not None:
        await uow.timeline.add(TimelineEvent(flag.id, now, EventKind.DELIVERY_FAILED, None, detail))
        if outgoing.kind is not OutgoingKind.ANSWER and not _is_to_reporter(outgoing, flag):
            text = (
                f"⚠️ Frontline could not deliver the {outgoing.purpose} of your flag "
                f"*{flag.key}* ({flag.summary}): {error.reason}. {_reported(bool(triage))} "
                f"`/flag show {flag.key}` has the details."
            )
            notice = Outgoing.direct(flag.reporter, Message(text), purpose=FAILURE_NOTICE)
            await uow.outbox.record(notice, now)
    if outgoing.kind is OutgoingKind.ANSWER:
        return  # the person who acted is the one who missed it; the log has it
    if triage:
        about = f" of *{flag.key}*" if flag is not None else ""
        fix = f"\nFix: {error.admin_hint}" if error.admin_hint else ""
        text = (
            f"⚠️ Frontline could not deliver the {outgoing.purpose}{about}: {error.reason}."
            f"{fix}\nAfter fixing it, `frontline outbox retry {delivery.id}` sends it again."
        )
        conversation = Conversation(outgoing.platform, outgoing.workspace_id, triage)
        notice = Outgoing.post(conversation, Message(text), purpose=FAILURE_NOTICE, flag_id=None)
        await uow.outbox.record(notice, now)


def post_failed_answer(flag: Flag, *, reported: bool) -> Message:
    """The answer to the reporter when their escalation could not be posted.

    `reported`: the failure was posted to the triage channel (one is configured).
    """
    return Message(
        f"🚩 *{flag.key}* is recorded, but Frontline could not post it to the escalation channel "
        "(or could not confirm that it did), so managers may not have seen it: tell one "
        f"yourself. {_reported(reported)} "
        f"`/flag show {flag.key}` says why."
    )


def _reported(reported: bool) -> str:
    """Who knows of a failed delivery: the triage channel, when there is one."""
    return "It was reported in the triage channel." if reported else "Tell your Frontline admin."


def _is_to_reporter(outgoing: Outgoing, flag: Flag) -> bool:
    return outgoing.person is not None and outgoing.person.user_id == flag.reporter.user_id
