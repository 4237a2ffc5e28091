"""A theme's life after routing: acknowledged, planned, fixed, won't fix, moved, merged.

Planned, Fixed and Won't fix close the loop: every agent who flagged the theme gets **one**
direct message listing their flags and customers, so they can tell those customers; Won't fix
passes its reason on verbatim. The support leads channel gets one summary line.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from bot.config.models import FrontlineConfig
from bot.core import Core
from bot.errors import InvalidState, NotAllowed, UsageError
from bot.flags.commands import ChangeTheme, ThemeVerb
from bot.flags.models import EventKind, Flag, TimelineEvent
from bot.flags.raising import normalise_tag
from bot.flags.rendering import customer_refs_text
from bot.messages import Conversation, Message, Person, Reply
from bot.outbox.models import Outgoing
from bot.ports import UnitOfWork
from bot.themes.matching import live_theme
from bot.themes.models import Theme, ThemeStatus
from bot.themes.rendering import (
    STATUS_LABEL,
    status_sentence,
    status_words,
    theme_post,
    theme_title,
)
from bot.themes.routing import (
    nudge_time,
    owner_channel,
    refresh_post,
    say_in_theme_thread,
)
from bot.words import plural

log = logging.getLogger(__name__)

_TO_STATUS = {
    ThemeVerb.ACKNOWLEDGE: ThemeStatus.ACKNOWLEDGED,
    ThemeVerb.PLANNED: ThemeStatus.PLANNED,
    ThemeVerb.FIXED: ThemeStatus.FIXED,
    ThemeVerb.WONT_FIX: ThemeStatus.WONT_FIX,
}
TELLS_AGENTS = (ThemeStatus.PLANNED, ThemeStatus.FIXED, ThemeStatus.WONT_FIX)
DECIDES = (ThemeStatus.FIXED, ThemeStatus.WONT_FIX)  # closes the loop


async def change_theme(
    core: Core, *, actor: Person, command: ChangeTheme, acting_from: Conversation | None
) -> Reply:
    """`/flag theme #tag …` or a button on the theme's post."""
    async with core.uow() as uow:
        theme = await _find(uow, actor.workspace_id, command.slug)
        await _require_may_change(core, theme, actor, acting_from)
        match command.verb:
            case ThemeVerb.OWNER:
                reply = await _move_owner(core, uow, theme, actor, command.rest or "")
            case ThemeVerb.MERGE:
                reply = await _merge(core, uow, theme, actor, command.rest or "")
            case verb:
                reply = await _set_status(core, uow, theme, actor, _TO_STATUS[verb], command.rest)
        await uow.commit()
    return reply


async def _find(uow: UnitOfWork, workspace_id: str, slug: str) -> Theme:
    theme = await live_theme(uow, await uow.themes.get_by_slug(workspace_id, slug))
    if theme is None:
        raise UsageError(f"There is no theme #{slug}. `/flag themes` lists them.")
    return theme


async def theme_by_id(core: Core, workspace_id: str, theme_id: int) -> Theme:
    async with core.uow() as uow:
        theme = await live_theme(uow, await uow.themes.get(theme_id))
    if theme is None or theme.workspace_id != workspace_id:
        raise UsageError("That theme no longer exists; `/flag themes` lists the current ones.")
    return theme


async def _require_may_change(
    core: Core, theme: Theme, actor: Person, acting_from: Conversation | None
) -> None:
    """Managers always; with `who: owner-channel`, people in the owner channel; else anyone."""
    if core.config.themes.who == "anyone":
        return
    if actor.user_id in core.config.managers_for(actor.platform).on_duty:
        return
    place = owner_channel(core.config, theme, actor.platform)
    if place is None:
        return  # nobody owns it yet: whoever acts on it is the closest thing to an owner
    if acting_from == place or await core.directory.is_member(actor, place):
        return
    raise NotAllowed(
        f"Only people in the channel that owns #{theme.slug} (<#{place.channel_id}>) and the "
        "on-duty managers can change it. Nothing was changed."
    )


