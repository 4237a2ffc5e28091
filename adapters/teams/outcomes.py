"""Running a use case for a Teams user: the one place its UserFacingError becomes a reply."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot import dispatch
from bot.errors import UserFacingError
from bot.messages import Reply


@dataclass(frozen=True, slots=True)
class Outcome:
    """A use case's answer, and whether it was an error the person should correct."""

    reply: Reply
    failed: bool = False


async def run_use_case(use_case: Callable[[], Awaitable[Reply | None]]) -> Outcome | None:
    """Run a use case; bad input becomes the error reply, None stays None (nothing to say)."""
    try:
        reply = await use_case()
    except UserFacingError as error:
        return Outcome(dispatch.error_reply(error), failed=True)
    return Outcome(reply) if reply is not None else None
