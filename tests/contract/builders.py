"""Small builders of flags and themes for the contract tests."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from bot.flags.models import CustomerRef, CustomerRefKind, Flag, FlagKind, FlagStatus, Severity
from bot.messages import Conversation, MessageRef, Person, Where
from bot.themes.models import Theme

PLATFORM = "slack"
WORKSPACE = "T0001"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def person(user_id: str, name: str = "", workspace_id: str = WORKSPACE) -> Person:
    return Person(PLATFORM, workspace_id, user_id, name)


def channel(channel_id: str, workspace_id: str = WORKSPACE) -> Conversation:
    return Conversation(PLATFORM, workspace_id, channel_id)


def make_flag(number: int, *, workspace_id: str = WORKSPACE, **changes: Any) -> Flag:
    """A minimal open escalation by U1 in #support, created at T0 + number minutes."""
    flag = Flag(
        workspace_id=workspace_id,
        number=number,
        kind=FlagKind.ESCALATE,
        summary=f"customer problem {number}",
        severity=Severity.NORMAL,
        reporter=person("U1", "Ana", workspace_id),
        origin=Where(channel("C-SUPPORT", workspace_id)),
        created_at=T0 + timedelta(minutes=number),
    )
    return dataclasses.replace(flag, **changes)


def full_flag(number: int, *, theme_id: int | None = None) -> Flag:
    """A flag with every optional field set, in a non-UTC timezone on the way in."""
    cet = datetime(2026, 3, 2, 11, 30, 15, 123456, tzinfo=timezone(timedelta(hours=1)))
    return make_flag(
        number,
        kind=FlagKind.RECURRING,
        summary="SSO login loops after password reset — ünïcode ✓",
        severity=Severity.HIGH,
        status=FlagStatus.RESOLVED,
        origin=Where(
            channel("C-SUPPORT"), thread_id="1700000000.000100", message_id="1700.2", private=True
        ),
        created_at=cet,
        customer_refs=(
            CustomerRef(CustomerRefKind.TICKET, "ZD-9912"),
            CustomerRef(CustomerRefKind.NUMBER, "#4411"),
            CustomerRef(CustomerRefKind.URL, "https://support.example.com/tickets/4411?a=b:c"),
            CustomerRef(CustomerRefKind.CUSTOMER, "acme: the big one"),
        ),
        theme_id=theme_id,
        post=MessageRef(channel("C-ESCALATIONS"), "1700000000.000200", "1700000000.000150"),
        acknowledged_by=person("U2", "Bo"),
        acknowledged_at=cet + timedelta(minutes=5),
        resolved_by=person("U3", "Cy"),
        resolved_at=cet + timedelta(hours=2),
        resolution_note="fixed in 4.2",
        last_customer_update_at=cet + timedelta(minutes=30),
        update_due_at=cet + timedelta(hours=4),
        snoozed_until=cet + timedelta(hours=1),
        ack_due_at=cet + timedelta(minutes=15),
        ack_steps=2,
        ack_next_at=cet + timedelta(minutes=45),
        update_steps=1,
        update_next_at=cet + timedelta(hours=5),
        silent_since=cet + timedelta(hours=4),
        embedding=bytes(range(256)) * 3,
    )


def make_theme(slug: str, *, created_at: datetime = T0, **changes: Any) -> Theme:
    theme = Theme(
        workspace_id=WORKSPACE, slug=slug, name=slug.replace("-", " "), created_at=created_at
    )
    return dataclasses.replace(theme, **changes)
