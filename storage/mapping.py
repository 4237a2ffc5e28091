"""Translation between domain objects and table rows.

A flag stores one platform and one workspace; its people and conversations take theirs from it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row

from bot.flags.models import (
    CustomerRef,
    EventKind,
    Flag,
    FlagKind,
    FlagStatus,
    Severity,
    TimelineEvent,
)
from bot.messages import Conversation, MessageRef, Person, Where
from bot.themes.models import Theme, ThemeStatus
from storage.tables import FlagRow, ThemeRow, TimelineEventRow


def _person(
    platform: str, workspace_id: str, user_id: str | None, name: str | None
) -> Person | None:
    if user_id is None:
        return None
    return Person(platform, workspace_id, user_id, name or "")


def _message_ref(
    conversation: Conversation | None, message_id: str | None, thread_id: str | None
) -> MessageRef | None:
    if conversation is None or message_id is None:
        return None
    return MessageRef(conversation, message_id, thread_id)


def flag_values(flag: Flag) -> dict[str, Any]:
    """The column values of `flag` (the id excepted)."""
    return {
        "workspace_id": flag.workspace_id,
        "number": flag.number,
        "kind": flag.kind.value,
        "summary": flag.summary,
        "severity": flag.severity.value,
        "status": flag.status.value,
        "platform": flag.platform,
        "reporter_id": flag.reporter.user_id,
        "reporter_name": flag.reporter.display_name,
        "origin_channel_id": flag.origin.conversation.channel_id,
        "origin_thread_id": flag.origin.thread_id,
        "origin_message_id": flag.origin.message_id,
        "origin_private": flag.origin.private,
        "embedding": flag.embedding,
        "joined_to_id": flag.joined_to,
        "joined_count": flag.joined_count,
        "ack_seconds": flag.ack_seconds,
        "customer_refs": [ref.encode() for ref in flag.customer_refs],
        "theme_id": flag.theme_id,
        "post_channel_id": flag.post.conversation.channel_id if flag.post else None,
        "post_message_id": flag.post.message_id if flag.post else None,
        "post_thread_id": flag.post.thread_id if flag.post else None,
        "acknowledged_by_id": flag.acknowledged_by.user_id if flag.acknowledged_by else None,
        "acknowledged_by_name": flag.acknowledged_by.display_name if flag.acknowledged_by else None,
        "acknowledged_at": flag.acknowledged_at,
        "resolved_by_id": flag.resolved_by.user_id if flag.resolved_by else None,
        "resolved_by_name": flag.resolved_by.display_name if flag.resolved_by else None,
        "resolved_at": flag.resolved_at,
        "resolution_note": flag.resolution_note,
        "last_customer_update_at": flag.last_customer_update_at,
        "update_due_at": flag.update_due_at,
        "snoozed_until": flag.snoozed_until,
        "ack_due_at": flag.ack_due_at,
        "ack_steps": flag.ack_steps,
        "ack_next_at": flag.ack_next_at,
        "update_steps": flag.update_steps,
        "update_next_at": flag.update_next_at,
        "silent_since": flag.silent_since,
        "alarm_at": flag.alarm_at,
        "created_at": flag.created_at,
    }


def write_flag(flag: Flag, row: FlagRow) -> None:
    """Copy every field of `flag` onto `row` (the id excepted)."""
    for column, value in flag_values(flag).items():
        setattr(row, column, value)


def read_flag(row: FlagRow | Row[Any]) -> Flag:
    """Rebuild the domain flag stored in `row` (an ORM row or a Core row of `flags`)."""
    platform, workspace_id = row.platform, row.workspace_id

    post_conversation = (
        Conversation(platform, workspace_id, row.post_channel_id)
        if row.post_channel_id is not None
        else None
    )
    return Flag(
        id=row.id,
        workspace_id=workspace_id,
        number=row.number,
        kind=FlagKind(row.kind),
        summary=row.summary,
        severity=Severity(row.severity),
        status=FlagStatus(row.status),
        reporter=Person(platform, workspace_id, row.reporter_id, row.reporter_name),
        origin=Where(
            Conversation(platform, workspace_id, row.origin_channel_id),
            row.origin_thread_id,
            row.origin_message_id,
            private=bool(row.origin_private),
        ),
        created_at=row.created_at,
        customer_refs=tuple(CustomerRef.decode(text) for text in row.customer_refs),
        theme_id=row.theme_id,
        post=_message_ref(post_conversation, row.post_message_id, row.post_thread_id),
        acknowledged_by=_person(
            platform, workspace_id, row.acknowledged_by_id, row.acknowledged_by_name
        ),
        acknowledged_at=row.acknowledged_at,
        resolved_by=_person(platform, workspace_id, row.resolved_by_id, row.resolved_by_name),
        resolved_at=row.resolved_at,
        resolution_note=row.resolution_note,
        last_customer_update_at=row.last_customer_update_at,
        update_due_at=row.update_due_at,
        snoozed_until=row.snoozed_until,
        ack_due_at=row.ack_due_at,
        ack_steps=row.ack_steps,
        ack_next_at=row.ack_next_at,
        update_steps=row.update_steps,
        update_next_at=row.update_next_at,
        silent_since=row.silent_since,
        embedding=row.embedding,
        joined_to=row.joined_to_id,
        joined_count=row.joined_count,
        ack_seconds=row.ack_seconds,
    )


def event_values(event: TimelineEvent) -> dict[str, Any]:
    """The column values of a new timeline event row."""
    return {
        "flag_id": event.flag_id,
        "at": event.at,
        "kind": event.kind.value,
        "actor_id": event.actor.user_id if event.actor else None,
        "actor_name": event.actor.display_name if event.actor else None,
        "detail": event.detail,
    }


def read_event(row: TimelineEventRow, platform: str, workspace_id: str) -> TimelineEvent:
    """Rebuild a timeline event; the actor lives on the flag's platform and workspace."""
    return TimelineEvent(
        id=row.id,
        flag_id=row.flag_id,
        at=row.at,
        kind=EventKind(row.kind),
        actor=_person(platform, workspace_id, row.actor_id, row.actor_name),
        detail=row.detail,
    )


