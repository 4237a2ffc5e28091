"""In-memory inbox and outbox, with the claim rules of `storage.inbox` and `storage.outbox`."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.inbox.models import InboxItem, InboxStatus, Received
from bot.messages import MessageRef
from bot.outbox.models import Delivery, DeliveryStatus, Outgoing, OutgoingKind, StuckDelivery
from bot.ports import OutboxStats

if TYPE_CHECKING:
    from tests.fakes.memory import InMemoryUnitOfWork


@dataclasses.dataclass
class InboxEntry:
    id: int
    request: Received
    received_at: datetime
    status: InboxStatus = InboxStatus.PENDING
    attempts: int = 0
    lease_owner: str | None = None
    lease_until: datetime | None = None
    finished_at: datetime | None = None
    last_error: str | None = None


@dataclasses.dataclass
class OutboxEntry:
    id: int
    outgoing: Outgoing
    created_at: datetime
    next_attempt_at: datetime
    status: DeliveryStatus = DeliveryStatus.PENDING
    attempts: int = 0
    uncertain: bool = False
    lease_owner: str | None = None
    lease_until: datetime | None = None
    finished_at: datetime | None = None
    delivered: MessageRef | None = None
    last_error: str | None = None


def _free(lease_until: datetime | None, now: datetime) -> bool:
    return lease_until is None or lease_until < now


class InMemoryInboxRepository:
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow

    def _entries(self) -> dict[int, InboxEntry]:
        state, changes = self._uow.begin()
        changes.queues = True
        return state.inbox

    async def accept(self, requests: Sequence[Received], at: datetime) -> list[bool]:
        entries = self._entries()
        stored = []
        for request in requests:
            if any(e.request.key == request.key for e in entries.values()):
                stored.append(False)
                continue
            entry_id = self._uow.store.next_id()
            entries[entry_id] = InboxEntry(entry_id, request, at)
            stored.append(True)
        return stored

    async def claim(
        self, owner: str, now: datetime, lease_until: datetime, limit: int
    ) -> list[InboxItem]:
        claimed: list[InboxItem] = []
        for entry in sorted(self._entries().values(), key=lambda e: e.id):
            if len(claimed) == limit:
                break
            if entry.status is InboxStatus.PENDING and _free(entry.lease_until, now):
                entry.lease_owner, entry.lease_until = owner, lease_until
                entry.attempts += 1
                r = entry.request
                claimed.append(
                    InboxItem(
                        entry.id,
                        r.key,
                        r.platform,
                        r.kind,
                        dict(r.payload),
                        entry.received_at,
                        entry.attempts,
                    )
                )
        return claimed

    async def finish(self, item_id: int, at: datetime) -> None:
        entry = self._entries()[item_id]
        entry.status, entry.finished_at = InboxStatus.DONE, at
        entry.lease_owner = entry.lease_until = None

    async def failed_attempt(self, item_id: int, error: str, give_up: bool) -> None:
        entry = self._entries()[item_id]
        entry.lease_owner = entry.lease_until = None
        entry.last_error = error
        if give_up:
            entry.status = InboxStatus.FAILED

    async def release(self, owner: str | None) -> int:
        released = 0
        for entry in self._entries().values():
            held = entry.lease_owner is not None and owner in (None, entry.lease_owner)
            if held and entry.status is InboxStatus.PENDING:
                entry.lease_owner = entry.lease_until = None
                released += 1
        return released

    async def depth(self) -> int:
        return sum(e.status is InboxStatus.PENDING for e in self._entries().values())

    async def purge_finished_before(self, before: datetime) -> int:
        entries = self._entries()
        old = [
            i
            for i, e in entries.items()
            if e.status is not InboxStatus.PENDING and e.finished_at and e.finished_at < before
        ]
        for i in old:
            del entries[i]
        return len(old)


class InMemoryOutboxRepository:
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow

    def _entries(self) -> dict[int, OutboxEntry]:
        state, changes = self._uow.begin()
        changes.queues = True
        return state.outbox

    def _first_of_its_order(self, entry: OutboxEntry) -> bool:
        outgoing = entry.outgoing
        earlier = [
            e.outgoing
            for e in self._entries().values()
            if e.id < entry.id and e.status is DeliveryStatus.PENDING
        ]
        if any(e.order_key == outgoing.order_key for e in earlier):
            return False
        return not outgoing.waits_for_post or not any(
            e.kind is OutgoingKind.POST and e.flag_id == outgoing.flag_id for e in earlier
        )

    async def record(self, outgoing: Outgoing, at: datetime) -> None:
        await self.add(outgoing, at)

    async def supersede_updates(self, order_key: str, at: datetime) -> int:
        skipped = 0
        for entry in self._entries().values():
            if (
                entry.outgoing.order_key == order_key
                and entry.outgoing.kind is OutgoingKind.UPDATE
                and entry.status is DeliveryStatus.PENDING
                and entry.attempts == 0
                and _free(entry.lease_until, at)
            ):
                entry.status, entry.finished_at = DeliveryStatus.SKIPPED, at
                skipped += 1
        return skipped

    async def add(self, outgoing: Outgoing, at: datetime) -> int:
        entry_id = self._uow.store.next_id()
        self._entries()[entry_id] = OutboxEntry(entry_id, outgoing, at, at)
        return entry_id

    async def claim(
        self,
        owner: str,
        now: datetime,
        lease_until: datetime,
        limit: int,
        busy_pace_keys: frozenset[str],
    ) -> list[Delivery]:
        taken = set(busy_pace_keys)
        claimed: list[Delivery] = []
        for entry in sorted(self._entries().values(), key=lambda e: e.id):
            if len(claimed) == limit:
                break
            ready = (
                entry.status is DeliveryStatus.PENDING
                and entry.next_attempt_at <= now
                and _free(entry.lease_until, now)
                and self._first_of_its_order(entry)
            )
            pace = entry.outgoing.pace_key
            if not ready or (pace is not None and pace in taken):
                continue
            if pace is not None:
                taken.add(pace)
            claimed.append(
                Delivery(
                    entry.id,
                    entry.outgoing,
                    entry.attempts,
                    entry.created_at,
                    entry.uncertain,
                    entry.last_error,
                )
            )
            entry.lease_owner, entry.lease_until = owner, lease_until
            if entry.outgoing.kind is not OutgoingKind.POST:  # a post: when its send begins
                entry.uncertain = True
        return claimed

    async def mark_begun(self, delivery_id: int) -> None:
        self._entries()[delivery_id].uncertain = True

    async def mark_sent(self, delivery_id: int, ref: MessageRef | None, at: datetime) -> None:
        entry = self._entries()[delivery_id]
        entry.status, entry.finished_at, entry.delivered = DeliveryStatus.SENT, at, ref
        entry.lease_owner = entry.lease_until = None
        entry.uncertain = False

    async def retry_later(
        self, delivery_id: int, at: datetime, error: str, *, uncertain: bool, counts: bool
    ) -> None:
        entry = self._entries()[delivery_id]
        entry.next_attempt_at, entry.last_error, entry.uncertain = at, error, uncertain
        entry.attempts += 1 if counts else 0
        entry.lease_owner = entry.lease_until = None

    async def give_up(
        self, delivery_id: int, status: DeliveryStatus, error: str, at: datetime
    ) -> None:
        entry = self._entries()[delivery_id]
        entry.status, entry.last_error, entry.finished_at = status, error, at
        entry.lease_owner = entry.lease_until = None

    async def get_status(self, delivery_id: int) -> DeliveryStatus | None:
        entry = self._entries().get(delivery_id)
        return entry.status if entry is not None else None

    async def post_state(self, flag_id: int) -> DeliveryStatus | None:
        posts = [
            e
            for e in self._entries().values()
            if e.outgoing.flag_id == flag_id
            and e.outgoing.kind is OutgoingKind.POST
            and e.outgoing.records_post
        ]
        return max(posts, key=lambda e: e.id).status if posts else None

    async def release(self, owner: str | None, *, unsent: Collection[int] = ()) -> int:
        released = 0
        for entry in self._entries().values():
            held = entry.lease_owner is not None and owner in (None, entry.lease_owner)
            if held and entry.status is DeliveryStatus.PENDING:
                entry.lease_owner = entry.lease_until = None
                if entry.id in unsent:
                    entry.uncertain = False
                released += 1
        return released

    async def dead_by_platform(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for entry in self._entries().values():
            if entry.status is DeliveryStatus.DEAD:
                platform = entry.outgoing.platform
                counts[platform] = counts.get(platform, 0) + 1
        return counts

    async def stats(self, now: datetime) -> OutboxStats:
        pending = [e for e in self._entries().values() if e.status is DeliveryStatus.PENDING]
        due = [e for e in pending if e.next_attempt_at <= now and self._first_of_its_order(e)]
        dead = [e for e in self._entries().values() if e.status is DeliveryStatus.DEAD]
        oldest = min((e.created_at for e in pending), default=None)
        return OutboxStats(len(pending), len(due), len(dead), oldest)

    async def list_stuck(self, limit: int) -> list[StuckDelivery]:
        stuck = [
            e
            for e in self._entries().values()
            if e.status in (DeliveryStatus.PENDING, DeliveryStatus.DEAD)
        ]
        stuck.sort(key=lambda e: (e.status is not DeliveryStatus.PENDING, e.id))
        return [
            StuckDelivery(
                e.id,
                e.outgoing.platform,
                e.outgoing.purpose,
                e.status,
                e.attempts,
                e.created_at,
                e.next_attempt_at,
                e.last_error,
                e.outgoing.flag_id,
            )
            for e in stuck[:limit]
        ]

    async def retry_now(
        self,
        delivery_ids: Sequence[int] | None,
        at: datetime,
        *,
        searchable: Collection[str] = (),
    ) -> int:
        count = 0
        for entry in self._entries().values():
            chosen = (
                entry.status is DeliveryStatus.DEAD
                if delivery_ids is None
                else entry.id in delivery_ids
                and entry.status in (DeliveryStatus.PENDING, DeliveryStatus.DEAD)
            )
            if chosen:
                if (
                    entry.status is DeliveryStatus.DEAD
                    and entry.outgoing.platform not in searchable
                ):
                    entry.uncertain = False  # the admin looked: it is missing, send it
                entry.status, entry.next_attempt_at, entry.attempts = (
                    DeliveryStatus.PENDING,
                    at,
                    0,
                )
                entry.finished_at = None
                count += 1
        return count

    async def purge_finished_before(self, before: datetime) -> int:
        entries = self._entries()
        old = [
            i
            for i, e in entries.items()
            if e.status in (DeliveryStatus.SENT, DeliveryStatus.SKIPPED)
            and e.finished_at is not None
            and e.finished_at < before
        ]
        for i in old:
            del entries[i]
        return len(old)


def copy_entries(entries: dict[int, Any]) -> dict[int, Any]:
    return {i: dataclasses.replace(e) for i, e in entries.items()}
