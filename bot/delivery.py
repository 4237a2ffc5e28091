"""Sending the follow-up messages of a use case after its state is committed."""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import TypeVar

from bot.core import Core
from bot.errors import DeliveryError
from bot.flags.models import EventKind, Flag, TimelineEvent

log = logging.getLogger(__name__)
T = TypeVar("T")


async def deliver(core: Core, flag: Flag, what: str, sending: Awaitable[T]) -> T | None:
    """Await one outgoing message; a refusal is logged and put on the flag's timeline."""
    try:
        return await sending
    except DeliveryError as error:
        await record_failure(core, flag, what, error)
        return None


async def record_failure(core: Core, flag: Flag, what: str, error: DeliveryError) -> None:
    """Log a message that could not be delivered and put it, with the fix, on the timeline."""
    log.warning("could not deliver %s for %s: %s", what, flag.key, error.reason)
    if flag.id is None:
        return
    detail = f"{what}: {error.reason}"
    if error.admin_hint:
        detail += f" ({error.admin_hint})"
    async with core.uow() as uow:
        await uow.timeline.add(
            TimelineEvent(flag.id, core.clock.now(), EventKind.DELIVERY_FAILED, None, detail)
        )
        await uow.commit()
