"""What a digest is made of: its record (sent once per channel and week) and its figures."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.messages import Conversation, MessageRef
from bot.themes.models import Theme


class DigestKind(StrEnum):
    PRODUCT = "product"  # to each owner channel: its themes
    FLOW = "flow"  # to support_leads: how the team keeps its promise


@dataclass(frozen=True, slots=True)
class DigestRecord:
    """One digest claimed for a channel and a week; the unique key makes it exactly once."""

    kind: DigestKind
    conversation: Conversation
    period: str  # the week it reports on: `2026-W47`
    due_at: datetime
    claimed_at: datetime
    late: bool  # sent after a downtime, well past its time
    sent: bool = True  # False: an empty week, skipped as configured
    post: MessageRef | None = None  # the digest's message, once delivered
    id: int | None = None


@dataclass(frozen=True, slots=True)
class Quote:
    """A flag's words, for a theme's line in a product digest."""

    theme_id: int
    number: int
    summary: str


@dataclass(frozen=True, slots=True)
class ThemeWeek:
    """One theme in a product digest: this week against last, and the weeks before."""

    theme: Theme
    weekly: tuple[int, ...]  # flags per week, oldest first; the last is the digest's week
    customers: int  # distinct customers on this week's flags
    quotes: tuple[Quote, ...] = ()

    @property
    def this_week(self) -> int:
        return self.weekly[-1]

    @property
    def last_week(self) -> int:
        return self.weekly[-2] if len(self.weekly) > 1 else 0


@dataclass(frozen=True, slots=True)
class FlowWeek:
    """A week of the team's flow, as the flow digest and `/flag stats` tell it. No names."""

    escalations: int = 0  # raised in the week
    acknowledged: int = 0  # acknowledged in the week (bursts count once)
    ack_median: float | None = None  # seconds of business time
    ack_p90: float | None = None
    breaches: int = 0  # update deadlines missed in the week
    longest_breach: float | None = None  # seconds, up to its end or the week's
    open_at_end: int = 0  # escalations still open when the week ended
    bursts: int = 0  # escalations that others joined (one post for an outage)
    joined: int = 0  # escalations that joined a burst
    recurring: int = 0  # recurring flags raised in the week
    on_known_themes: int = 0  # of those, joining a theme an earlier flag had started
    themes_fixed: int = 0
    loops_closed: int = 0  # themes marked fixed or won't fix: every agent told

    @property
    def flags(self) -> int:
        return self.escalations + self.recurring

    @property
    def recurrence(self) -> float | None:
        """The share of recurring flags on themes seen before; None without any."""
        return self.on_known_themes / self.recurring if self.recurring else None


def nearest_rank(count: int, fraction: float) -> int:
    """The 0-based index of the `fraction` percentile among `count` sorted values (nearest
    rank: the smallest value with at least that share of values at or below it)."""
    return max(0, min(count - 1, math.ceil(fraction * count) - 1))
