"""Durations as people write them in config and commands: `30s`, `15m`, `4h`, `2d`, `1h30m`."""

from __future__ import annotations

import re
from datetime import timedelta

_PART = re.compile(r"(\d{1,6})\s*([smhdw])", re.IGNORECASE)
_WHOLE = re.compile(r"^\s*(?:\d{1,6}\s*[smhdw]\s*)+$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
MAX_DURATION = timedelta(days=366)


def parse_duration(text: str) -> timedelta:
    """Parse `30s`, `15m`, `4h`, `2d`, `1w` or combinations like `1h30m`; raise ValueError."""
    if not isinstance(text, str) or not _WHOLE.match(text):
        raise ValueError(
            f"{text!r} is not a duration; write a number and a unit, like 30s, 15m, 4h or 2d"
        )
    seconds = sum(int(n) * _UNIT_SECONDS[u.lower()] for n, u in _PART.findall(text))
    if seconds <= 0:
        raise ValueError(f"{text!r} is not a positive duration")
    delta = timedelta(seconds=seconds)
    if delta > MAX_DURATION:
        raise ValueError(f"{text!r} is longer than a year")
    return delta


def format_duration(delta: timedelta) -> str:
    """Render a duration compactly for people: `6 min`, `2h 5m`, `3d 4h`."""
    total = int(delta.total_seconds())
    if total < 60:
        return f"{max(total, 0)} s"
    minutes, _ = divmod(total, 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h" if hours else f"{days}d"


def span(delta: timedelta) -> str:
    """`6 min`, `2h 5m`; `under a minute` rather than `0 s`."""
    if delta < timedelta(minutes=1):
        return "under a minute"
    return format_duration(delta)


def after(delta: timedelta) -> str:
    """`after 6 min`; `within a minute` rather than `after 0 s`."""
    if delta < timedelta(minutes=1):
        return "within a minute"
    return f"after {format_duration(delta)}"


def ago(delta: timedelta) -> str:
    """`6 min ago`; `just now` rather than `0 s ago`."""
    if delta < timedelta(minutes=1):
        return "just now"
    return f"{format_duration(delta)} ago"