async def _set_status(
    core: Core,
    uow: UnitOfWork,
    theme: Theme,
    actor: Person,
    status: ThemeStatus,
    note: str | None,
) -> Reply:
    assert theme.id is not None
    if theme.status is status and (note or None) == theme.status_note:
        raise InvalidState(f"#{theme.slug} is already marked {STATUS_LABEL[status]}.")
    if status is ThemeStatus.WONT_FIX and not note:
        raise UsageError(
            f"Won't fix needs a reason, passed on to every agent who flagged it: "
            f"`/flag theme #{theme.slug} wontfix <reason>`."
        )
    now = core.clock.now()
    theme.status = status
    theme.status_note = note
    theme.status_changed_at = now
    theme.nudge_at = None  # someone in its channel has answered for it
    if status is ThemeStatus.FIXED:
        theme.fixed_at = now
        theme.fixed_in = note
    await uow.themes.save(theme)
    flags = await uow.flags.list_for_theme(theme.id)
    words = status_sentence(theme)
    for flag in flags:
        assert flag.id is not None
        await uow.timeline.add(TimelineEvent(flag.id, now, EventKind.THEME_STATUS, actor, words))
    await refresh_post(uow, theme, now)
    await say_in_theme_thread(
        uow, theme, Message(f"{status_words(theme)} — by {actor.mention}"), now
    )
    told = 0
    if status in TELLS_AGENTS:
        told = await close_loop(core, uow, theme, flags, actor, now)
    if status in DECIDES:  # Planned tells the agents too, but the decision is still to come
        theme.loop_closed_at = now
        await uow.themes.save(theme)
    log.info("theme %d is now %s", theme.id, status.value)
    agents = f" {plural(told, 'agent')} told, with their customers." if told else ""
    return Reply(Message(f"#{theme.slug} is now marked *{STATUS_LABEL[status]}*.{agents}"))


async def close_loop(
    core: Core,
    uow: UnitOfWork,
    theme: Theme,
    flags: Sequence[Flag],
    actor: Person,
    now: datetime,
) -> int:
    """One direct message per agent who flagged the theme, and a line for the support leads."""
    by_agent: dict[str, list[Flag]] = defaultdict(list)
    for flag in flags:
        by_agent[flag.reporter.user_id].append(flag)
    for agent_flags in by_agent.values():
        agent = agent_flags[0].reporter
        await uow.outbox.record(
            Outgoing.direct(
                agent,
                loop_message(theme, agent_flags, core.config),
                purpose="theme status to an agent",
            ),
            now,
        )
    platform = actor.platform
    leads = core.config.channels_for(platform).support_leads
    if leads:
        customers = len({ref for f in flags for ref in f.customer_refs})
        line = (
            f"🔁 *{_decision(theme)}*: {theme_title(theme)} ({plural(len(flags), 'flag')}, "
            f"{plural(customers, 'customer')}); {plural(len(by_agent), 'agent')} told."
            f"{_decision_note(theme)}"
        )
        place = Conversation(platform, theme.workspace_id, leads)
        await uow.outbox.record(
            Outgoing.post(place, Message(line), purpose="theme status summary", flag_id=None),
            now,
        )
    return len(by_agent)


def _decision(theme: Theme) -> str:
    """`Fixed in 4.2`, `Planned`, `Won't fix`: the status, with the release of a fix."""
    if theme.status is ThemeStatus.FIXED:
        return status_words(theme)
    label = STATUS_LABEL[theme.status]
    return label[:1].upper() + label[1:]


def _decision_note(theme: Theme) -> str:
    """A plan's note or a won't-fix reason, after the summary line."""
    if theme.status is ThemeStatus.FIXED or not theme.status_note:
        return ""
    what = "Reason" if theme.status is ThemeStatus.WONT_FIX else "Note"
    return f" {what}: {theme.status_note}"


def loop_message(theme: Theme, flags: Sequence[Flag], config: FrontlineConfig) -> Message:
    """What one agent hears: the decision, and their own flags with their customers."""
    title = theme_title(theme)
    match theme.status:
        case ThemeStatus.FIXED:
            release = f" in *{theme.status_note}*" if theme.status_note else ""
            head = f"✅ Fixed{release}: {title}."
            ask = "You can tell these customers it is fixed:"
        case ThemeStatus.PLANNED:
            note = f" ({theme.status_note})" if theme.status_note else ""
            head = f"🗓️ Planned{note}: {title}. The product team will work on it."
            ask = "You can tell these customers a fix is planned:"
        case _:
            head = (
                f"🚫 Won't fix: {title}. The product team's reason, as they gave it:\n"
                f"> {theme.status_note}"
            )
            ask = "You can tell these customers:"
    lines = [head, ask]
    for flag in flags:
        refs = customer_refs_text(flag.customer_refs, config.tickets)
        customer = refs if flag.customer_refs else "no customer attached"
        lines.append(f"• *{flag.key}* {flag.summary} — {customer}")
    return Message("\n".join(lines))


