"""Handle each Slack request once: retried events, replayed triggers and double clicks.

Keys are claimed in the database (`processed_keys`), so the guarantee holds across restarts
and replicas. Slack retries an event up to three times within about five minutes; the keys
are kept for `bot.due.IDEMPOTENCY_RETENTION` (24 h), well over the `MIN_RETENTION` needed.
"""

from __future__ import annotations

import math
from datetime import timedelta

from adapters.slack.payloads import ButtonPress
from bot.core import Core

MIN_RETENTION = timedelta(minutes=15)
CLICK_WINDOW_SECONDS = 5  # presses of one button by one person this close together are one


class Deduplicator:
    """Claims request identities; a claim that was made before means "already handled"."""

    def __init__(self, core: Core) -> None:
        self._core = core

    async def first_time(self, *keys: str) -> bool:
        """Claim every key; True only when none of them had been claimed before."""
        async with self._core.uow() as uow:
            fresh = [await uow.idempotency.claim(key, self._core.clock.now()) for key in keys]
            await uow.commit()
        return all(fresh)


def event_key(team_id: str, event_id: str) -> str:
    return f"slack:{team_id}:event:{event_id}"


def trigger_key(team_id: str, trigger_id: str) -> str:
    return f"slack:{team_id}:trigger:{trigger_id}"


def view_key(team_id: str, view_id: str) -> str:
    return f"slack:{team_id}:view:{view_id}"


def press_keys(press: ButtonPress) -> tuple[str, ...]:
    """Keys of one button press: its trigger, and its click window and the one before.

    A double click yields two payloads with different triggers a moment apart; claiming the
    press's time window and the previous one makes any two presses of the same button by the
    same person within CLICK_WINDOW_SECONDS collide, wherever the window boundary falls.
    """
    try:
        at = float(press.action_ts)
    except ValueError:
        at = 0.0
    window = math.floor(at / CLICK_WINDOW_SECONDS) if math.isfinite(at) else 0
    identity = (
        f"slack:{press.actor.team_id}:press:{press.actor.user_id}:{press.action_id}:"
        f"{press.value}:{press.container}"
    )
    return (
        trigger_key(press.actor.team_id, press.trigger_id),
        f"{identity}:{window}",
        f"{identity}:{window - 1}",
    )
