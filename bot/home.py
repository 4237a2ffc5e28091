"""A person's overview (Slack App Home, Teams personal tab): their flags and waiting escalations."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.core import Core
from bot.flags.models import Flag
from bot.flags.rendering import flag_buttons, flag_line
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
    """The viewer's open flags with their next update due, and unacknowledged escalations."""
    now = core.clock.now()
    async with core.uow() as uow:
        mine = await uow.flags.list_open_for_person(viewer.workspace_id, viewer.user_id)
        waiting = await uow.flags.list_awaiting_ack(viewer.workspace_id)

    def cards(flags: Sequence[Flag]) -> tuple[Message, ...]:
        return tuple(
            Message(flag_line(f, now, core.config), buttons=flag_buttons(f))
            for f in flags[:MAX_LISTED]
        )

    return HomeView(
        mine=cards(mine),
        awaiting_ack=cards(waiting),
        more_mine=max(0, len(mine) - MAX_LISTED),
        more_awaiting=max(0, len(waiting) - MAX_LISTED),
    )
