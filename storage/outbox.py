"""Outgoing messages in the `outbox` table (`bot.outbox`), claimed with leases."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, case, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.messages import MessageRef
from bot.outbox.models import Delivery, DeliveryStatus, Outgoing, OutgoingKind, StuckDelivery
from bot.ports import OutboxStats
from storage.envelopes import outgoing_from_json, outgoing_to_json, ref_to_json
from storage.leases import (
    MAX_ERROR_CHARS,
    bulk_update,
    dialect_of,
    finishing,
    lease_is_free,
    rowcount,
    run_prebuilt,
    table_of,
)
from storage.outbox_turns import choose_statement, pending_in_turn, take_statement
from storage.pending import PendingWrites
from storage.tables import FlagRow, OutboxRow


class SqlOutboxRepository:
    """Outgoing messages in the `outbox` table."""

    def __init__(self, session: AsyncSession, pending: PendingWrites) -> None:
        self._session = session
        self._pending = pending  # recorded rows, written before any read of the outbox

    async def record(self, outgoing: Outgoing, at: datetime) -> None:
        self._pending.add(OutboxRow, self._values(outgoing, at))

    async def supersede_updates(self, order_key: str, at: datetime) -> int:
        await self._pending.write()
        return await rowcount(
            self._session,
            bulk_update(OutboxRow)
            .where(
                OutboxRow.order_key == order_key,
                OutboxRow.kind == OutgoingKind.UPDATE.value,
                OutboxRow.status == DeliveryStatus.PENDING.value,
                OutboxRow.attempts == 0,
                lease_is_free(OutboxRow, at),
            )
            .values(
                status=DeliveryStatus.SKIPPED.value,
                finished_at=at,
                last_error="superseded by a later update",
            ),
        )

    async def add(self, outgoing: Outgoing, at: datetime) -> int:
        await self._pending.write()
        row = OutboxRow(**self._values(outgoing, at))
        self._session.add(row)
        await self._session.flush()
        return row.id

    @staticmethod
    def _values(outgoing: Outgoing, at: datetime) -> dict[str, Any]:
        return {
            "platform": outgoing.platform,
            "kind": outgoing.kind.value,
            "purpose": outgoing.purpose,
            "order_key": outgoing.order_key,
            "pace_key": outgoing.pace_key,
            "flag_id": outgoing.flag_id,
            "envelope": outgoing_to_json(outgoing),
            "status": DeliveryStatus.PENDING.value,
            "attempts": 0,
            "uncertain": False,
            "next_attempt_at": at,
            "created_at": at,
        }

    async def claim(
        self,
        owner: str,
        now: datetime,
        lease_until: datetime,
        limit: int,
        busy_pace_keys: frozenset[str],
    ) -> list[Delivery]:
        await self._pending.write()
        chosen = list(
            await self._session.scalars(
                choose_statement(dialect_of(self._session)),
                {"now": now, "busy": sorted(busy_pace_keys), "limit": limit},
            )
        )
        if not chosen:
            return []
        take = take_statement(dialect_of(self._session))
        rows = list(await self._session.scalars(take, {"now": now, "chosen": chosen}))
        deliveries = []
        for row in sorted(rows, key=lambda r: r.id):
            deliveries.append(_delivery(row))
            row.lease_owner, row.lease_until = owner, lease_until
            # Until the attempt reports back, its outcome is unknown: a crash mid-send leaves
            # the message uncertain, so the next attempt looks for it before sending again.
            # A post waits for its send to begin (`mark_begun`): one that cannot be looked up
            # would be given up, though a crash while it waited for its turn never sent it.
            if row.kind != OutgoingKind.POST.value:
                row.uncertain = True
        await self._session.flush()
        return deliveries

    async def mark_begun(self, delivery_id: int) -> None:
        await self._pending.write()
        await run_prebuilt(self._session, _MARK_BEGUN, {"delivery_id": delivery_id})

    async def mark_sent(self, delivery_id: int, ref: MessageRef | None, at: datetime) -> None:
        await self._pending.write()
        delivered = ref_to_json(ref) if ref is not None else None
        parameters = {"delivery_id": delivery_id, "at": at, "delivered_ref": delivered}
        await run_prebuilt(self._session, _MARK_SENT, parameters)

    async def retry_later(
        self, delivery_id: int, at: datetime, error: str, *, uncertain: bool, counts: bool
    ) -> None:
        await self._pending.write()
        await self._session.execute(
            bulk_update(OutboxRow)
            .where(OutboxRow.id == delivery_id)
            .values(
                next_attempt_at=at,
                last_error=error[:MAX_ERROR_CHARS],
                uncertain=uncertain,
                attempts=OutboxRow.attempts + (1 if counts else 0),
                lease_owner=None,
                lease_until=None,
            )
        )

    async def give_up(
        self, delivery_id: int, status: DeliveryStatus, error: str, at: datetime
    ) -> None:
        await self._pending.write()
        await self._session.execute(
            bulk_update(OutboxRow)
            .where(OutboxRow.id == delivery_id)
            .values(
                status=status.value,
                last_error=error[:MAX_ERROR_CHARS],
                finished_at=at,
                lease_owner=None,
                lease_until=None,
            )
        )

    async def get_status(self, delivery_id: int) -> DeliveryStatus | None:
        await self._pending.write()
        status = await self._session.scalar(
            select(OutboxRow.status).where(OutboxRow.id == delivery_id)
        )
        return DeliveryStatus(status) if status is not None else None

    async def post_state(self, flag_id: int) -> DeliveryStatus | None:
        await self._pending.write()
        query = (
            select(OutboxRow.status, OutboxRow.envelope)
            .where(OutboxRow.flag_id == flag_id, OutboxRow.kind == OutgoingKind.POST.value)
            .order_by(OutboxRow.id.desc())
        )
        for status, envelope in await self._session.execute(query):
            if envelope.get("records_post"):
                return DeliveryStatus(status)
        return None

    async def release(self, owner: str | None, *, unsent: Collection[int] = ()) -> int:
        await self._pending.write()
        held = (
            OutboxRow.lease_owner.is_not(None) if owner is None else OutboxRow.lease_owner == owner
        )
        never_tried = OutboxRow.id.in_(list(unsent))
        return await rowcount(
            self._session,
            bulk_update(OutboxRow)
            .where(held, OutboxRow.status == DeliveryStatus.PENDING.value)
            .values(
                lease_owner=None,
                lease_until=None,
                uncertain=case((never_tried, False), else_=OutboxRow.uncertain),
            ),
        )

    async def dead_by_platform(self) -> dict[str, int]:
        await self._pending.write()
        query = (
            select(OutboxRow.platform, func.count())
            .where(OutboxRow.status == DeliveryStatus.DEAD.value)
            .group_by(OutboxRow.platform)
        )
        return {str(platform): int(count) for platform, count in await self._session.execute(query)}

    async def stats(self, now: datetime) -> OutboxStats:
        await self._pending.write()
        pending = DeliveryStatus.PENDING.value
        row, in_turn = pending_in_turn(dialect_of(self._session))
        due_now = select(func.count()).where(*in_turn, row.next_attempt_at <= now)
        query = select(
            func.count().filter(OutboxRow.status == pending),
            func.count().filter(OutboxRow.status == DeliveryStatus.DEAD.value),
            func.min(OutboxRow.created_at).filter(OutboxRow.status == pending),
        )
        waiting, dead, oldest = (await self._session.execute(query)).one()
        due = await self._session.scalar(due_now) if waiting else 0
        return OutboxStats(
            pending=int(waiting), due=int(due or 0), dead=int(dead), oldest_pending_at=oldest
        )

    async def list_stuck(self, limit: int) -> list[StuckDelivery]:
        await self._pending.write()
        query = (
            select(OutboxRow, FlagRow.number)
            .outerjoin(FlagRow, FlagRow.id == OutboxRow.flag_id)
            .where(OutboxRow.status.in_((DeliveryStatus.PENDING.value, DeliveryStatus.DEAD.value)))
            .order_by(OutboxRow.status.desc(), OutboxRow.id)
            .limit(limit)
        )
        return [
            StuckDelivery(
                id=row.id,
                platform=row.platform,
                purpose=row.purpose,
                status=DeliveryStatus(row.status),
                attempts=row.attempts,
                created_at=row.created_at,
                next_attempt_at=row.next_attempt_at,
                last_error=row.last_error,
                flag_id=row.flag_id,
                flag_number=number,
            )
            for row, number in await self._session.execute(query)
        ]

    async def retry_now(
        self,
        delivery_ids: Sequence[int] | None,
        at: datetime,
        *,
        searchable: Collection[str] = (),
    ) -> int:
        await self._pending.write()
        was_given_up = and_(
            OutboxRow.status == DeliveryStatus.DEAD.value,
            OutboxRow.platform.not_in(list(searchable)),
        )
        statement = bulk_update(OutboxRow).values(
            status=DeliveryStatus.PENDING.value,
            next_attempt_at=at,
            attempts=0,
            finished_at=None,
            # The admin retries a given-up message after looking: it is missing, so send it
            # where it cannot be looked up (on Teams it would never be found); where it can,
            # it is looked for once more, in case the admin retried without looking.
            uncertain=case((was_given_up, False), else_=OutboxRow.uncertain),
        )
        if delivery_ids is None:
            statement = statement.where(OutboxRow.status == DeliveryStatus.DEAD.value)
        else:
            statement = statement.where(
                OutboxRow.id.in_(list(delivery_ids)),
                OutboxRow.status.in_((DeliveryStatus.PENDING.value, DeliveryStatus.DEAD.value)),
            )
        return await rowcount(self._session, statement)

    async def purge_finished_before(self, before: datetime) -> int:
        await self._pending.write()
        return await rowcount(
            self._session,
            delete(OutboxRow).where(
                OutboxRow.status.in_((DeliveryStatus.SENT.value, DeliveryStatus.SKIPPED.value)),
                OutboxRow.finished_at < before,
            ),
        )


_MARK_SENT = finishing(
    OutboxRow,
    "delivery_id",
    DeliveryStatus.SENT.value,
    delivered=bindparam("delivered_ref", type_=OutboxRow.__table__.c.delivered.type),
    uncertain=False,
)

_OUTBOX = table_of(OutboxRow)
_MARK_BEGUN = update(_OUTBOX).where(_OUTBOX.c.id == bindparam("delivery_id")).values(uncertain=True)


def _delivery(row: OutboxRow) -> Delivery:
    outgoing = outgoing_from_json(
        row.envelope, platform=row.platform, purpose=row.purpose, flag_id=row.flag_id
    )
    return Delivery(
        id=row.id,
        outgoing=outgoing,
        attempts=row.attempts,
        created_at=row.created_at,
        uncertain=row.uncertain,
        last_error=row.last_error,
    )
