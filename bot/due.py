"""Work that becomes due as time passes; the scheduler (or the console's clock) runs it."""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.core import Core

log = logging.getLogger(__name__)
IDEMPOTENCY_RETENTION = timedelta(hours=24)


async def run_due_work(core: Core) -> int:
    """Do everything that is due now; returns how many pieces of work were done."""
    done = 0
    async with core.uow() as uow:
        purged = await uow.idempotency.purge_before(core.clock.now() - IDEMPOTENCY_RETENTION)
        await uow.commit()
    if purged:
        log.debug("forgot %d processed request keys", purged)
    return done
