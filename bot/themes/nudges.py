"""A routed theme nobody acknowledged is nudged once in its thread (`themes.nudge_after`)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from bot.core import Core
from bot.durations import format_duration
from bot.messages import Message
from bot.themes.models import Theme, ThemeStatus
from bot.themes.rendering import theme_buttons
from bot.themes.routing import say_in_theme_thread
from bot.words import plural

log = logging.getLogger(__name__)
BATCH = 100
EVER = datetime(1970, 1, 1, tzinfo=UTC)  # counting every flag of a theme


async def nudge_routed_themes(core: Core) -> int:
    """Nudge every routed, unacknowledged theme whose time has come; how many were nudged."""
    now = core.clock.now()
    nudged = 0
    async with core.uow() as uow:
        for theme in await uow.themes.claim_due_nudges(now, BATCH):
            theme.nudge_at = None
            await uow.themes.save(theme)
            if theme.status is not ThemeStatus.OPEN or theme.id is None:
                continue
            flags = (await uow.flags.count_by_theme_since([theme.id], EVER))[theme.id]
            await say_in_theme_thread(uow, theme, nudge_message(theme, flags, now), now)
            nudged += 1
        await uow.commit()
    if nudged:
        log.info("nudged %d routed theme(s) nobody acknowledged", nudged)
    return nudged


def nudge_message(theme: Theme, flags: int, now: datetime) -> Message:
    waited = format_duration(now - theme.routed_at) if theme.routed_at else "a while"
    return Message(
        f"⏰ This theme came here {waited} ago and nobody has acknowledged it yet; it has "
        f"{plural(flags, 'flag')} so far. Press *Acknowledge*, or *Not ours* if another team "
        "owns it.",
        buttons=theme_buttons(theme),
    )
