"""An agent says their flag is in the wrong theme: it moves, and the matcher learns from it.

The flag's stored vector moves with it, so the workspace's index (rebuilt on next use) counts it
under the theme people chose; merges work the same way.
"""

from __future__ import annotations

from bot.core import Core
from bot.errors import FlagNotFound, InvalidState, UsageError
from bot.flags.models import EventKind, FlagKind, TimelineEvent, flag_key
from bot.flags.permissions import require_may_change
from bot.messages import Conversation, Message, Person, Reply
from bot.themes.matching import live_theme, new_theme
from bot.themes.rendering import theme_title
from bot.themes.routing import after_new_flag, refresh_post

SUGGESTED = 3


async def move_flag(
    core: Core,
    *,
    actor: Person,
    number: int,
    slug: str | None,
    acting_from: Conversation | None,
) -> Reply:
    """`/flag move F-12 #tag` (or `new`)."""
    now = core.clock.now()
    async with core.uow() as uow:
        flag = await uow.flags.get(actor.workspace_id, number)
        if flag is None:
            raise FlagNotFound(flag_key(number))
        if flag.kind is not FlagKind.RECURRING or flag.id is None:
            raise InvalidState(f"*{flag.key}* is an escalation; only recurring flags have themes.")
        await require_may_change(core, flag, actor, acting_from)
        await uow.themes.decide_alone(actor.workspace_id)  # as placing a new flag does
        old = await uow.themes.get(flag.theme_id) if flag.theme_id else None
        if slug is None:
            target = await new_theme(uow, flag, now)
        else:
            found = await live_theme(uow, await uow.themes.get_by_slug(actor.workspace_id, slug))
            if found is None:
                raise UsageError(
                    f"There is no theme #{slug}. `/flag themes` lists them; "
                    f"`/flag move {flag.key} new` starts one."
                )
            target = found
        if old is not None and target.id == old.id:
            raise InvalidState(f"*{flag.key}* is already in *#{target.slug}*.")
        flag.theme_id = target.id
        await uow.flags.save(flag)
        moved_from = f" (moved from #{old.slug})" if old is not None else ""
        await uow.timeline.add(
            TimelineEvent(flag.id, now, EventKind.THEMED, actor, f"#{target.slug}{moved_from}")
        )
        if old is not None and old.id is not None:
            await refresh_post(uow, old, now)
        routed = await after_new_flag(core, uow, target, flag, now)
        await uow.commit()
    core.themes.forget(actor.workspace_id)
    return Reply(Message(f"*{flag.key}* moved to theme *#{target.slug}*.{routed}"))


async def suggest_themes(
    core: Core, *, actor: Person, number: int, acting_from: Conversation | None
) -> Reply:
    """ "Wrong theme?": the closest other themes, and the command that moves the flag."""
    async with core.uow() as uow:
        flag = await uow.flags.get(actor.workspace_id, number)
        if flag is None:
            raise FlagNotFound(flag_key(number))
        if flag.kind is not FlagKind.RECURRING:
            raise InvalidState(f"*{flag.key}* is an escalation; only recurring flags have themes.")
        await require_may_change(core, flag, actor, acting_from)
        current = await uow.themes.get(flag.theme_id) if flag.theme_id else None
        others = await core.themes.alternatives(uow, flag, SUGGESTED)
    lines = [f"*{flag.key}* is in *#{current.slug}*." if current else f"*{flag.key}* has no theme."]
    if others:
        lines.append("The closest other themes:")
        lines.extend(
            f"• {theme_title(theme)} — `/flag move {flag.key} #{theme.slug}`" for theme in others
        )
    if others:
        lines.append(f"None of these: `/flag move {flag.key} new` starts a theme of its own.")
    else:
        lines.append(
            f"No other theme is close. `/flag move {flag.key} #tag` moves it to a theme you "
            f"name; `/flag move {flag.key} new` starts a theme of its own."
        )
    return Reply(Message("\n".join(lines)))
