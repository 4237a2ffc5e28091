"""The theme domain: a recurring problem, its owner and its decision."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.messages import Conversation, MessageRef

_SLUG_STRIP = re.compile(r"[^a-z0-9]+")
_STOPWORDS = frozenset(
    (
        "a an the and or but of for to in on at by with from after before is are was were be "
        "been it its this that these those when then than they them their there can cant cannot "
        "not no our we us you your i me my he she his her customer customers user users"
    ).split()
)


class ThemeStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    PLANNED = "planned"
    FIXED = "fixed"
    WONT_FIX = "wont_fix"


def slugify(text: str, *, max_words: int = 6) -> str:
    """A short slug from free text: `SSO login loops after reset` → `sso-login-loops-reset`."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    words = [w for w in _SLUG_STRIP.split(folded) if w and w not in _STOPWORDS]
    return "-".join(words[:max_words])[:60].strip("-") or "theme"


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
    id: int | None = None

    @property
    def is_open(self) -> bool:
        return self.status not in (ThemeStatus.FIXED, ThemeStatus.WONT_FIX)
