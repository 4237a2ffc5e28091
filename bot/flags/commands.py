"""The `/flag` command grammar, parsed once here for every adapter.

`parse_command` turns the text after `/flag` into a command object or raises `UsageError`
with a message that says exactly how to write it; it never raises anything else.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from bot.durations import parse_duration
from bot.errors import UsageError
from bot.flags.models import FlagKind, parse_flag_key
from bot.flags.raising import THEME_TAG, RaiseFlag, normalise_tag, parse_raise
from bot.flags.text import TRAILING_PUNCT, USAGE, clean_text, clip, usage

MAX_COMMAND_CHARS = 4000
MAX_NOTE_CHARS = 1000
MAX_SNOOZE = timedelta(days=14)
MIN_SNOOZE = timedelta(minutes=1)
ZERO = re.compile(r"^\s*(?:0+\s*[smhdw]\s*)+$", re.IGNORECASE)  # `0m`, `0h0m`

_ALIASES = {
    "recur": "recurring",
    "escalation": "escalate",
    "esc": "escalate",
    "updated": "update",
    "close": "resolve",
    "resolved": "resolve",
    "timeline": "show",
    "list": "mine",
    "retheme": "move",
}


@dataclass(frozen=True, slots=True)
class OpenForm:
    """`/flag` with no text: show the flag form."""


@dataclass(frozen=True, slots=True)
class ShowHelp:
    pass


@dataclass(frozen=True, slots=True)
class RecordUpdate:
    number: int
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Resolve:
    number: int
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Snooze:
    number: int
    duration: timedelta


@dataclass(frozen=True, slots=True)
class ShowFlag:
    number: int


@dataclass(frozen=True, slots=True)
class ListMine:
    pass


@dataclass(frozen=True, slots=True)
class ListThemes:
    pass


@dataclass(frozen=True, slots=True)
class ShowStats:
    pass


class ThemeVerb(StrEnum):
    ACKNOWLEDGE = "ack"
    PLANNED = "planned"
    FIXED = "fixed"
    WONT_FIX = "wontfix"
    OWNER = "owner"  # Not ours: another channel owns it
    MERGE = "merge"


@dataclass(frozen=True, slots=True)
class ChangeTheme:
    """`/flag theme #tag <verb> [rest]`: a status, a new owner or a merge."""

    slug: str
    verb: ThemeVerb
    rest: str | None = None


@dataclass(frozen=True, slots=True)
class MoveFlag:
    """`/flag move F-12 #tag` (or `new`): the agent says their flag is in the wrong theme."""

    number: int
    slug: str | None  # None: a theme of its own


_THEME_VERBS = {
    "ack": ThemeVerb.ACKNOWLEDGE,
    "acknowledge": ThemeVerb.ACKNOWLEDGE,
    "acknowledged": ThemeVerb.ACKNOWLEDGE,
    "planned": ThemeVerb.PLANNED,
    "plan": ThemeVerb.PLANNED,
    "fixed": ThemeVerb.FIXED,
    "fix": ThemeVerb.FIXED,
    "wontfix": ThemeVerb.WONT_FIX,
    "won't": ThemeVerb.WONT_FIX,
    "wont": ThemeVerb.WONT_FIX,
    "declined": ThemeVerb.WONT_FIX,
    "owner": ThemeVerb.OWNER,
    "notours": ThemeVerb.OWNER,
    "move": ThemeVerb.OWNER,
    "merge": ThemeVerb.MERGE,
}


Command = (
    OpenForm
    | ShowHelp
    | RaiseFlag
    | RecordUpdate
    | Resolve
    | Snooze
    | ShowFlag
    | ListMine
    | ListThemes
    | ShowStats
    | ChangeTheme
    | MoveFlag
)


def parse_command(text: str) -> Command:
    """Parse the text after `/flag` into a command; raise UsageError when it is not one."""
    if len(text) > MAX_COMMAND_CHARS:
        raise UsageError(
            f"That command is {len(text)} characters long; keep it under {MAX_COMMAND_CHARS} "
            "and put the details in the ticket."
        )
    cleaned = clean_text(text)
    if not cleaned:
        return OpenForm()
    word, _, rest = cleaned.partition(" ")
    name = word.lower().lstrip("/")
    name = _ALIASES.get(name, name)
    rest = rest.strip()
    if name == "help":
        return ShowHelp()
    if name in ("recurring", "escalate"):
        return parse_raise(FlagKind(name), rest)
    if name in ("update", "resolve", "show", "snooze"):
        number, after = _flag_number(name, rest)
        if name == "update":
            return RecordUpdate(number, _note(name, after))
        if name == "resolve":
            return Resolve(number, _note(name, after))
        if name == "show":
            if after:
                raise usage(name, f"`show` takes only a flag id, not `{clip(after)}`.")
            return ShowFlag(number)
        return Snooze(number, _snooze_duration(after))
    if name == "theme" and not rest:
        return ListThemes()
    if name == "theme":
        return _change_theme(rest)
    if name == "move":
        number, after = _flag_number(name, rest)
        target = after.strip().lower()
        if target in ("new", "#new"):
            return MoveFlag(number, None)
        tag = THEME_TAG.match(target)
        if tag is None:
            raise usage(name, "Name the theme it belongs to, like `#csv-export`, or `new`.")
        return MoveFlag(number, normalise_tag(tag.group(1)))
    if name in ("mine", "themes", "stats"):
        if rest:
            raise usage(name, f"`{name}` takes no arguments, not `{clip(rest)}`.")
        listings: dict[str, Command] = {
            "mine": ListMine(),
            "themes": ListThemes(),
            "stats": ShowStats(),
        }
        return listings[name]
    guess = difflib.get_close_matches(name, list(USAGE), n=1)
    hint = f" Did you mean `{guess[0]}`?" if guess else ""
    raise UsageError(
        f"`{clip(word)}` is not a /flag command.{hint} "
        f"Try: {', '.join(USAGE)} — or `/flag help` for how to write each one."
    )


def _change_theme(text: str) -> ChangeTheme:
    tag_word, _, after = text.partition(" ")
    tag = THEME_TAG.match(tag_word)
    if tag is None:
        raise usage(
            "theme", f"Start with the theme's tag, like `#csv-export`, not `{clip(tag_word)}`."
        )
    verb_word, _, rest = after.strip().partition(" ")
    lowered = verb_word.lower().replace("\u2019", "'")  # phones type a curly apostrophe
    if lowered in ("won't", "wont") and rest.lower().startswith("fix"):
        rest = rest[3:]
    verb = _THEME_VERBS.get(lowered.replace("-", "").replace("_", ""))
    if verb is None:
        said = f"not `{clip(verb_word)}`" if verb_word else "and say what to do"
        raise usage(
            "theme", f"After the tag: ack, planned, fixed, wontfix, owner or merge — {said}."
        )
    rest = rest.strip()
    if verb is ThemeVerb.WONT_FIX and not rest:
        raise usage(
            "theme", "Won't fix needs a reason; it is passed on to every agent who flagged it."
        )
    if verb is ThemeVerb.OWNER and not rest:
        raise usage("theme", "Say which channel owns it instead, like `owner #identity-team`.")
    if verb is ThemeVerb.MERGE and THEME_TAG.match(rest.split(" ")[0] if rest else "") is None:
        raise usage("theme", "Say which theme to merge it into, like `merge #csv-export`.")
    return ChangeTheme(normalise_tag(tag.group(1)), verb, rest[:MAX_NOTE_CHARS] or None)


def _flag_number(name: str, rest: str) -> tuple[int, str]:
    first, _, after = rest.partition(" ")
    if not first:
        raise usage(name, "Say which flag, like F-12.")
    number = parse_flag_key(first.rstrip(TRAILING_PUNCT))
    if number is None or number == 0:
        raise usage(name, f"`{clip(first)}` is not a flag id; flag ids look like F-12.")
    return number, after.strip()


def _note(name: str, text: str) -> str | None:
    if len(text) > MAX_NOTE_CHARS:
        raise usage(name, f"The note is {len(text)} characters; keep it under {MAX_NOTE_CHARS}.")
    return text or None


def _snooze_duration(text: str) -> timedelta:
    if not text:
        raise usage("snooze", "Say for how long, from 1m to 14d.")
    allowed = "for 1m to 14d"
    if ZERO.match(text):
        raise usage("snooze", f"A snooze of `{clip(text)}` holds nothing; snooze {allowed}.")
    try:
        duration = parse_duration(text)
    except ValueError:
        raise usage("snooze", f"`{clip(text)}` is not a duration; snooze {allowed}.") from None
    if duration < MIN_SNOOZE:
        raise usage("snooze", f"`{clip(text)}` is shorter than a minute; snooze {allowed}.")
    if duration > MAX_SNOOZE:
        raise usage("snooze", "Snooze for at most 14d; resolve the flag if nobody is waiting.")
    return duration
