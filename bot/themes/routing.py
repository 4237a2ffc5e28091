"""A theme reaching its threshold is posted once to the team that owns it; later flags update it.

The owner is the theme's own channel (set by a routing rule, or by Not ours), else the triage
channel of the flag's platform. The post goes through the outbox like every message: once it is
delivered it becomes the theme's post, which later flags update in place with a thread line each.
"""

from __future__ import annotations

import logging
from datetime import datetime

from bot.config.models import FrontlineConfig
from bot.core import Core
from bot.durations import format_duration
from bot.flags.models import EventKind, Flag, Severity, TimelineEvent
from bot.messages import Conversation, Message
from bot.outbox.models import Outgoing, OutgoingKind
from bot.ports import UnitOfWork
from bot.themes.models import Theme, ThemeStatus
from bot.themes.rendering import theme_post, theme_title, thread_line
from bot.words import plural

log = logging.getLogger(__name__)


def nudge_time(core: Core, routed_at: datetime) -> datetime | None:
    """When a theme routed at `routed_at` is nudged if nobody acknowledged it; None: never."""
    after = core.config.themes.nudge_after
    if after is None:
        return None
    return core.config.deadlines(Severity.NORMAL).after(routed_at, after)


def owner_channel(config: FrontlineConfig, theme: Theme, platform: str) -> Conversation | None:
    """Where the theme goes: its owner channel, else the platform's triage channel."""
    if theme.owner_channel is not None and theme.owner_channel.platform == platform:
        return theme.owner_channel
    triage = config.channels_for(platform).triage
    return Conversation(platform, theme.workspace_id, triage) if triage else None


async def threshold_reached(core: Core, uow: UnitOfWork, theme: Theme, now: datetime) -> bool:
    """At least `flags` flags from `distinct` agents or customers within `within` (counted by
    the database: a theme with thousands of flags is not read to decide)."""
    assert theme.id is not None
    config = core.config.themes
    threshold = config.threshold_for(config.rule_named(theme.rule) if theme.rule else None)
    recent = await uow.flags.theme_activity(theme.id, now - threshold.within)
    widest = max(recent.agents, recent.customers)
    return recent.flags >= threshold.flags and widest >= threshold.distinct


async def after_new_flag(
    core: Core, uow: UnitOfWork, theme: Theme, flag: Flag, now: datetime
) -> str:
    """Route, update or reopen the theme now that `flag` joined it; a sentence for the agent."""
    assert theme.id is not None and flag.id is not None
    if theme.status is ThemeStatus.FIXED:
        return await _regression(core, uow, theme, flag, now)
    if theme.routed_at is not None:
        await refresh_post(uow, theme, now)
        await say_in_theme_thread(uow, theme, thread_line(flag, core.config), now)
        return (
            f" It is already with {_channel_words(theme_place(theme))}; your flag was added to "
            "the theme's thread."
        )
    if not await threshold_reached(core, uow, theme, now):
        return ""
    return await route(core, uow, theme, flag, now)


async def route(core: Core, uow: UnitOfWork, theme: Theme, flag: Flag, now: datetime) -> str:
    """Post the theme to its owner channel (once) and say so on the flag's timeline."""
    assert theme.id is not None and flag.id is not None
    place = owner_channel(core.config, theme, flag.platform)
    if place is None:
        detail = (
            f"theme #{theme.slug} reached its threshold but has no channel to go to on "
            f"{flag.platform} (give its rule an owner, or set channels.{flag.platform}.triage)"
        )
        if core.hush.due(("unroutable theme", theme.id)):
            log.warning("%s", detail)
        await uow.timeline.add(TimelineEvent(flag.id, now, EventKind.DELIVERY_FAILED, None, detail))
        return (
            " It reached the threshold, but no channel is set up to receive it: tell your "
            "Frontline admin."
        )
    theme.owner_channel = place
    theme.routed_at = now
    theme.nudge_at = nudge_time(core, now)
    await uow.themes.save(theme)
    flags = await uow.flags.list_for_theme(theme.id)
    message = theme_post(theme, flags, now, core.config)
    await uow.outbox.record(Outgoing.theme_post(place, message, theme.id), now)
    await uow.timeline.add(
        TimelineEvent(flag.id, now, EventKind.ROUTED, None, f"#{theme.slug} to {place.channel_id}")
    )
    log.info("theme %d routed in workspace %s", theme.id, theme.workspace_id)
    return f" That makes {plural(len(flags), 'flag')}: the theme was sent to <#{place.channel_id}>."


