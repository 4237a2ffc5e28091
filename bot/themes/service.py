"""Use cases of themes: the weekly count and `/flag themes`."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.core import Core
from bot.flags.permissions import can_see
from bot.messages import Conversation, Message, Person, Reply
from bot.ports import UnitOfWork
from bot.themes.models import Theme
from bot.themes.rendering import STATUS_LABEL, theme_title
from bot.words import plural

WEEK = timedelta(days=7)
SHOWN = 25


async def weekly_count(uow: UnitOfWork, theme: Theme, now: datetime) -> int:
    """How many flags the theme got in the last seven days."""
    assert theme.id is not None
    return (await uow.flags.count_by_theme_since([theme.id], now - WEEK))[theme.id]


def trend(this_week: int, last_week: int) -> str:
    """`↑ from 2`, `↓ from 5`, `as many as last week`, `new` or `none last week either`."""
    if last_week == 0:
        return "new" if this_week else "none last week either"
    if this_week > last_week:
        return f"↑ from {last_week}"
    if this_week < last_week:
        return f"↓ from {last_week}"
    return "as many as last week"


async def list_themes(
    core: Core, *, viewer: Person, acting_from: Conversation | None = None
) -> Reply:
    """The workspace's themes, busiest this week first: count, trend, owner and status.

    A theme is named from its first flag; when the viewer may not read that flag, its name and
    tag (made from the same words) are withheld too.
    """
    now = core.clock.now()
    async with core.uow() as uow:
        themes = [t for t in await uow.themes.list_all(viewer.workspace_id) if not t.merged_into]
        ids = [t.id for t in themes if t.id is not None]
        this_week = await uow.flags.count_by_theme_since(ids, now - WEEK)
        since_last = await uow.flags.count_by_theme_since(ids, now - 2 * WEEK)
        counted = [(this_week.get(t.id or 0, 0), t) for t in themes]
        counted.sort(key=lambda pair: (-pair[0], pair[1].slug))
        shown = counted[:SHOWN]
        firsts = await uow.flags.first_of_themes([t.id for _, t in shown if t.id is not None])
        pairs = await core.themes.drifting_pairs(
            uow, viewer.workspace_id, [t.id for _, t in shown if t.id is not None]
        )
    if not counted:
        return Reply(Message("No themes yet. `/flag recurring …` starts one."))
    lines = []
    hidden: set[int] = set()
    for n, theme in shown:
        last = since_last.get(theme.id or 0, 0) - n
        first = firsts.get(theme.id or 0)
        title = f"*{theme_title(theme)}*"
        if first is not None and not await can_see(core, first, viewer, acting_from):
            title = "_a theme first raised in a conversation you are not in_"
            hidden.add(theme.id or 0)
        owner = f"<#{theme.owner_channel.channel_id}>" if theme.owner_channel else "not routed yet"
        lines.append(
            f"{title} · {plural(n, 'flag')} this week ({trend(n, last)}) · {owner} · "
            f"{STATUS_LABEL[theme.status]}"
        )
    if len(counted) > SHOWN:
        lines.append(f"…and {len(counted) - SHOWN} more")
    by_id = {t.id: t for _, t in shown}
    for a, b in pairs:
        if a in hidden or b in hidden:
            continue
        kept, merged = by_id[a], by_id[b]
        lines.append(
            f"_Possibly one problem:_ #{kept.slug} and #{merged.slug} — to merge them, "
            f"`/flag theme #{merged.slug} merge #{kept.slug}`"
        )
    return Reply(Message("*Themes this week*\n" + "\n".join(lines)))
