"""Which outbox messages may be sent now, as the statements a delivery claim runs.

A message's turn comes when no earlier message of its order key is still pending and, for an
answer that links its flag's post, when that post was delivered or given up; of those, one per
conversation at a time, oldest first. Built once per database: building a statement costs more
than running it.
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import String, and_, bindparam, case, exists, func, or_, select
from sqlalchemy import cast as sql_cast
from sqlalchemy.orm import aliased

from bot.outbox.models import DeliveryStatus, OutgoingKind
from storage.leases import lease_is_free, table_of
from storage.tables import OutboxRow

_OUTBOX = table_of(OutboxRow)


def pending_in_turn(dialect: str) -> tuple[Any, list[Any]]:
    """The pending messages whose turn has come: their columns, and the conditions to select.

    A message's turn has come when no earlier message of its order key is still pending, and,
    for an answer that links its flag's post (`Outgoing.waits_for_post`), when that post was
    delivered or given up. SQLite looks each message up in the order-key index. PostgreSQL
    works it out with window functions over the pending rows: as a look-up per row, its
    planner, misjudging how many are pending (statistics taken while nearly every message was
    delivered, then a backlog), scanned every pending row for each one. `bench/outbox_claim.py`:
    a claim took 1.2 s with 3,000 pending and 14 s with 10,000, against 15-23 and 36-57 ms
    this way. (On SQLite the window functions cost about twice its look-ups.)
    """
    if dialect != "postgresql":
        is_pending = OutboxRow.status == DeliveryStatus.PENDING.value
        return _OUTBOX.c, [is_pending, _first_of_its_order()]
    place_in_order = func.row_number().over(partition_by=OutboxRow.order_key, order_by=OutboxRow.id)
    is_post = OutboxRow.kind == OutgoingKind.POST.value
    first_post = func.min(case((is_post, OutboxRow.id))).over(partition_by=OutboxRow.flag_id)
    pending = (
        select(
            OutboxRow.id,
            OutboxRow.pace_key,
            OutboxRow.next_attempt_at,
            OutboxRow.lease_until,
            OutboxRow.kind,
            OutboxRow.flag_id,
            place_in_order.label("place_in_order"),
            first_post.label("first_post"),
        )
        .where(OutboxRow.status == DeliveryStatus.PENDING.value)
        .subquery("pending")
    )
    row = pending.c
    in_turn = and_(
        row.place_in_order == 1,
        or_(
            row.kind != OutgoingKind.ANSWER.value,
            row.flag_id.is_(None),
            row.first_post.is_(None),
            row.first_post > row.id,
        ),
    )
    return row, [in_turn]


def _first_of_its_order() -> Any:
    """No earlier message of the same order key is still waiting, and no earlier post of the
    flag of an answer is (SQLite's form of `pending_in_turn`)."""
    earlier = aliased(OutboxRow)
    post = aliased(OutboxRow)
    pending = DeliveryStatus.PENDING.value
    return and_(
        ~exists().where(
            earlier.order_key == OutboxRow.order_key,
            earlier.status == pending,
            earlier.id < OutboxRow.id,
        ),
        or_(
            OutboxRow.kind != OutgoingKind.ANSWER.value,
            OutboxRow.flag_id.is_(None),
            ~exists().where(
                post.flag_id == OutboxRow.flag_id,
                post.kind == OutgoingKind.POST.value,
                post.status == pending,
                post.id < OutboxRow.id,
            ),
        ),
    )


@functools.cache
def choose_statement(dialect: str) -> Any:
    """The first deliverable message of each conversation not busy already, oldest first.

    One message per conversation at a time keeps its pace, and a conversation with a backlog
    must not hide the others. (Unpaced messages are each their own conversation.) Built once:
    building it costs more than running it (parameters: now, busy, limit).
    """
    now = bindparam("now", type_=_OUTBOX.c.next_attempt_at.type)
    row, in_turn = pending_in_turn(dialect)
    conversation = case(
        (row.pace_key.is_(None), "#" + sql_cast(row.id, String)), else_=row.pace_key
    )
    deliverable = (
        select(
            row.id,
            func.row_number().over(partition_by=conversation, order_by=row.id).label("place"),
        )
        .where(
            *in_turn,
            row.next_attempt_at <= now,
            or_(row.lease_until.is_(None), row.lease_until < now),
            or_(row.pace_key.is_(None), row.pace_key.not_in(bindparam("busy", expanding=True))),
        )
        .subquery()
    )
    return (
        select(deliverable.c.id)
        .where(deliverable.c.place == 1)
        .order_by(deliverable.c.id)
        .limit(bindparam("limit"))
    )


def _take_statement() -> Any:
    """The chosen messages still free to take (parameters: now, chosen)."""
    now = bindparam("now", type_=_OUTBOX.c.lease_until.type)
    return select(OutboxRow).where(
        OutboxRow.id.in_(bindparam("chosen", expanding=True)),
        OutboxRow.status == DeliveryStatus.PENDING.value,
        lease_is_free(OutboxRow, now),
    )


_TAKE = _take_statement()
_TAKE_LOCKED = _TAKE.with_for_update(skip_locked=True)


def take_statement(dialect: str) -> Any:
    """The chosen messages still free to take; on PostgreSQL locked, skipping the rows another
    replica's claim holds (parameters: now, chosen)."""
    return _TAKE_LOCKED if dialect == "postgresql" else _TAKE
