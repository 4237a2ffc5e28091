"""The entry points adapters call: a command, a button, a form, a thread reply, a reaction."""

from __future__ import annotations

from dataclasses import replace

from bot.actions import THEME_ACTIONS, ActionId
from bot.core import Core
from bot.digests.flow import team_stats
from bot.errors import UsageError, UserFacingError
from bot.escalations.service import (
    acknowledge,
    acknowledge_by_reaction,
    acknowledge_by_reply,
    adopt_pressed_post,
)
from bot.flags import service as flags
from bot.flags.commands import (
    MAX_NOTE_CHARS,
    ChangeTheme,
    Command,
    ListMine,
    ListThemes,
    MoveFlag,
    OpenForm,
    RecordUpdate,
    Resolve,
    ShowFlag,
    ShowHelp,
    ShowStats,
    Snooze,
    ThemeVerb,
    parse_command,
)
from bot.flags.models import FlagKind, parse_flag_number
from bot.flags.raising import RaiseFlag, parse_customer_refs, parse_raise, parse_severity
from bot.flags.rendering import help_message
from bot.flags.text import clean_text
from bot.messages import Conversation, Message, MessageRef, Person, Reply, Where
from bot.themes.corrections import move_flag, suggest_themes
from bot.themes.lifecycle import change_theme, owner_choices, theme_by_id
from bot.themes.service import list_themes


def clean_person(person: Person) -> Person:
    """The person with control and invisible characters removed from their name and id."""
    name = clean_text(person.display_name)[:200]
    user_id = clean_text(person.user_id)[:200]
    if name == person.display_name and user_id == person.user_id:
        return person
    return replace(person, display_name=name, user_id=user_id)


def error_reply(error: UserFacingError) -> Reply:
    """The reply that tells the person what went wrong and how to fix it."""
    return Reply(Message(f"⚠️ {error.user_message}"))


async def handle_command(core: Core, *, actor: Person, where: Where, text: str) -> Reply:
    """Run the text after `/flag`."""
    actor = clean_person(actor)
    return await _run_command(core, actor=actor, where=where, command=parse_command(text))


async def _run_command(core: Core, *, actor: Person, where: Where, command: Command) -> Reply:
    match command:
        case OpenForm():
            return Reply(Message("Flag an issue"), open_form=True)
        case ShowHelp():
            return Reply(help_message())
        case RaiseFlag():
            return await flags.raise_flag(core, reporter=actor, where=where, command=command)
        case RecordUpdate(number, note):
            return await flags.record_customer_update(
                core, actor=actor, number=number, note=note, acting_from=where.conversation
            )
        case Resolve(number, note):
            return await flags.resolve(
                core, actor=actor, number=number, note=note, acting_from=where.conversation
            )
        case Snooze(number, duration):
            return await flags.snooze(
                core, actor=actor, number=number, duration=duration, acting_from=where.conversation
            )
        case ShowFlag(number):
            return await flags.show_flag(
                core, actor=actor, number=number, acting_from=where.conversation
            )
        case ListMine():
            return await flags.list_mine(core, actor=actor)
        case ListThemes():
            return await list_themes(core, viewer=actor, acting_from=where.conversation)
        case ShowStats():
            return await team_stats(core, workspace_id=actor.workspace_id)
        case ChangeTheme():
            return await change_theme(
                core, actor=actor, command=command, acting_from=where.conversation
            )
        case MoveFlag(number, slug):
            return await move_flag(
                core, actor=actor, number=number, slug=slug, acting_from=where.conversation
            )


async def handle_form(
    core: Core,
    *,
    actor: Person,
    where: Where,
    kind: str,
    summary: str,
    customer_refs: str = "",
    severity: str = "normal",
    source_link: str | None = None,
) -> Reply:
    """A submitted flag form (Slack modal, Teams card, console prompts).

    `source_link` points back at the chat message the flag was raised from, if any.
    """
    actor = clean_person(actor)
    try:
        flag_kind = FlagKind(kind.strip().lower())
    except ValueError:
        raise UsageError(
            f"`{kind[:40]}` is not a kind of flag; choose recurring or escalate."
        ) from None
    parsed = parse_raise(flag_kind, summary)
    refs = parsed.customer_refs + tuple(
        r for r in parse_customer_refs(customer_refs) if r not in parsed.customer_refs
    )
    command = RaiseFlag(
        flag_kind, parsed.summary, refs, parse_severity(severity or "normal"), parsed.theme_slug
    )
    return await flags.raise_flag(
        core, reporter=actor, where=where, command=command, source_link=source_link
    )


