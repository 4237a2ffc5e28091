"""The theme domain: a recurring problem, its owner and its decision."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.messages import Conversation, MessageRef

_WORD = re.compile(r"[^\W_]+")
_STOPWORDS = frozenset(
    (
        "a an the and or but of for to in on at by with from after before is are was were be "
        "been it its this that these those when then than they them their there can "
        "our we us you your i me my he she his her customer customers user users"
    ).split()
)


class ThemeStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    PLANNED = "planned"
    FIXED = "fixed"
    WONT_FIX = "wont_fix"


def slugify(text: str, *, max_words: int = 6) -> str:
    """A short slug from free text in any script: `SSO loops after reset` → `sso-loops-reset`.

    Latin words lose their accents (`café` → `cafe`); words of other scripts are kept as they are,
    so reports written in Japanese or Cyrillic get slugs of their own instead of one shared one.
    """
    words = []
    for word in _WORD.findall(unicodedata.normalize("NFKC", text).lower()):
        folded = unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode()
        word = folded if folded.isalnum() and len(folded) >= _latin_letters(word) else word
        if word not in _STOPWORDS:
            words.append(word)
    slug = "-".join(words[:max_words])[:60].strip("-")
    if slug:
        return slug
    return "theme-" + hashlib.sha1(text.encode("utf-8", "replace")).hexdigest()[:8]


def _latin_letters(word: str) -> int:
    return sum(1 for ch in word if ch.isascii() or "LATIN" in unicodedata.name(ch, ""))


@dataclass(slots=True)
class Theme:
    """A recurring problem: many flags, one owner, one decision."""

    workspace_id: str
    slug: str
    name: str
    created_at: datetime
    status: ThemeStatus = ThemeStatus.OPEN
    owner_channel: Conversation | None = None
    post: MessageRef | None = None
    status_note: str | None = None
    status_changed_at: datetime | None = None
    rule: str | None = None  # the routing rule that owns it, when one does
    routed_at: datetime | None = None  # when it reached its threshold and was posted
    fixed_at: datetime | None = None  # the last time it was marked Fixed
    fixed_in: str | None = None  # the release or note given with Fixed
    merged_into: int | None = None  # merged away: its flags now belong to this theme
    title_private: bool = False  # named from a private flag: the title is not shown
    nudge_at: datetime | None = None  # routed and not acknowledged: when its thread is nudged
    regressed_at: datetime | None = None  # the last time it was flagged again after a fix
    loop_closed_at: datetime | None = None  # the last time its agents were told: fixed, won't fix
    id: int | None = None

    @property
    def is_open(self) -> bool:
        return self.status not in (ThemeStatus.FIXED, ThemeStatus.WONT_FIX)


@dataclass(frozen=True, slots=True)
class ThemeActivity:
    """A theme's flags over a period: how many, from how many agents, about how many customers."""

    flags: int
    agents: int
    customers: int
