"""Use cases of themes: which theme a recurring flag belongs to, and the theme list."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.core import Core
from bot.flags.models import Flag
from bot.messages import Message, Reply
from bot.ports import UnitOfWork
from bot.themes.models import Theme, ThemeStatus, slugify

WEEK = timedelta(days=7)
STATUS_LABEL = {
    ThemeStatus.OPEN: "open",
    ThemeStatus.ACKNOWLEDGED: "acknowledged",
    ThemeStatus.PLANNED: "planned",
    ThemeStatus.FIXED: "fixed",
    ThemeStatus.WONT_FIX: "won't fix",
}


async def assign_theme(
    uow: UnitOfWork, *, flag: Flag, explicit_slug: str | None, now: datetime
) -> Theme:
    """The theme of a recurring flag: the one named with `#slug`, else one named from the text."""
    slug = explicit_slug or slugify(flag.summary)
    theme = await uow.themes.get_by_slug(flag.workspace_id, slug)
    if theme is None:
        theme = await uow.themes.add(
            Theme(
                workspace_id=flag.workspace_id, slug=slug, name=flag.summary[:200], created_at=now
            )
        )
    return theme


async def weekly_count(uow: UnitOfWork, theme: Theme, now: datetime) -> int:
    """How many flags the theme got in the last seven days."""
    assert theme.id is not None
    return (await uow.flags.count_by_theme_since([theme.id], now - WEEK))[theme.id]


async def list_themes(core: Core, *, workspace_id: str) -> Reply:
    """The workspace's themes, busiest this week first."""
    now = core.clock.now()
    async with core.uow() as uow:
        themes = await uow.themes.list_all(workspace_id)
        ids = [t.id for t in themes if t.id is not None]
        counts = await uow.flags.count_by_theme_since(ids, now - WEEK)
    counted = [(counts.get(t.id or 0, 0), t) for t in themes]
    if not counted:
        return Reply(Message("No themes yet. `/flag recurring …` starts one."))
    counted.sort(key=lambda pair: (-pair[0], pair[1].slug))
    lines = [
        f"*#{t.slug}* — {t.name} · {n} this week · {STATUS_LABEL[t.status]}"
        for n, t in counted[:25]
    ]
    more = f"\n…and {len(counted) - 25} more" if len(counted) > 25 else ""
    return Reply(Message("*Themes*\n" + "\n".join(lines) + more))
