"""Digest weeks in the configured time zone: ISO weeks, due times, daylight saving."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.config.digests import DigestSchedule
from bot.digests.periods import Week, due_at, latest_due

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY_9 = DigestSchedule(day=0, time=time(9, 0))


def test_a_week_parses_prints_and_shifts_across_years() -> None:
    week = Week.parse("2026-w53")
    assert week.key == "2026-W53" and week.shifted(1).key == "2027-W01"
    assert Week.parse(" 2026-W47 ").monday.isoformat() == "2026-11-16"
    for bad, said in (("2026-47", "write it like 2026-W47"), ("2025-W53", "2025 has no week 53")):
        with pytest.raises(ValueError, match=said):
            Week.parse(bad)


def test_bounds_are_local_midnights_and_a_dst_week_is_167_hours() -> None:
    start, end = Week.parse("2026-W47").bounds(BERLIN)
    assert start == datetime(2026, 11, 15, 23, 0, tzinfo=UTC) and end - start == timedelta(days=7)
    spring = Week.parse("2026-W13")  # Sunday 29 March 2026: clocks go forward in Berlin
    start, end = spring.bounds(BERLIN)
    assert end - start == timedelta(hours=167)


def test_monday_9_sends_last_weeks_digest_and_not_before() -> None:
    week = Week.parse("2026-W47")
    assert due_at(week, MONDAY_9, BERLIN) == datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    just_before = datetime(2026, 11, 23, 7, 59, tzinfo=UTC)
    assert latest_due(just_before, MONDAY_9, BERLIN).key == "2026-W46"
    assert latest_due(just_before + timedelta(minutes=1), MONDAY_9, BERLIN).key == "2026-W47"
    friday = DigestSchedule(day=4, time=time(16, 30))
    assert latest_due(datetime(2026, 11, 24, 12, 0, tzinfo=UTC), friday, BERLIN).key == "2026-W46"