async def handle_action(
    core: Core,
    *,
    actor: Person,
    action_id: str,
    value: str,
    pressed_on: MessageRef | None = None,
) -> Reply:
    """A button the core put on a message was pressed (on `pressed_on`, when known)."""
    actor = clean_person(actor)
    try:
        action = ActionId(action_id)
        number = parse_flag_number(value)
    except ValueError:
        raise UsageError(
            "That button is not one Frontline knows; it may be from an old message."
        ) from None
    place = pressed_on.conversation if pressed_on is not None else None
    if action in THEME_ACTIONS:
        return await _theme_button(core, actor, action, number, place)
    if action is ActionId.WRONG_THEME:
        return await suggest_themes(core, actor=actor, number=number, acting_from=place)
    if pressed_on is not None and action is not ActionId.ACKNOWLEDGE:  # it adopts on its own
        await adopt_pressed_post(core, actor, number, pressed_on)
    match action:
        case ActionId.ACKNOWLEDGE:
            return await acknowledge(
                core, actor=actor, number=number, via="button", pressed_on=pressed_on
            )
        case ActionId.CUSTOMER_UPDATED:
            return await flags.record_customer_update(
                core, actor=actor, number=number, note=None, acting_from=place
            )
        case ActionId.SNOOZE:
            return await flags.snooze(
                core, actor=actor, number=number, duration=flags.BUTTON_SNOOZE, acting_from=place
            )
        case ActionId.RESOLVE:
            return await flags.resolve(
                core, actor=actor, number=number, note=None, acting_from=place
            )
    raise UsageError("That button is not one Frontline knows; it may be from an old message.")


async def _theme_button(
    core: Core, actor: Person, action: ActionId, theme_id: int, place: Conversation | None
) -> Reply:
    """A status button on a theme's post; Won't fix and Not ours need words, typed after."""
    theme = await theme_by_id(core, actor.workspace_id, theme_id)
    verb = THEME_ACTIONS[action]
    if verb is ThemeVerb.WONT_FIX:
        return Reply(
            Message(
                f"Won't fix needs a reason, passed on verbatim to every agent who flagged it: "
                f"`/flag theme #{theme.slug} wontfix <reason>`"
            )
        )
    if verb is ThemeVerb.OWNER:
        known = owner_choices(core, actor.platform)
        teams = "".join(f"\n• `/flag theme #{theme.slug} owner {name}`" for name in known)
        return Reply(
            Message(
                f"Which team owns it? It is posted in their channel and this thread says where "
                f"it went.{teams}\n• `/flag theme #{theme.slug} owner <channel>` for another "
                "channel"
            )
        )
    command = ChangeTheme(theme.slug, verb)
    return await change_theme(core, actor=actor, command=command, acting_from=place)


async def handle_theme_form(
    core: Core,
    *,
    actor: Person,
    theme_id: int,
    verb: str,
    words: str,
    acting_from: Conversation | None = None,
) -> Reply:
    """A theme status given with its words in a form: a release, a reason or a channel."""
    actor = clean_person(actor)
    try:
        theme_verb = ThemeVerb(verb)
    except ValueError:
        raise UsageError(
            "That form is not one Frontline knows; it may be from an old message."
        ) from None
    theme = await theme_by_id(core, actor.workspace_id, theme_id)
    cleaned = clean_text(words)[:MAX_NOTE_CHARS] or None
    command = ChangeTheme(theme.slug, theme_verb, cleaned)
    if theme_verb is ThemeVerb.WONT_FIX and cleaned is None:
        raise UsageError("Won't fix needs a reason; it is passed on to every agent who flagged it.")
    if theme_verb is ThemeVerb.OWNER and cleaned is None:
        raise UsageError("Pick the channel that owns it.")
    return await change_theme(core, actor=actor, command=command, acting_from=acting_from)


async def handle_thread_reply(
    core: Core, *, actor: Person, where: Where, text: str
) -> Reply | None:
    """Someone replied in a thread; an `ack`-like reply under an escalation acknowledges it."""
    actor = clean_person(actor)
    return await acknowledge_by_reply(core, actor=actor, where=where, text=text)


async def handle_reaction(
    core: Core, *, actor: Person, conversation: Conversation, message_id: str, reaction: str
) -> Reply | None:
    """Someone reacted to a message; ✅/👀 on an escalation post acknowledges it."""
    actor = clean_person(actor)
    return await acknowledge_by_reaction(
        core, actor=actor, conversation=conversation, message_id=message_id, reaction=reaction
    )


async def handle_resolve(
    core: Core,
    *,
    actor: Person,
    number: int,
    note: str | None,
    acting_from: Conversation | None = None,
    pressed_on: MessageRef | None = None,
) -> Reply:
    """Resolve with a note typed in a dialog (Slack modal, Teams card) opened in `acting_from`
    (`pressed_on`: the post whose card held the dialog, when known)."""
    actor = clean_person(actor)
    if pressed_on is not None:
        await adopt_pressed_post(core, actor, number, pressed_on)
    cleaned = clean_text(note or "")[:MAX_NOTE_CHARS] or None
    return await flags.resolve(
        core, actor=actor, number=number, note=cleaned, acting_from=acting_from
    )


async def handle_snooze(
    core: Core,
    *,
    actor: Person,
    number: int,
    duration: str,
    acting_from: Conversation | None = None,
) -> Reply:
    """Snooze for a duration picked in a dialog (`30m`, `2h`, `1d`) opened in `acting_from`."""
    actor = clean_person(actor)
    command = parse_command(f"snooze F-{number} {clean_text(duration)[:20]}")
    assert isinstance(command, Snooze)
    return await flags.snooze(
        core, actor=actor, number=number, duration=command.duration, acting_from=acting_from
    )
