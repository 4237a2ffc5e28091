"""Work that becomes due as time passes; the scheduler (or the console's clock) runs it."""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.core import Core

log = logging.getLogger(__name__)
# Slack retries an event for about 5 minutes; keep the keys of handled requests well beyond that.
IDEMPOTENCY_RETENTION = timedelta(hours=24)


async def run_due_work(core: Core) -> None:
    """Do everything that is due now."""
    async with core.uow() as uow:
        purged = await uow.idempotency.purge_before(core.clock.now() - IDEMPOTENCY_RETENTION)
        await uow.commit()
    if purged:
        log.debug("forgot %d handled request keys", purged)