def _channel_words(place: Conversation | None) -> str:
    return f"<#{place.channel_id}>" if place is not None else "the owning team"


def theme_place(theme: Theme) -> Conversation | None:
    """Where the routed theme's post is (or is being sent)."""
    return theme.post.conversation if theme.post else theme.owner_channel


async def say_in_theme_thread(
    uow: UnitOfWork, theme: Theme, message: Message, now: datetime
) -> None:
    """One message in the routed theme's thread (nothing before it is routed).

    It carries the post known now: a move (Not ours) replaces the theme's post before delivery.
    """
    place = theme_place(theme)
    if theme.routed_at is None or theme.id is None or place is None:
        return
    outgoing = Outgoing.on_theme_post(OutgoingKind.REPLY, place, theme.id, message, ref=theme.post)
    await uow.outbox.record(outgoing, now)


async def refresh_post(uow: UnitOfWork, theme: Theme, now: datetime) -> None:
    """Update the theme's post in place (counts, quotes, status, buttons).

    The post is drawn when the update is delivered (`current_theme_post`): it shows the theme
    as it stands then, and a busy theme is read once per delivered update, not once per flag.
    """
    place = theme_place(theme)
    if theme.routed_at is None or theme.id is None or place is None:
        return
    outgoing = Outgoing.theme_post_refresh(place, theme.id)
    # This update shows everything; earlier ones still waiting need not be sent.
    await uow.outbox.supersede_updates(outgoing.order_key, now)
    await uow.outbox.record(outgoing, now)


async def current_theme_post(core: Core, uow: UnitOfWork, theme: Theme) -> Message:
    """The theme's post as it stands now."""
    assert theme.id is not None
    flags = await uow.flags.list_for_theme(theme.id)
    return theme_post(theme, flags, core.clock.now(), core.config)


async def _regression(core: Core, uow: UnitOfWork, theme: Theme, flag: Flag, now: datetime) -> str:
    """A flag on a Fixed theme reopens it and alerts the owner channel."""
    assert theme.id is not None and flag.id is not None
    release = f" in {theme.fixed_in}" if theme.fixed_in else ""
    if theme.fixed_at is None or (now - theme.fixed_at).total_seconds() < 60:
        when = "just after the fix"
    else:
        when = f"{format_duration(now - theme.fixed_at)} after the fix"
    theme.status = ThemeStatus.OPEN
    theme.status_note = None
    theme.status_changed_at = now
    theme.regressed_at = now
    if theme.routed_at is not None:  # open again: nudged if nobody acknowledges it this time
        theme.nudge_at = nudge_time(core, now)
    await uow.themes.save(theme)
    await uow.timeline.add(
        TimelineEvent(flag.id, now, EventKind.REOPENED, None, f"#{theme.slug}: regression")
    )
    text = (
        f"⚠️ *Regression:* {theme_title(theme)} was flagged again ({flag.key}) "
        f"{when}{release}. It is open again: set its status on the theme's post."
    )
    place = owner_channel(core.config, theme, flag.platform)
    if place is not None:
        await uow.outbox.record(
            Outgoing.post(place, Message(text), purpose="regression alert", flag_id=None), now
        )
    if theme.routed_at is None:
        await route(core, uow, theme, flag, now)
    else:
        await refresh_post(uow, theme, now)
    return f" The theme had been marked fixed{release}; it is reopened and its team alerted."
