"""The `/flag` command grammar, parsed once here for every adapter.

`parse_command` turns the text after `/flag` into a command object or raises `UsageError`
with a message that says exactly how to write it; it never raises anything else.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from bot.durations import parse_duration
from bot.errors import UsageError
from bot.flags.models import CustomerRef, CustomerRefKind, FlagKind, Severity, parse_flag_key

MAX_COMMAND_CHARS = 4000
MAX_SUMMARY_CHARS = 1000
MAX_NOTE_CHARS = 1000
MAX_SNOOZE = timedelta(days=14)
MIN_SNOOZE = timedelta(minutes=1)
ZERO = re.compile(r"^\s*(?:0+\s*[smhdw]\s*)+$", re.IGNORECASE)  # `0m`, `0h0m`

_TICKET = re.compile(r"^[A-Z][A-Z0-9]{1,9}-\d{1,12}$")
_NUMBER = re.compile(r"^#\d{1,12}$")
_THEME = re.compile(r"^#([a-z][a-z0-9_-]{0,59})$", re.IGNORECASE)
_URL = re.compile(r"^<?(https?://[^\s|<>]+)(?:\|[^>]*)?>?$", re.IGNORECASE)
_CUSTOMER = re.compile(r"^customer:(\S{1,100})$", re.IGNORECASE)
_SEVERITY = re.compile(r"^(?:sev|severity):(\S*)$", re.IGNORECASE)
_TRAILING_PUNCT = ".,;:!?)]}\"'"
_CONTROL_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn"}

USAGE = {
    "recurring": "/flag recurring <what happened> [customer ref] [#theme]",
    "escalate": "/flag escalate <what happened> [customer ref] [sev:high|normal|low]",
    "update": "/flag update F-12 [what you told the customer]",
    "resolve": "/flag resolve F-12 [note]",
    "snooze": "/flag snooze F-12 <duration, e.g. 30m, 2h, 1d>",
    "show": "/flag show F-12",
    "mine": "/flag mine",
    "themes": "/flag themes",
    "theme": "/flag theme #tag ack | planned [note] | fixed [release] | wontfix <reason> "
    "| owner <channel> | merge #other-tag",
    "move": "/flag move F-12 #tag|new",
    "stats": "/flag stats",
    "help": "/flag help",
}
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
class RaiseFlag:
    kind: FlagKind
    summary: str
    customer_refs: tuple[CustomerRef, ...] = ()
    severity: Severity = Severity.NORMAL
    theme_slug: str | None = None


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


def clean_text(text: str) -> str:
    """Normalise user text: NFC, no control or invisible characters, single spaces."""
    normalised = unicodedata.normalize("NFC", text)
    kept = (
        " " if ch in "\t\r\n" else ch
        for ch in normalised
        if ch in "\t\r\n" or unicodedata.category(ch) not in _CONTROL_CATEGORIES
    )
    return " ".join("".join(kept).split())


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
                raise _usage(name, f"`show` takes only a flag id, not `{_clip(after)}`.")
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
        tag = _THEME.match(target)
        if tag is None:
            raise _usage(name, "Name the theme it belongs to, like `#csv-export`, or `new`.")
        return MoveFlag(number, normalise_tag(tag.group(1)))
    if name in ("mine", "themes", "stats"):
        if rest:
            raise _usage(name, f"`{name}` takes no arguments, not `{_clip(rest)}`.")
        listings: dict[str, Command] = {
            "mine": ListMine(),
            "themes": ListThemes(),
            "stats": ShowStats(),
        }
        return listings[name]
    guess = difflib.get_close_matches(name, list(USAGE), n=1)
    hint = f" Did you mean `{guess[0]}`?" if guess else ""
    raise UsageError(
        f"`{_clip(word)}` is not a /flag command.{hint} "
        f"Try: {', '.join(USAGE)} — or `/flag help` for how to write each one."
    )


def _change_theme(text: str) -> ChangeTheme:
    tag_word, _, after = text.partition(" ")
    tag = _THEME.match(tag_word)
    if tag is None:
        raise _usage(
            "theme", f"Start with the theme's tag, like `#csv-export`, not `{_clip(tag_word)}`."
        )
    verb_word, _, rest = after.strip().partition(" ")
    lowered = verb_word.lower().replace("\u2019", "'")  # phones type a curly apostrophe
    if lowered in ("won't", "wont") and rest.lower().startswith("fix"):
        rest = rest[3:]
    verb = _THEME_VERBS.get(lowered.replace("-", "").replace("_", ""))
    if verb is None:
        said = f"not `{_clip(verb_word)}`" if verb_word else "and say what to do"
        raise _usage(
            "theme", f"After the tag: ack, planned, fixed, wontfix, owner or merge — {said}."
        )
    rest = rest.strip()
    if verb is ThemeVerb.WONT_FIX and not rest:
        raise _usage(
            "theme", "Won't fix needs a reason; it is passed on to every agent who flagged it."
        )
    if verb is ThemeVerb.OWNER and not rest:
        raise _usage("theme", "Say which channel owns it instead, like `owner #identity-team`.")
    if verb is ThemeVerb.MERGE and _THEME.match(rest.split(" ")[0] if rest else "") is None:
        raise _usage("theme", "Say which theme to merge it into, like `merge #csv-export`.")
    return ChangeTheme(normalise_tag(tag.group(1)), verb, rest[:MAX_NOTE_CHARS] or None)


def normalise_tag(tag: str) -> str:
    """`#Billing_PDF` and `#billing-pdf` are one tag: `billing-pdf`."""
    return re.sub(r"[-_]+", "-", tag.lower()).strip("-")


TRAILING_JOINERS = ",;:\N{EN DASH}\N{EM DASH}-"
# Only words that lead to a ref, never ones that end a phrasal verb ("log in", "sign on").
LEADS_TO_REF = frozenset("for from about re see ticket customer".split())


def parse_raise(kind: FlagKind, text: str) -> RaiseFlag:
    """Split the words of a new flag into summary, customer refs, severity and theme.

    A recurring flag's first `#theme` tag names its theme; it is taken out of the summary when it
    ends the text, and otherwise stays part of what happened, like every other hashtag. Customer
    refs are taken out where they begin or end the text; in the middle of a sentence ("refund
    stuck for ZD-77 since Monday") they stay in it too, so no words are lost.
    """
    refs: list[CustomerRef] = []
    severity: Severity | None = None
    theme_slug: str | None = None
    words: list[tuple[str, bool, bool]] = []  # (word, is it the theme tag, is it a ref)
    for raw in clean_text(text).split(" "):
        if not raw:
            continue
        token = raw.rstrip(_TRAILING_PUNCT) or raw
        sev = _SEVERITY.match(token)
        if sev:
            if severity is not None:
                raise _usage(kind.value, "Give the severity once.")
            severity = _severity(kind, sev.group(1))
            continue
        ref = parse_customer_ref(token)
        if ref is not None:
            if ref not in refs:
                refs.append(ref)
            words.append((raw, False, True))
            continue
        theme = _THEME.match(token) if kind is FlagKind.RECURRING else None
        is_theme_tag = theme is not None and theme_slug is None
        if theme and is_theme_tag:
            theme_slug = normalise_tag(theme.group(1))
        words.append((raw, is_theme_tag, False))
    trailing_ref = False
    while words and (words[-1][1] or words[-1][2]):
        trailing_ref = trailing_ref or words[-1][2]
        words.pop()
    # "500 errors for ZD-101": the ref is gone, so is the word that led to it.
    if trailing_ref and len(words) > 1 and words[-1][0].lower() in LEADS_TO_REF:
        words.pop()
    while words and words[0][2]:
        words.pop(0)
    # "SSO loops after reset, ZD-1": the comma went with the ref.
    summary = " ".join(word for word, _, _ in words).strip().rstrip(TRAILING_JOINERS).rstrip()
    if not summary:
        raise _usage(kind.value, "Say what happened, in a few words.")
    if len(summary) > MAX_SUMMARY_CHARS:
        raise _usage(
            kind.value,
            f"The summary is {len(summary)} characters; keep it under {MAX_SUMMARY_CHARS} "
            "and put the details in the ticket.",
        )
    return RaiseFlag(kind, summary, tuple(refs), severity or Severity.NORMAL, theme_slug)


def parse_customer_ref(token: str) -> CustomerRef | None:
    """A ticket id (`ZD-9912`), ticket number (`#4411`), ticket URL or `customer:acme`."""
    if _TICKET.match(token) and not token.startswith("F-"):
        return CustomerRef(CustomerRefKind.TICKET, token)
    if _NUMBER.match(token):
        return CustomerRef(CustomerRefKind.NUMBER, token)
    url = _URL.match(token)
    if url:
        return CustomerRef(CustomerRefKind.URL, url.group(1))
    customer = _CUSTOMER.match(token)
    if customer:
        return CustomerRef(CustomerRefKind.CUSTOMER, customer.group(1).strip("\"'"))
    return None


def parse_customer_refs(text: str) -> tuple[CustomerRef, ...]:
    """Customer refs from a free-form field (the form's "customer refs" box)."""
    refs: list[CustomerRef] = []
    for raw in clean_text(text).replace(",", " ").split(" "):
        token = raw.rstrip(_TRAILING_PUNCT)
        if not token:
            continue
        ref = parse_customer_ref(token)
        if ref is None:
            raise UsageError(
                f"`{_clip(token)}` is not a customer ref. Use a ticket id like ZD-9912, "
                "a ticket number like #4411, a ticket URL, or customer:acme."
            )
        if ref not in refs:
            refs.append(ref)
    return tuple(refs)


def parse_severity(text: str) -> Severity:
    """`high`, `normal` or `low` (any case); raise UsageError otherwise."""
    try:
        return Severity(text.strip().lower())
    except ValueError:
        raise UsageError(f"`{_clip(text)}` is not a severity; use high, normal or low.") from None


def _severity(kind: FlagKind, value: str) -> Severity:
    try:
        return parse_severity(value)
    except UsageError as error:
        raise _usage(kind.value, error.user_message) from None


def _flag_number(name: str, rest: str) -> tuple[int, str]:
    first, _, after = rest.partition(" ")
    if not first:
        raise _usage(name, "Say which flag, like F-12.")
    number = parse_flag_key(first.rstrip(_TRAILING_PUNCT))
    if number is None or number == 0:
        raise _usage(name, f"`{_clip(first)}` is not a flag id; flag ids look like F-12.")
    return number, after.strip()


def _note(name: str, text: str) -> str | None:
    if len(text) > MAX_NOTE_CHARS:
        raise _usage(name, f"The note is {len(text)} characters; keep it under {MAX_NOTE_CHARS}.")
    return text or None


def _snooze_duration(text: str) -> timedelta:
    if not text:
        raise _usage("snooze", "Say for how long, from 1m to 14d.")
    allowed = "for 1m to 14d"
    if ZERO.match(text):
        raise _usage("snooze", f"A snooze of `{_clip(text)}` holds nothing; snooze {allowed}.")
    try:
        duration = parse_duration(text)
    except ValueError:
        raise _usage("snooze", f"`{_clip(text)}` is not a duration; snooze {allowed}.") from None
    if duration < MIN_SNOOZE:
        raise _usage("snooze", f"`{_clip(text)}` is shorter than a minute; snooze {allowed}.")
    if duration > MAX_SNOOZE:
        raise _usage("snooze", "Snooze for at most 14d; resolve the flag if nobody is waiting.")
    return duration


def _usage(name: str, problem: str) -> UsageError:
    return UsageError(f"{problem} Usage: `{USAGE[name]}`")


def _clip(text: str, limit: int = 40) -> str:
    text = text.replace("`", "'")
    return text if len(text) <= limit else text[: limit - 1] + "…"
