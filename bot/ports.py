"""The ports through which the core talks to the world: chat, storage and time.

Implementations live elsewhere: chat gateways in `adapters/`, repositories in `storage/`
(and in-memory fakes in `tests/fakes/`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol, Self

from bot.digests.models import DigestKind, DigestRecord, FlowWeek, Quote
from bot.flags.models import Flag, TimelineEvent
from bot.inbox.models import InboxItem, Received
from bot.messages import Conversation, Message, MessageRef, Person
from bot.outbox.models import Delivery, DeliveryStatus, Outgoing, StuckDelivery
from bot.themes.models import Theme, ThemeActivity


class ChatGateway(Protocol):
    """Every outgoing message leaves through here, whatever the platform.

    Only the outbox's delivery worker calls it. A failure raises `DeliveryError`, saying
    whether it is worth retrying, after how long, and whether the message may exist anyway.
    `marker` (the outbox id) is attached where the platform allows, for `find_sent`.
    """

    async def post(
        self, conversation: Conversation, message: Message, *, marker: str | None = None
    ) -> MessageRef:
        """Post a new top-level message in a channel or chat."""
        ...

    async def reply(
        self, thread: MessageRef, message: Message, *, marker: str | None = None
    ) -> MessageRef:
        """Reply in the thread (Slack) or reply chain (Teams) of `thread`."""
        ...

    async def update(self, ref: MessageRef, message: Message) -> None:
        """Replace a message the bot posted earlier, in place."""
        ...

    async def direct_message(
        self, person: Person, message: Message, *, marker: str | None = None
    ) -> MessageRef | None:
        """Send a private message to one person."""
        ...

    async def answer(self, person: Person, route: Mapping[str, str], message: Message) -> None:
        """Answer the person who acted, where `route` (made by this platform's adapter) says."""
        ...

    async def find_sent(self, outgoing: Outgoing, marker: str, since: datetime) -> SentLookup:
        """Look for a message sent with `marker` since `since`, after an uncertain failure."""
        ...

    async def permalink(self, ref: MessageRef) -> str | None:
        """A link people can click to open `ref`, when the platform has one."""
        ...


@dataclass(frozen=True, slots=True)
class SentLookup:
    """What a platform knows of a message whose sending ended uncertainly."""

    known: bool  # False: the platform cannot tell (no history to search)
    ref: MessageRef | None = None  # the message, when it was found


class FlagRepository(Protocol):
    async def next_number(self, workspace_id: str) -> int:
        """Reserve the next flag number of a workspace (never reused, never duplicated)."""
        ...

    async def reserve_number(self, workspace_id: str) -> int:
        """The next flag number, reserved at once where the database can (PostgreSQL: in a
        transaction of its own), so flags raised together do not wait for each other's
        commits. A flag rolled back after this leaves a gap in the numbers, never a duplicate.
        Where it cannot (SQLite, one writer), this is `next_number`."""
        ...

    async def add(self, flag: Flag) -> Flag:
        """Store a new flag; returns it with `id` set."""
        ...

    async def save(self, flag: Flag) -> None:
        """Store changes to an existing flag."""
        ...

    async def get(self, workspace_id: str, number: int) -> Flag | None: ...

    async def get_by_id(self, flag_id: int) -> Flag | None: ...

    async def find_by_post(self, conversation: Conversation, message_id: str) -> Flag | None:
        """The flag whose escalation post is `message_id` in `conversation`."""
        ...

    async def list_open_for_person(self, workspace_id: str, user_id: str) -> Sequence[Flag]:
        """Open flags the person reported or owns, oldest first."""
        ...

    async def list_awaiting_ack(self, workspace_id: str) -> Sequence[Flag]:
        """Open escalations nobody has acknowledged yet, oldest first."""
        ...

    async def first_of_themes(self, theme_ids: Sequence[int]) -> dict[int, Flag]:
        """Each theme's first flag (the one its name came from), by theme id."""
        ...

    async def list_joined(self, flag_id: int) -> Sequence[Flag]:
        """The escalations that joined this one (a burst), oldest first."""
        ...

    async def page(self, after_id: int, limit: int) -> Sequence[Flag]:
        """Flags of every workspace with an id above `after_id`, in id order (exports)."""
        ...

    async def list_embedded_after(
        self, workspace_id: str, after_id: int, limit: int
    ) -> Sequence[tuple[int, int, bytes]]:
        """(flag id, theme id, embedding) of themed flags with an embedding, id above `after_id`,
        in id order, at most `limit`."""
        ...

    async def list_for_theme(self, theme_id: int) -> Sequence[Flag]:
        """Every flag of a theme, oldest first."""
        ...

    async def count_by_theme_since(
        self, theme_ids: Sequence[int], since: datetime
    ) -> dict[int, int]:
        """How many flags each theme got after `since` (0 for a theme with none)."""
        ...

    async def theme_activity(self, theme_id: int, since: datetime) -> ThemeActivity:
        """The theme's flags created after `since`: how many, distinct reporters, distinct
        customer refs."""
        ...

    async def list_created_between(
        self, workspace_id: str, start: datetime, end: datetime
    ) -> Sequence[Flag]:
        """Flags created in [start, end), oldest first."""
        ...

    async def list_open(self, workspace_id: str) -> Sequence[Flag]:
        """Every open flag of a workspace, oldest first."""
        ...

    async def claim_due(self, now: datetime, limit: int) -> Sequence[Flag]:
        """Up to `limit` flags whose `alarm_at` is at or before `now`, earliest first, held
        until the unit of work ends; ones another transaction holds are skipped."""
        ...

    async def next_alarm_at(self) -> datetime | None:
        """The earliest `alarm_at` of any flag (the console's clock stops there)."""
        ...


class TimelineRepository(Protocol):
    async def add(self, event: TimelineEvent) -> None: ...

    async def list_for(self, flag_id: int) -> Sequence[TimelineEvent]:
        """A flag's events in the order they happened."""
        ...


class ThemeRepository(Protocol):
    async def decide_alone(self, workspace_id: str) -> None:
        """Hold the workspace's theme decisions until this unit of work ends: another
        transaction placing a flag in the same workspace waits, then sees this one's themes
        and flags (two flags of one new problem make one theme, not two or a duplicate)."""
        ...

    async def add(self, theme: Theme) -> Theme: ...

    async def save(self, theme: Theme) -> None: ...

    async def get(self, theme_id: int) -> Theme | None: ...

    async def get_by_slug(self, workspace_id: str, slug: str) -> Theme | None: ...

    async def claim_due_nudges(self, now: datetime, limit: int) -> Sequence[Theme]:
        """Themes whose nudge is due, earliest first, locked until commit (others skip them)."""
        ...

    async def next_nudge_at(self) -> datetime | None:
        """The earliest nudge of any routed theme."""
        ...

    async def list_all(self, workspace_id: str) -> Sequence[Theme]:
        """Every theme of a workspace, newest first."""
        ...


class SilenceBreachRepository(Protocol):
    """Update deadlines missed, kept at team level for the flow digest (never per person)."""

    async def start(self, flag: Flag, at: datetime) -> None:
        """The flag's update deadline passed at `at`: a breach begins."""
        ...

    async def end(self, flag_id: int, at: datetime) -> None:
        """The customer heard from us (or the flag was resolved): the flag's breach ends."""
        ...


class DigestRepository(Protocol):
    """Digests sent (one per channel, kind and week) and the figures they report, in SQL."""

    async def claim(self, record: DigestRecord) -> int | None:
        """Record the digest as sent; its id, or None when it already was (elsewhere, or before).
        Claimed in the transaction that records its messages, so both happen or neither."""
        ...

    async def is_claimed(
        self, kind: DigestKind, conversation: Conversation, period: str
    ) -> bool: ...

    async def get(self, digest_id: int) -> DigestRecord | None: ...

    async def save_post(self, digest_id: int, ref: MessageRef) -> None:
        """The digest's message was delivered as `ref` (its chart goes in its thread)."""
        ...

    async def workspaces(self) -> list[tuple[str, str]]:
        """(platform, workspace id) of every workspace with flags."""
        ...

    async def first_flag_at(self, workspace_id: str) -> datetime | None:
        """When the workspace's first flag was raised (digests start from its week)."""
        ...

    async def theme_weeks(
        self, workspace_id: str, bounds: Sequence[datetime]
    ) -> dict[int, list[int]]:
        """Flags per theme in each [bounds[i], bounds[i+1]); themes without any are left out."""
        ...

    async def theme_customers(
        self, workspace_id: str, start: datetime, end: datetime
    ) -> dict[int, int]:
        """Distinct customers on each theme's flags raised in [start, end)."""
        ...

    async def theme_quotes(
        self, theme_ids: Sequence[int], start: datetime, end: datetime, per_theme: int
    ) -> dict[int, list[Quote]]:
        """Up to `per_theme` of each theme's latest quotable flags raised in [start, end)."""
        ...

    async def flow(self, workspace_id: str, start: datetime, end: datetime) -> FlowWeek:
        """The team's figures for [start, end)."""
        ...


class IdempotencyRepository(Protocol):
    async def claim(self, key: str, at: datetime) -> bool:
        """Record `key` as processed; False when it was already claimed (a retry or duplicate)."""
        ...

    async def purge_before(self, before: datetime) -> int:
        """Forget keys claimed before `before`; returns how many were removed."""
        ...


class ConversationReferenceRepository(Protocol):
    """Saved references to conversations, for proactive messages (Teams `continue_conversation`)."""

    async def put(self, platform: str, key: str, reference: dict[str, Any], at: datetime) -> None:
        """Insert or replace the reference stored under (platform, key)."""
        ...

    async def get(self, platform: str, key: str) -> dict[str, Any] | None: ...


class InboxRepository(Protocol):
    """Incoming requests stored before they are acknowledged, and claimed by workers."""

    async def accept(self, requests: Sequence[Received], at: datetime) -> list[bool]:
        """Store each request; False for one whose key is already stored (a redelivery)."""
        ...

    async def claim(
        self, owner: str, now: datetime, lease_until: datetime, limit: int
    ) -> list[InboxItem]:
        """Lease up to `limit` pending requests, oldest first, skipping ones leased elsewhere."""
        ...

    async def finish(self, item_id: int, at: datetime) -> None:
        """Mark a request done (in the same transaction as the work it caused)."""
        ...

    async def failed_attempt(self, item_id: int, error: str, give_up: bool) -> None:
        """Record a failed run: released for another try, or given up for good."""
        ...

    async def release(self, owner: str | None) -> int:
        """Give back every lease `owner` holds (None: anyone's); returns how many."""
        ...

    async def depth(self) -> int:
        """How many requests wait to be run."""
        ...

    async def purge_finished_before(self, before: datetime) -> int:
        """Forget requests finished before `before`."""
        ...


class OutboxRepository(Protocol):
    """Outgoing messages, recorded by use cases and delivered by the delivery worker."""

    async def record(self, outgoing: Outgoing, at: datetime) -> None:
        """Record a message to deliver, written with the unit of work (what use cases call)."""
        ...

    async def supersede_updates(self, order_key: str, at: datetime) -> int:
        """Skip the not-yet-started post updates of this order key (a newer one follows)."""
        ...

    async def add(self, outgoing: Outgoing, at: datetime) -> int:
        """Record a message to deliver and return its outbox id (written at once for that)."""
        ...

    async def claim(
        self,
        owner: str,
        now: datetime,
        lease_until: datetime,
        limit: int,
        busy_pace_keys: frozenset[str],
    ) -> list[Delivery]:
        """Lease deliverable messages: due, first of their order key, one per pace key.

        Claimed messages are stored as uncertain (a crash from here may leave them sent, so
        the next attempt looks first), except posts: those become uncertain when their send
        begins (`mark_begun`), since a post that cannot be looked up is then given up."""
        ...

    async def mark_begun(self, delivery_id: int) -> None:
        """The send of this claimed post begins: from now a crash leaves it uncertain."""
        ...

    async def mark_sent(self, delivery_id: int, ref: MessageRef | None, at: datetime) -> None: ...

    async def retry_later(
        self, delivery_id: int, at: datetime, error: str, *, uncertain: bool, counts: bool
    ) -> None:
        """Release the message for another attempt at `at`; `counts` spends an attempt."""
        ...

    async def give_up(
        self, delivery_id: int, status: DeliveryStatus, error: str, at: datetime
    ) -> None:
        """Finish the message undelivered (DEAD or SKIPPED)."""
        ...

    async def get_status(self, delivery_id: int) -> DeliveryStatus | None: ...

    async def post_state(self, flag_id: int) -> DeliveryStatus | None:
        """The state of the flag's escalation post in the outbox (None: never recorded)."""
        ...

    async def release(self, owner: str | None, *, unsent: Collection[int] = ()) -> int:
        """Give back every lease `owner` holds (None: anyone's); returns how many.

        `unsent`: messages whose attempt never began (no send, no look-up), so it cannot have
        made them: they lose the uncertainty their claim gave them.
        """
        ...

    async def stats(self, now: datetime) -> OutboxStats: ...

    async def dead_by_platform(self) -> dict[str, int]:
        """How many messages were given up, by platform (those with none are left out)."""
        ...

    async def list_stuck(self, limit: int) -> list[StuckDelivery]:
        """Undelivered messages, pending ones first, then given-up ones; oldest first."""
        ...

    async def retry_now(
        self,
        delivery_ids: Sequence[int] | None,
        at: datetime,
        *,
        searchable: Collection[str] = (),
    ) -> int:
        """Make given-up (or waiting) messages due again now; None: every given-up one.

        A given-up message that may have arrived after all (uncertain) is looked for first on
        the `searchable` platforms (those whose history can be searched), and on the others
        sent: the admin was told to retry it only once they saw it missing.
        """
        ...

    async def purge_finished_before(self, before: datetime) -> int: ...


@dataclass(frozen=True, slots=True)
class OutboxStats:
    """The outbox at a glance, for /metrics and /healthz."""

    pending: int
    due: int  # pending, due now and not waiting behind an earlier message of its order
    dead: int
    oldest_pending_at: datetime | None


class UnitOfWork(Protocol):
    """One transaction over all repositories; nothing is stored until `commit`."""

    flags: FlagRepository
    timeline: TimelineRepository
    themes: ThemeRepository
    breaches: SilenceBreachRepository
    digests: DigestRepository
    idempotency: IdempotencyRepository
    conversations: ConversationReferenceRepository
    inbox: InboxRepository
    outbox: OutboxRepository

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Roll back whatever was not committed."""
        ...


UnitOfWorkFactory = Callable[[], UnitOfWork]