def write_theme(theme: Theme, row: ThemeRow) -> None:
    """Copy every field of `theme` onto `row` (the id excepted)."""
    owner, post = theme.owner_channel, theme.post
    row.workspace_id = theme.workspace_id
    row.slug = theme.slug
    row.name = theme.name
    row.status = theme.status.value
    row.owner_platform = owner.platform if owner else None
    row.owner_channel_id = owner.channel_id if owner else None
    row.post_platform = post.conversation.platform if post else None
    row.post_channel_id = post.conversation.channel_id if post else None
    row.post_message_id = post.message_id if post else None
    row.post_thread_id = post.thread_id if post else None
    row.status_note = theme.status_note
    row.status_changed_at = theme.status_changed_at
    row.created_at = theme.created_at
    row.rule_name = theme.rule
    row.routed_at = theme.routed_at
    row.fixed_at = theme.fixed_at
    row.fixed_in = theme.fixed_in
    row.merged_into_id = theme.merged_into
    row.title_private = theme.title_private
    row.nudge_at = theme.nudge_at
    row.regressed_at = theme.regressed_at
    row.loop_closed_at = theme.loop_closed_at


def read_theme(row: ThemeRow) -> Theme:
    """Rebuild the domain theme stored in `row`."""
    owner = (
        Conversation(row.owner_platform, row.workspace_id, row.owner_channel_id)
        if row.owner_platform is not None and row.owner_channel_id is not None
        else None
    )
    post_conversation = (
        Conversation(row.post_platform, row.workspace_id, row.post_channel_id)
        if row.post_platform is not None and row.post_channel_id is not None
        else None
    )
    return Theme(
        id=row.id,
        workspace_id=row.workspace_id,
        slug=row.slug,
        name=row.name,
        created_at=row.created_at,
        status=ThemeStatus(row.status),
        owner_channel=owner,
        post=_message_ref(post_conversation, row.post_message_id, row.post_thread_id),
        status_note=row.status_note,
        status_changed_at=row.status_changed_at,
        rule=row.rule_name,
        routed_at=row.routed_at,
        fixed_at=row.fixed_at,
        fixed_in=row.fixed_in,
        merged_into=row.merged_into_id,
        title_private=bool(row.title_private),
        nudge_at=row.nudge_at,
        regressed_at=row.regressed_at,
        loop_closed_at=row.loop_closed_at,
    )
