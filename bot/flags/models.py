"""The flag domain: kinds, severities, customer refs, the flag itself and its timeline."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from bot.business_time import Deadlines
from bot.messages import MessageRef, Person, Where

FLAG_KEY = re.compile(r"^[Ff]-?(\d{1,9})$")


class FlagKind(StrEnum):
    RECURRING = "recurring"
    ESCALATE = "escalate"


class Severity(StrEnum):
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"


class FlagStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class CustomerRefKind(StrEnum):
    TICKET = "ticket"  # ZD-9912, JIRA-12
    NUMBER = "number"  # #4411
    URL = "url"  # https://support.example.com/tickets/4411
    CUSTOMER = "customer"  # customer:acme


@dataclass(frozen=True, slots=True)
class CustomerRef:
    """A pointer to the customer waiting on this: a ticket id, a ticket URL or a customer name."""

    kind: CustomerRefKind
    value: str

    @property
    def label(self) -> str:
        if self.kind is CustomerRefKind.CUSTOMER:
            return f"customer:{self.value}"
        return self.value

    @property
    def prefix(self) -> str | None:
        """The ticket system prefix (`ZD` of `ZD-9912`), if any."""
        if self.kind is CustomerRefKind.TICKET:
            return self.value.split("-", 1)[0].upper()
        return None

    @property
    def ticket_number(self) -> str | None:
        if self.kind is CustomerRefKind.TICKET:
            return self.value.split("-", 1)[1]
        if self.kind is CustomerRefKind.NUMBER:
            return self.value.lstrip("#")
        return None

    def encode(self) -> str:
        """A compact string form for storage: `kind:value`."""
        return f"{self.kind.value}:{self.value}"

    @classmethod
    def decode(cls, text: str) -> CustomerRef:
        kind, _, value = text.partition(":")
        return cls(CustomerRefKind(kind), value)


def flag_key(number: int) -> str:
    """The human id of a flag: `F-12`."""
    return f"F-{number}"


def parse_flag_number(value: str) -> int:
    """A flag number carried in a button value (`12`); ValueError for anything else."""
    if not value.isascii() or not value.isdigit() or not 0 < len(value) <= 9:
        raise ValueError(f"not a flag number: {value[:20]!r}")
    return int(value)


def parse_flag_key(text: str) -> int | None:
    """`F-12`, `f12`, `F12` → 12; anything else → None."""
    match = FLAG_KEY.match(text.strip())
    return int(match.group(1)) if match else None


@dataclass(slots=True)
class Flag:
    """Something an agent raised: a recurring problem or an escalation, maybe with customers."""

    workspace_id: str
    number: int
    kind: FlagKind
    summary: str
    severity: Severity
    reporter: Person
    origin: Where
    created_at: datetime
    customer_refs: tuple[CustomerRef, ...] = ()
    status: FlagStatus = FlagStatus.OPEN
    theme_id: int | None = None
    post: MessageRef | None = None
    acknowledged_by: Person | None = None
    acknowledged_at: datetime | None = None
    resolved_by: Person | None = None
    resolved_at: datetime | None = None
    resolution_note: str | None = None
    last_customer_update_at: datetime | None = None
    update_due_at: datetime | None = None
    snoozed_until: datetime | None = None
    # The silence clocks (bot.silence): when the escalation must be acknowledged, and each
    # ladder's progress: steps sent so far and when the sweep takes the next one.
    ack_due_at: datetime | None = None
    ack_steps: int = 0
    ack_next_at: datetime | None = None
    update_steps: int = 0
    update_next_at: datetime | None = None
    # Set while the customer update is overdue: since when (a silence breach).
    silent_since: datetime | None = None
    # The text's vector for theme matching (bot.themes.similarity), encoded by storage.
    embedding: bytes | None = None
    # Escalation bursts (bot.escalations.bursts): the escalation this one joined (its post is
    # theirs), and on that first one, how many joined it.
    joined_to: int | None = None
    joined_count: int = 0
    # Business time it took to be acknowledged (seconds), for the flow digest.
    ack_seconds: float | None = None
    id: int | None = None

    @property
    def key(self) -> str:
        return flag_key(self.number)

    @property
    def platform(self) -> str:
        return self.reporter.platform

    @property
    def is_open(self) -> bool:
        return self.status is not FlagStatus.RESOLVED

    @property
    def has_customer(self) -> bool:
        return bool(self.customer_refs)

    @property
    def owner(self) -> Person:
        """Who the update clock reminds: the acknowledger, else the reporter."""
        return self.acknowledged_by or self.reporter

    @property
    def alarm_at(self) -> datetime | None:
        """When the sweep next has something to do for this flag (indexed in storage)."""
        times = [at for at in (self.ack_next_at, self.update_next_at) if at is not None]
        return min(times) if times else None

    def start_clocks(
        self, now: datetime, deadlines: Deadlines, ack_within: timedelta, update_every: timedelta
    ) -> None:
        """Start the acknowledgement clock (escalations) and the update clock (customers)."""
        if self.kind is FlagKind.ESCALATE and self.is_open and self.acknowledged_by is None:
            self.ack_due_at = deadlines.after(now, ack_within)
            self.ack_steps = 0
            self.ack_next_at = self.ack_due_at
        self.restart_update_clock(now, deadlines, update_every)

    def join(self, lead: Flag) -> None:
        """This escalation joins `lead`'s post (a burst): the lead's acknowledgement covers it."""
        self.joined_to = lead.id
        self.ack_due_at = None
        self.ack_next_at = None
        self.ack_steps = 0

    def restart_update_clock(
        self, now: datetime, deadlines: Deadlines, update_every: timedelta
    ) -> None:
        """The customer is next due an update `update_every` from now (open flags with one)."""
        self.update_steps = 0
        if self.is_open and self.has_customer:
            self.update_due_at = deadlines.after(now, update_every)
            self.update_next_at = self.update_due_at
        else:
            self.update_due_at = None
            self.update_next_at = None

    def acknowledge(self, by: Person, now: datetime) -> bool:
        """Record an acknowledgement; True when `by` became the owner (the first ack)."""
        if self.acknowledged_by is not None or not self.is_open:
            return False
        self.acknowledged_by = by
        self.acknowledged_at = now
        self.status = FlagStatus.ACKNOWLEDGED
        self.ack_next_at = None  # the acknowledgement ladder stops
        if self.update_steps:
            # The update is overdue and its ladder had begun with the reporter: the new owner
            # is reminded at its next step, before any manager is (again).
            self.update_steps = 0
            if self.update_next_at is None:
                self.update_next_at = now  # the ladder was climbed: remind them now
        return True

    def record_customer_update(
        self, now: datetime, deadlines: Deadlines, update_every: timedelta
    ) -> datetime | None:
        """The customer heard from us: the clock restarts. Returns when silence began, if it had."""
        silent_since, self.silent_since = self.silent_since, None
        self.last_customer_update_at = now
        self.snoozed_until = None
        self.restart_update_clock(now, deadlines, update_every)
        return silent_since

    def snooze(self, until: datetime) -> None:
        """Hold update reminders until `until`; when overdue by then, they start over."""
        self.snoozed_until = until
        if self.update_next_at is None and self.update_due_at is None:
            return
        due = self.update_due_at
        if due is not None and due <= until:
            self.update_steps = 0  # the owner is reminded again at the end, then managers
            self.update_next_at = until
        elif self.update_next_at is not None and self.update_next_at < until:
            self.update_next_at = until

    def resolve(self, by: Person, now: datetime, note: str | None) -> datetime | None:
        """Close the flag: every clock stops. Returns when silence began, if it had."""
        silent_since, self.silent_since = self.silent_since, None
        self.status = FlagStatus.RESOLVED
        self.resolved_by = by
        self.resolved_at = now
        self.resolution_note = note
        self.update_due_at = None
        self.snoozed_until = None
        self.ack_next_at = None
        self.update_next_at = None
        return silent_since


class EventKind(StrEnum):
    FLAGGED = "flagged"
    POSTED = "posted"
    THEMED = "themed"
    ROUTED = "routed"  # its theme reached the threshold and went to the owning team
    THEME_STATUS = "theme_status"  # its theme's status changed (planned, fixed, …)
    ACKNOWLEDGED = "acknowledged"
    ACK_REPEATED = "ack_repeated"
    CUSTOMER_UPDATED = "customer_updated"
    ACK_OVERDUE = "ack_overdue"
    UPDATE_OVERDUE = "update_overdue"
    REMINDED = "reminded"
    NUDGED = "nudged"
    SNOOZED = "snoozed"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    JOINED = "joined"  # an escalation joined another's post (a burst)
    DELIVERY_FAILED = "delivery_failed"


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    """One line of a flag's end-to-end trail: who did what, when."""

    flag_id: int
    at: datetime
    kind: EventKind
    actor: Person | None = None
    detail: str = ""
    id: int | None = field(default=None, compare=False)
