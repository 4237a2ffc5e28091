"""An incoming request as the inbox holds it: the platform's payload under its own identity."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class InboxStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"  # its handler kept failing; kept for the admin, never run again


@dataclass(frozen=True, slots=True)
class Received:
    """A verified request to store before acknowledging it.

    `key` is the platform's own identity of the request (Slack's event_id or trigger_id, a
    Teams activity id), so a redelivery of the same request is recognised and stored once.
    """

    key: str
    platform: str
    kind: str
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class InboxItem:
    """A stored request claimed by a worker."""

    id: int
    key: str
    platform: str
    kind: str
    payload: dict[str, Any]
    received_at: datetime
    attempts: int
