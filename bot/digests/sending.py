"""Sending the weekly digests: each once per channel and week, across restarts and replicas.

For each recipient, the week due most recently is composed from the database (outside any
write), then claimed and recorded in the outbox in one transaction: the claim is a row with a
unique key (kind, channel, week), so when two replicas compose the same digest, one commit
wins and the other finds it claimed and records nothing. A crash before the commit leaves it
unclaimed, to be sent at the next start; after it, the outbox delivers it once.

A digest found well past its time (Frontline was down when it fell due) is sent at start, once,
marked late. Only the latest week is ever sent: never a burst of old ones. A workspace's
digests start with the first week it had flags.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.core import Core
from bot.digests.flow import flow_digest
from bot.digests.models import DigestKind, DigestRecord
from bot.digests.periods import Week, due_at, latest_due
from bot.digests.product import (
    WEEKS_CHARTED,
    WorkspaceWeek,
    chart_alt,
    gather_product,
    product_chart,
    product_message,
    workspace_week,
)
from bot.digests.targets import Target, digest_targets
from bot.digests.wording import week_words
from bot.messages import Image, Message
from bot.outbox.models import Outgoing
from bot.ports import UnitOfWork
from bot.silence.wording import local_time

log = logging.getLogger(__name__)
# A digest sent this long after its time was missed while Frontline was not running.
LATE_AFTER = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class Composed:
    """A digest ready to record: its message, and its chart when it has one."""

    target: Target
    week: Week
    message: Message | None  # None: an empty week, skipped as configured
    chart: bytes | None = None
    chart_alt: str = ""


@dataclass
class _Shared:
    """What several digests of one run share: a workspace's figures for a week, and when its
    first flag was raised."""

    weeks: dict[tuple[str, str], WorkspaceWeek] = field(default_factory=dict)
    first_flags: dict[str, datetime | None] = field(default_factory=dict)


async def send_due_digests(core: Core) -> int:
    """Send every digest that is due and not sent yet; returns how many were recorded."""
    now = core.clock.now()
    async with core.uow() as uow:
        targets = await digest_targets(core.config, uow)
    shared = _Shared()
    sent = 0
    for target in targets:
        week = latest_due(now, target.schedule, core.config.tz)
        due = due_at(week, target.schedule, core.config.tz)
        async with core.uow() as uow:
            if not await _wanted(core, uow, target, week, shared):
                continue
            late = _late_words(core, due, now)
            composed = await compose(core, uow, target, week, late, shared)
        if await record(core, composed, due, now, late is not None):
            sent += 1
    if sent:
        log.info("recorded %d weekly digest(s) for delivery", sent)
    return sent


async def _wanted(core: Core, uow: UnitOfWork, target: Target, week: Week, shared: _Shared) -> bool:
    """Not sent yet, and the workspace was in use by the end of the week it reports on."""
    if await uow.digests.is_claimed(target.kind, target.conversation, week.key):
        return False
    workspace_id = target.conversation.workspace_id
    if workspace_id not in shared.first_flags:
        shared.first_flags[workspace_id] = await uow.digests.first_flag_at(workspace_id)
    first = shared.first_flags[workspace_id]
    return first is not None and first < week.bounds(core.config.tz)[1]


def _late_words(core: Core, due: datetime, now: datetime) -> str | None:
    if now - due <= LATE_AFTER:
        return None
    return f"This digest was due {local_time(due, core.config.tz)}, while Frontline was down."


async def compose(
    core: Core,
    uow: UnitOfWork,
    target: Target,
    week: Week,
    late: str | None,
    shared: _Shared | None = None,
) -> Composed:
    """The digest of `week` for `target`, as it would be sent (also what `--preview` prints)."""
    config = core.config
    tz = config.tz
    conversation = target.conversation
    if target.kind is DigestKind.FLOW:
        start, end = week.bounds(tz)
        last_start, last_end = week.shifted(-1).bounds(tz)
        this = await uow.digests.flow(conversation.workspace_id, start, end)
        last = await uow.digests.flow(conversation.workspace_id, last_start, last_end)
        if config.digests.flow.skip_empty and not this.flags:
            return Composed(target, week, None)
        return Composed(target, week, flow_digest(this, last, week, late))
    key = (conversation.workspace_id, week.key)
    cache = shared or _Shared()
    if key not in cache.weeks:
        cache.weeks[key] = await workspace_week(uow, conversation.workspace_id, week, tz)
    digest = await gather_product(uow, config, conversation, week, cache.weeks[key])
    if digest.is_empty and config.digests.product.skip_empty:
        return Composed(target, week, None)
    message = product_message(digest, core.clock.now(), late)
    chart = await asyncio.to_thread(product_chart, digest)
    return Composed(target, week, message, chart, chart_alt(digest))


async def record(core: Core, composed: Composed, due: datetime, now: datetime, late: bool) -> bool:
    """Claim the digest and record its messages together; False when it was already claimed."""
    target = composed.target
    claim = DigestRecord(
        kind=target.kind,
        conversation=target.conversation,
        period=composed.week.key,
        due_at=due,
        claimed_at=now,
        late=late,
        sent=composed.message is not None,
    )
    async with core.uow() as uow:
        digest_id = await uow.digests.claim(claim)
        if digest_id is None:
            return False
        if composed.message is not None:
            purpose = f"{target.kind.value} digest"
            await uow.outbox.record(
                Outgoing.digest(target.conversation, composed.message, digest_id, purpose=purpose),
                now,
            )
            if composed.chart is not None:
                image = Image(
                    png=composed.chart,
                    filename=f"digest-{composed.week.key}.png",
                    title=f"Flags per week, the {WEEKS_CHARTED} weeks to "
                    f"{week_words(composed.week)}",
                    alt=composed.chart_alt,
                )
                chart = Outgoing.in_digest_thread(
                    target.conversation, digest_id, Message("", image=image), purpose="digest chart"
                )
                await uow.outbox.record(chart, now)
        await uow.commit()
    return composed.message is not None


def next_digest_at(core: Core, targets: list[Target], now: datetime) -> datetime | None:
    """When the next digest of any target falls due after `now` (the console's clock stops)."""
    times = []
    for target in targets:
        week = latest_due(now, target.schedule, core.config.tz).shifted(1)
        times.append(due_at(week, target.schedule, core.config.tz))
    return min(times) if times else None
