"""The weeks digests report on, in the configured time zone.

A digest covers one ISO week (Monday 00:00 to the next Monday 00:00, local time) and compares it
with the week before. It is due at its schedule (a weekday and a time, local) in the week *after*
the one it reports on: Monday 09:00 sends last week's. Local midnights are turned into instants
one by one, so a week that contains a daylight-saving change is 167 or 169 hours long, as it
really is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from bot.config.digests import DigestSchedule

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


@dataclass(frozen=True, slots=True)
class Week:
    """One ISO week: `2026-W47`."""

    year: int
    number: int

    @classmethod
    def of(cls, day: date) -> Week:
        iso = day.isocalendar()
        return cls(iso.year, iso.week)

    @classmethod
    def parse(cls, text: str) -> Week:
        """`2026-W47` → Week(2026, 47); ValueError with what to write otherwise."""
        match = _WEEK.match(text.strip().upper())
        if match is None:
            raise ValueError(f"{text[:20]!r} is not a week; write it like 2026-W47")
        year, number = int(match.group(1)), int(match.group(2))
        try:
            date.fromisocalendar(year, number, 1)
        except ValueError:
            raise ValueError(f"{year} has no week {number}") from None
        return cls(year, number)

    @property
    def key(self) -> str:
        """What records the period a digest was sent for: `2026-W47`."""
        return f"{self.year}-W{self.number:02d}"

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.number, 1)

    def shifted(self, weeks: int) -> Week:
        return Week.of(self.monday + timedelta(weeks=weeks))

    def bounds(self, tz: tzinfo) -> tuple[datetime, datetime]:
        """[start, end) of the week as UTC instants: local Monday midnights."""
        return _local_midnight(self.monday, tz), _local_midnight(self.monday + timedelta(7), tz)


def _local_midnight(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def due_at(week: Week, schedule: DigestSchedule, tz: tzinfo) -> datetime:
    """When the digest of `week` is due: its schedule's weekday and time in the week after."""
    day = week.shifted(1).monday + timedelta(days=schedule.day)
    return datetime.combine(day, schedule.time, tzinfo=tz).astimezone(UTC)


def latest_due(now: datetime, schedule: DigestSchedule, tz: tzinfo) -> Week:
    """The week whose digest fell due most recently at `now` (it may be due right now)."""
    local = now.astimezone(tz)
    week = Week.of(local.date()).shifted(-1)
    if due_at(week, schedule, tz) > now:
        week = week.shifted(-1)
    return week