def owner_target(core: Core, platform: str, words: str) -> str:
    """The channel id `owner …` names: a channel, a routing rule's name (its owner channel on
    this platform) or `triage`."""
    word = words.strip().split(" ")[0].lstrip("#")
    themes, channels = core.config.themes, core.config.channels_for(platform)
    rule = themes.rule_named(word.lower())
    if rule is not None:
        if platform not in rule.owner:
            raise UsageError(f"The rule {rule.name} names no owner channel on {platform}.")
        return rule.owner[platform]
    if word.lower() == "triage" and channels.triage:
        return channels.triage
    mention = word.removeprefix("<#").rstrip(">").split("|")[0]
    if not mention:
        raise UsageError("Say which channel owns it instead, like `owner #identity-team`.")
    return mention


def owner_choices(core: Core, platform: str) -> list[str]:
    """The words `owner …` knows on this platform: each rule with an owner here, and triage."""
    choices = [rule.name for rule in core.config.themes.rules if platform in rule.owner]
    if core.config.channels_for(platform).triage:
        choices.append("triage")
    return choices


async def _move_owner(
    core: Core, uow: UnitOfWork, theme: Theme, actor: Person, where: str
) -> Reply:
    """Not ours: another channel owns the theme; it gets the post, the old one a line."""
    assert theme.id is not None
    mention = owner_target(core, actor.platform, where)
    now = core.clock.now()
    new_place = Conversation(actor.platform, theme.workspace_id, mention)
    old = owner_channel(core.config, theme, actor.platform)
    if old == new_place:
        raise InvalidState(f"#{theme.slug} is already owned by <#{mention}>.")
    await say_in_theme_thread(
        uow, theme, Message(f"↪️ Not ours — moved to <#{mention}> by {actor.mention}"), now
    )
    flags = await uow.flags.list_for_theme(theme.id)
    for flag in flags:
        assert flag.id is not None
        await uow.timeline.add(
            TimelineEvent(
                flag.id, now, EventKind.ROUTED, actor, f"#{theme.slug} moved to {mention}"
            )
        )
    theme.owner_channel = new_place
    theme.post = None
    theme.routed_at = now
    theme.nudge_at = nudge_time(core, now)
    if theme.status is ThemeStatus.ACKNOWLEDGED:
        theme.status = ThemeStatus.OPEN
    await uow.themes.save(theme)
    message = theme_post(theme, flags, now, core.config)
    await uow.outbox.record(Outgoing.theme_post(new_place, message, theme.id), now)
    return Reply(Message(f"#{theme.slug} now belongs to <#{mention}>; it was posted there."))


async def _merge(core: Core, uow: UnitOfWork, theme: Theme, actor: Person, rest: str) -> Reply:
    """Merge `theme` into the one named: its flags move, its tag then leads to the other."""
    assert theme.id is not None
    target = await _find(uow, theme.workspace_id, normalise_tag(rest.split(" ")[0].lstrip("#")))
    assert target.id is not None
    if target.id == theme.id:
        raise InvalidState("A theme cannot be merged into itself.")
    now = core.clock.now()
    moved = await uow.flags.list_for_theme(theme.id)
    for flag in moved:
        assert flag.id is not None
        flag.theme_id = target.id
        await uow.flags.save(flag)
        await uow.timeline.add(
            TimelineEvent(
                flag.id, now, EventKind.THEMED, actor, f"#{target.slug} (merged from #{theme.slug})"
            )
        )
    theme.merged_into = target.id
    theme.status_changed_at = now
    await uow.themes.save(theme)
    await say_in_theme_thread(
        uow, theme, Message(f"Merged into #{target.slug} by {actor.mention}"), now
    )
    await refresh_post(uow, target, now)
    core.themes.forget(theme.workspace_id)
    return Reply(
        Message(
            f"#{theme.slug} is merged into #{target.slug}: {plural(len(moved), 'flag')} moved; "
            f"the tag #{theme.slug} now leads there."
        )
    )
