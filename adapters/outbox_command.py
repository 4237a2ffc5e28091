"""`frontline outbox`: what waits to be delivered or was given up, and sending it again."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from adapters.wiring import database_url
from bot.config.settings import Settings
from bot.durations import format_duration
from bot.flags.models import flag_key
from bot.outbox.models import DeliveryStatus, StuckDelivery
from bot.words import plural
from storage.database import Database

LISTED = 50
# Where a message that may have arrived after all can be looked for before it is sent again
# (Slack's history carries each message's outbox id; Teams offers nothing to search).
SEARCHABLE = ("slack",)


async def run_outbox(settings: Settings, *, retry: Sequence[int], retry_dead: bool) -> int:
    """List stuck messages, or make the chosen ones due again now (the server sends them)."""
    database = Database.from_url(database_url(settings))
    try:
        await database.ensure_current()
        now = datetime.now(UTC)
        async with database.unit_of_work() as uow:
            if retry or retry_dead:
                count = await uow.outbox.retry_now(
                    None if retry_dead else list(retry), now, searchable=SEARCHABLE
                )
                await uow.commit()
                print(_retried(count, retry, retry_dead))
                return 0 if count or retry_dead else 1
            stats = await uow.outbox.stats(now)
            stuck = await uow.outbox.list_stuck(LISTED)
            depth = await uow.inbox.depth()
    finally:
        await database.dispose()
    print(
        f"{plural(stats.pending, 'message')} waiting to be delivered ({stats.due} due now), "
        f"{stats.dead} given up; {plural(depth, 'request')} waiting to be run."
    )
    for message in stuck:
        print(_line(message, now))
    if len(stuck) == LISTED:
        print(f"(the first {LISTED} shown)")
    if stats.dead:
        print(
            "`frontline outbox retry ID …` sends given-up messages again once fixed; "
            "`frontline outbox retry --dead` sends them all."
        )
    return 0


def _line(message: StuckDelivery, now: datetime) -> str:
    age = format_duration(now - message.created_at)
    flag = f" · {flag_key(message.flag_number)}" if message.flag_number is not None else ""
    if message.status is DeliveryStatus.DEAD:
        state = "given up"
    elif message.next_attempt_at > now:
        state = f"next try in {format_duration(message.next_attempt_at - now)}"
    else:
        state = "due now"
    error = f" — {message.last_error}" if message.last_error else ""
    return (
        f"  #{message.id} {message.platform} {message.purpose}{flag}: {state}, "
        f"{plural(message.attempts, 'failed attempt')}, {age} old{error}"
    )


def _retried(count: int, ids: Sequence[int], all_dead: bool) -> str:
    if all_dead:
        return (
            f"{plural(count, 'given-up message')} will be sent again within seconds by the server."
        )
    if count == 0:
        return "None of those ids is a waiting or given-up message; `frontline outbox` lists them."
    missing = len(ids) - count
    extra = f" ({plural(missing, 'id')} not waiting or given up)" if missing else ""
    return f"{plural(count, 'message')} will be sent again within seconds by the server{extra}."
