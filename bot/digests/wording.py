"""How digests name the week they report on."""

from __future__ import annotations

from datetime import timedelta

from bot.digests.periods import Week

DASH = "\N{EN DASH}"


def week_words(week: Week) -> str:
    """`week 47, 16-22 Nov 2026` (an en dash), or `30 Nov - 6 Dec 2026` across months."""
    monday = week.monday
    sunday = monday + timedelta(days=6)
    if monday.month == sunday.month:
        span = f"{monday.day}{DASH}{sunday.day} {sunday:%b %Y}"
    else:
        span = f"{monday.day} {monday:%b} {DASH} {sunday.day} {sunday:%b %Y}"
    return f"week {week.number}, {span}"
