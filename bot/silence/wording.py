"""How deadlines read: `update due Mon 10:56`, `overdue by 25 min`, `overdue since 10:56`."""

from __future__ import annotations

from datetime import datetime, tzinfo

from bot.durations import span


def local_time(at: datetime, tz: tzinfo) -> str:
    """A moment as people read it in the configured time zone: `Mon 30 Nov 10:56`."""
    return at.astimezone(tz).strftime("%a %d %b %H:%M")


def due_words(due: datetime, now: datetime, tz: tzinfo) -> str:
    """`due Mon 30 Nov 10:56`, or `overdue by 25 min` once it has passed (for now only)."""
    if due > now:
        return f"due {local_time(due, tz)}"
    return f"*overdue by {span(now - due)}*"


def standing_words(due: datetime, now: datetime, tz: tzinfo) -> str:
    """For text that stays up (a post): `due …`, or `overdue since …`, true until it changes."""
    if due > now:
        return f"due {local_time(due, tz)}"
    return f"⏰ *overdue since {local_time(due, tz)}*"
