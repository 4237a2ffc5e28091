"""Words typed to Frontline, made safe to read and to answer: cleaning, quoting, usage lines."""

from __future__ import annotations

import unicodedata

from bot.errors import UsageError

TRAILING_PUNCT = ".,;:!?)]}\"'"
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


def clean_text(text: str) -> str:
    """Normalise user text: NFC, no control or invisible characters, single spaces."""
    normalised = unicodedata.normalize("NFC", text)
    kept = (
        " " if ch in "\t\r\n" else ch
        for ch in normalised
        if ch in "\t\r\n" or unicodedata.category(ch) not in _CONTROL_CATEGORIES
    )
    return " ".join("".join(kept).split())


def usage(name: str, problem: str) -> UsageError:
    """`problem`, then how `/flag <name>` is written."""
    return UsageError(f"{problem} Usage: `{USAGE[name]}`")


def clip(text: str, limit: int = 40) -> str:
    """Typed text quoted back in a message: no backticks, at most `limit` characters."""
    text = text.replace("`", "'")
    return text if len(text) <= limit else text[: limit - 1] + "…"
