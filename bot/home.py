"""A person's overview (Slack App Home, Teams personal tab): their flags and waiting escalations."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.core import Core
from bot.flags.models import Flag
from bot.flags.permissions import can_see
from bot.flags.rendering import flag_buttons, flag_line, withheld_line
from bot.messages import Message, Person

MAX_LISTED = 20


@dataclass(frozen=True, slots=True)
class HomeView:
    """What a person sees on their home: their open flags, then escalations awaiting an ack."""

    mine: tuple[Message, ...]
    awaiting_ack: tuple[Message, ...]
    more_mine: int = 0
    more_awaiting: int = 0


async def home_view(core: Core, *, viewer: Person) -> HomeView:
    """The viewer's open flags with their next update due, and unacknowledged escalations.

    An escalation the viewer may not read (bot.access) is listed without its words.
    """
    now = core.clock.now()
    async with core.uow() as uow:
        mine = await uow.flags.list_open_for_person(viewer.workspace_id, viewer.user_id)
        waiting = await uow.flags.list_awaiting_ack(viewer.workspace_id)

    async def cards(flags: Sequence[Flag]) -> tuple[Message, ...]:
        shown = []
        for flag in flags[:MAX_LISTED]:
            if await can_see(core, flag, viewer):
                shown.append(Message(flag_line(flag, now, core.config), buttons=flag_buttons(flag)))
            else:
                shown.append(Message(withheld_line(flag, core.config)))
        return tuple(shown)

    return HomeView(
        mine=await cards(mine),
        awaiting_ack=await cards(waiting),
        more_mine=max(0, len(mine) - MAX_LISTED),
        more_awaiting=max(0, len(waiting) - MAX_LISTED),
    )
