"""The checks use cases make before changing or showing a flag (the rule is in bot.access)."""

from __future__ import annotations

from bot.access import may_change, may_see, who_may_change
from bot.core import Core
from bot.errors import NotAllowed
from bot.flags.models import Flag
from bot.messages import Conversation, Person


async def require_may_change(
    core: Core, flag: Flag, actor: Person, acting_from: Conversation | None
) -> None:
    """Raise NotAllowed, saying who can, unless `actor` may change `flag`."""
    if not await may_change(core.config, core.directory, flag, actor, acting_from):
        raise NotAllowed(
            f"You cannot change *{flag.key}*: only {who_may_change(core.config, flag)} can. "
            "Nothing was changed."
        )


async def can_see(
    core: Core, flag: Flag, viewer: Person, acting_from: Conversation | None = None
) -> bool:
    return await may_see(core.config, core.directory, flag, viewer, acting_from)
