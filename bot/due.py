"""Work that becomes due as time passes; the scheduler (or the console's clock) runs it."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.core import Core
from bot.digests.sending import next_digest_at
from bot.digests.targets import digest_targets
from bot.silence.sweep import sweep
from bot.themes.nudges import nudge_routed_themes

log = logging.getLogger(__name__)
# Slack retries an event for about 5 minutes; keep the keys of handled requests well beyond that
# (a stored request's key is what recognises a retry, so the inbox keeps as long).
IDEMPOTENCY_RETENTION = timedelta(hours=24)
# Delivered messages are kept a day; given-up ones (the outbox's dead letters) stay until they
# are retried (`frontline outbox retry`), so none is forgotten unseen.
DELIVERED_RETENTION = timedelta(hours=24)


async def run_due_work(core: Core) -> None:
    """Do everything that is due now: reminders and nudges, then housekeeping."""
    await sweep(core)
    await nudge_routed_themes(core)
    now = core.clock.now()
    async with core.uow() as uow:
        keys = await uow.idempotency.purge_before(now - IDEMPOTENCY_RETENTION)
        requests = await uow.inbox.purge_finished_before(now - IDEMPOTENCY_RETENTION)
        messages = await uow.outbox.purge_finished_before(now - DELIVERED_RETENTION)
        await uow.commit()
    if keys or requests or messages:
        log.debug(
            "forgot %d handled request key(s), %d run request(s), %d delivered message(s)",
            keys,
            requests,
            messages,
        )


async def next_due_at(core: Core) -> datetime | None:
    """The next moment something falls due: a flag's alarm, a routed theme's nudge or a weekly
    digest (the console's fake clock stops there; the server's scheduler has its own timers)."""
    async with core.uow() as uow:
        alarm = await uow.flags.next_alarm_at()
        nudge = await uow.themes.next_nudge_at()
        targets = await digest_targets(core.config, uow)
    digest = next_digest_at(core, targets, core.clock.now())
    times = [at for at in (alarm, nudge, digest) if at is not None]
    return min(times) if times else None
