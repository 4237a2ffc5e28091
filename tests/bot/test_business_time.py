"""Business-time arithmetic: weekends, holidays, nights, daylight-saving changes, 24/7."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.business_time import BusinessCalendar, Deadlines

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
CALENDAR = BusinessCalendar(BERLIN, holidays=frozenset({date(2026, 12, 25), date(2027, 1, 1)}))


def local(*parts: int, tz: ZoneInfo = BERLIN) -> datetime:
    return datetime(*parts, tzinfo=tz)  # type: ignore[misc]


def in_local(at: datetime, tz: ZoneInfo = BERLIN) -> datetime:
    return at.astimezone(tz).replace(tzinfo=None)


def test_friday_afternoon_plus_four_hours_is_monday_lunchtime() -> None:
    friday = local(2026, 11, 27, 16, 56)
    assert in_local(CALENDAR.add(friday, timedelta(hours=4))) == datetime(2026, 11, 30, 12, 56)


def test_whole_days_are_business_days() -> None:
    tuesday = local(2026, 11, 24, 10, 0)
    assert in_local(CALENDAR.add(tuesday, timedelta(days=1))) == datetime(2026, 11, 25, 10, 0)
    friday = local(2026, 11, 27, 16, 56)
    assert in_local(CALENDAR.add(friday, timedelta(days=1))) == datetime(2026, 11, 30, 16, 56)


def test_a_start_at_night_counts_from_the_next_opening() -> None:
    saturday = local(2026, 11, 28, 23, 0)
    assert in_local(CALENDAR.add(saturday, timedelta(minutes=15))) == datetime(2026, 11, 30, 9, 15)


def test_holidays_are_skipped_over_a_long_weekend() -> None:
    christmas_eve = local(2026, 12, 24, 16, 0)  # Thursday; Friday 25th is a holiday
    due = CALENDAR.add(christmas_eve, timedelta(hours=2))
    assert in_local(due) == datetime(2026, 12, 28, 10, 0)  # Monday


def test_daylight_saving_both_ways_keeps_the_wall_clock_window() -> None:
    before_spring = local(2026, 3, 27, 16, 0)  # Friday; clocks go forward on Sunday 29th
    assert in_local(CALENDAR.add(before_spring, timedelta(hours=2))) == datetime(2026, 3, 30, 10, 0)
    before_autumn = local(2026, 10, 23, 16, 0)  # Friday; clocks go back on Sunday 25th
    assert in_local(CALENDAR.add(before_autumn, timedelta(hours=2))) == datetime(
        2026, 10, 26, 10, 0
    )
    # And eight hours of business time on the Monday are eight real hours.
    monday = local(2026, 3, 30, 9, 0)
    assert CALENDAR.elapsed(monday, local(2026, 3, 30, 17, 0)) == timedelta(hours=8)


def test_around_the_clock_is_plain_arithmetic() -> None:
    saturday = datetime(2026, 11, 28, 23, 0, tzinfo=UTC)
    deadlines = Deadlines(CALENDAR, around_the_clock=True)
    assert deadlines.after(saturday, timedelta(minutes=15)) == saturday + timedelta(minutes=15)
    assert deadlines.may_send(saturday)
    assert not Deadlines(CALENDAR, around_the_clock=False).may_send(saturday)


def test_next_business_day_end() -> None:
    friday = local(2026, 11, 27, 16, 0)
    assert in_local(CALENDAR.next_business_day_end(friday)) == datetime(2026, 11, 30, 17, 0)


instants = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
)
calendars = st.builds(
    BusinessCalendar,
    tz=st.sampled_from([BERLIN, NEW_YORK, ZoneInfo("UTC"), ZoneInfo("Australia/Sydney")]),
    days=st.frozensets(st.integers(0, 6), min_size=1),
    start=st.sampled_from([time(0, 0), time(8, 0), time(9, 0), time(9, 30)]),
    end=st.sampled_from([time(17, 0), time(18, 30), time(23, 59)]),
    holidays=st.frozensets(
        st.dates(min_value=date(2025, 1, 1), max_value=date(2028, 12, 31)), max_size=30
    ),
)
part_of_a_day = st.timedeltas(min_value=timedelta(minutes=1), max_value=timedelta(hours=23))


@settings(max_examples=300, deadline=None)
@given(calendar=calendars, at=instants, duration=part_of_a_day)
def test_hours_added_are_the_business_time_elapsed(
    calendar: BusinessCalendar, at: datetime, duration: timedelta
) -> None:
    due = calendar.add(at, duration)
    assert due > at
    assert calendar.is_open(due)
    assert calendar.elapsed(at, due) == duration


@settings(max_examples=200, deadline=None)
@given(calendar=calendars, at=instants, first=part_of_a_day, second=part_of_a_day)
def test_a_longer_duration_is_never_due_earlier(
    calendar: BusinessCalendar, at: datetime, first: timedelta, second: timedelta
) -> None:
    shorter, longer = sorted((first, second))
    assert calendar.add(at, shorter) <= calendar.add(at, longer)


@settings(max_examples=200, deadline=None)
@given(calendar=calendars, at=instants, days=st.integers(1, 10))
def test_whole_days_land_in_business_hours_on_a_later_business_day(
    calendar: BusinessCalendar, at: datetime, days: int
) -> None:
    due = calendar.add(at, timedelta(days=days))
    start_day = calendar.next_open(at).astimezone(calendar.tz).date()
    due_day = due.astimezone(calendar.tz).date()
    assert calendar.is_open(due)
    assert calendar.is_business_day(due_day)
    business_days_between = sum(
        calendar.is_business_day(start_day + timedelta(days=n))
        for n in range(1, (due_day - start_day).days + 1)
    )
    assert business_days_between == days
