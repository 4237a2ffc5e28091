"""Use cases of themes: which theme a recurring flag belongs to, and the theme list."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.core import Core
from bot.flags.permissions import can_see
from bot.messages import Conversation, Message, Person, Reply
from bot.ports import UnitOfWork
from bot.themes.models import Theme, ThemeStatus

WEEK = timedelta(days=7)
STATUS_LABEL = {
    ThemeStatus.OPEN: "open",
    ThemeStatus.ACKNOWLEDGED: "acknowledged",
    ThemeStatus.PLANNED: "planned",
    ThemeStatus.FIXED: "fixed",
    ThemeStatus.WONT_FIX: "won't fix",
}


async def weekly_count(uow: UnitOfWork, theme: Theme, now: datetime) -> int:
    """How many flags the theme got in the last seven days."""
    assert theme.id is not None
    return (await uow.flags.count_by_theme_since([theme.id], now - WEEK))[theme.id]


async def list_themes(
    core: Core, *, viewer: Person, acting_from: Conversation | None = None
) -> Reply:
    """The workspace's themes, busiest this week first.

    A theme is named from its first flag; when the viewer may not read that flag, its name
    and tag are withheld too.
    """
    now = core.clock.now()
    async with core.uow() as uow:
        themes = await uow.themes.list_all(viewer.workspace_id)
        ids = [t.id for t in themes if t.id is not None]
        counts = await uow.flags.count_by_theme_since(ids, now - WEEK)
        counted = [(counts.get(t.id or 0, 0), t) for t in themes]
        counted.sort(key=lambda pair: (-pair[0], pair[1].slug))
        shown = counted[:25]
        firsts = {t.id: await uow.flags.list_for_theme(t.id) for _, t in shown if t.id}
    if not counted:
        return Reply(Message("No themes yet. `/flag recurring …` starts one."))
    lines = []
    for n, theme in shown:
        flags = firsts.get(theme.id or 0) or []
        title = f"*#{theme.slug}* — {theme.name}"
        if flags and not await can_see(core, flags[0], viewer, acting_from):
            title = "_a theme first raised in a conversation you are not in_"
        lines.append(f"{title} · {n} this week · {STATUS_LABEL[theme.status]}")
    more = f"\n…and {len(counted) - 25} more" if len(counted) > 25 else ""
    return Reply(Message("*Themes*\n" + "\n".join(lines) + more))
