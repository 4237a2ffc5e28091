"""Business time: deadlines that count only business hours, skip weekends and holidays.

Business hours are a daily window (`09:00` to `17:00`) on some weekdays, in the configured time
zone, except holidays. Each day's window is built from the local wall clock and turned into
UTC, so a window is always 09:00 to 17:00 on the clock on the wall, on either side of a
daylight-saving change, and an hour of business time is an hour that really passes.

How a duration is counted, for severities that are not around the clock:

- whole days (`1d`, `2d`, `1w` = 7 days) are business days: `1d` from Tuesday 10:00 is
  Wednesday 10:00, and from Friday 16:56 it is Monday 16:56;
- the rest (`4h`, `15m`) is counted in business hours: `4h` from Friday 16:56 is Monday 12:56.

A start outside business hours counts from the next opening.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DAY = timedelta(days=1)
# Holidays are finite and at least one weekday is open, so a window always comes within a
# year or two; the bound only stops a bad calendar from looping.
MAX_DAYS_SEARCHED = 3 * 366


@dataclass(frozen=True, slots=True)
class BusinessCalendar:
    """When business-hours clocks run: `days` (0 = Monday) from `start` to `end`, in `tz`."""

    tz: ZoneInfo
    days: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    start: time = time(9, 0)
    end: time = time(17, 0)
    holidays: frozenset[date] = frozenset()

    def is_business_day(self, day: date) -> bool:
        return day.weekday() in self.days and day not in self.holidays

    def window(self, day: date) -> tuple[datetime, datetime]:
        """The day's business hours as UTC instants (the day need not be a business day)."""
        opens = datetime.combine(day, self.start, tzinfo=self.tz).astimezone(UTC)
        closes = datetime.combine(day, self.end, tzinfo=self.tz).astimezone(UTC)
        return opens, closes

    def windows_from(self, at: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Business windows that end after `at`, in order; the first is cut to start at `at`."""
        day = at.astimezone(self.tz).date() - DAY  # a window of the day before may still run
        for _ in range(MAX_DAYS_SEARCHED):
            if self.is_business_day(day):
                opens, closes = self.window(day)
                if closes > at:
                    yield max(opens, at), closes
            day += DAY
        raise ValueError("no business hours within three years; check business_hours and holidays")

    def is_open(self, at: datetime) -> bool:
        """Whether `at` falls within business hours (the closing minute included)."""
        day = at.astimezone(self.tz).date()
        if not self.is_business_day(day):
            return False
        opens, closes = self.window(day)
        return opens <= at <= closes

    def next_open(self, at: datetime) -> datetime:
        """`at` itself during business hours, else the next opening."""
        if self.is_open(at):
            return at
        opens, _ = next(self.windows_from(at))
        return opens

    def add(self, at: datetime, duration: timedelta) -> datetime:
        """The moment `duration` of business time after `at` (see the module's rules)."""
        whole_days, rest = divmod(duration, DAY)
        moment = self.next_open(at)
        if whole_days:
            moment = self._add_business_days(moment, int(whole_days))
            if not rest:
                return moment
        for opens, closes in self.windows_from(moment):
            if opens + rest <= closes:
                return opens + rest
            rest -= closes - opens
        raise AssertionError("windows_from never ends without raising")  # pragma: no cover

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """How much business time passes between `start` and `end`."""
        total = timedelta(0)
        if end <= start:
            return total
        for opens, closes in self.windows_from(start):
            if opens >= end:
                break
            total += min(closes, end) - opens
        return total

    def next_business_day_end(self, at: datetime) -> datetime:
        """When the business day after the one `at` is in (or comes before) closes."""
        windows = self.windows_from(self.next_open(at))
        next(windows)
        _, closes = next(windows)
        return closes

    def _add_business_days(self, moment: datetime, days: int) -> datetime:
        """The same time of day (counted from opening) `days` business days later."""
        local_day = moment.astimezone(self.tz).date()
        opens, closes = self.window(local_day)
        into_day = min(moment - opens, closes - opens)
        day = local_day
        for _ in range(days):
            day += DAY
            for _ in range(MAX_DAYS_SEARCHED):
                if self.is_business_day(day):
                    break
                day += DAY
        opens, closes = self.window(day)
        return min(opens + into_day, closes)


@dataclass(frozen=True, slots=True)
class Deadlines:
    """Deadline arithmetic for one severity: around the clock, or in business time."""

    calendar: BusinessCalendar
    around_the_clock: bool

    def after(self, at: datetime, duration: timedelta) -> datetime:
        if self.around_the_clock:
            return at + duration
        return self.calendar.add(at, duration)

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        if self.around_the_clock:
            return max(end - start, timedelta(0))
        return self.calendar.elapsed(start, end)

    def may_send(self, at: datetime) -> bool:
        """Whether a reminder may go out at `at`: never at night for business-hours clocks."""
        return self.around_the_clock or self.calendar.is_open(at)

    def next_sending_time(self, at: datetime) -> datetime:
        return at if self.around_the_clock else self.calendar.next_open(at)
