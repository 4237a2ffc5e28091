"""The scheduler `serve` runs: APScheduler 3 fires due work; what is due lives in the database."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from adapters.wiring import Runtime
from bot.config.digests import DigestSchedule
from bot.config.models import FrontlineConfig
from bot.core import Core
from bot.digests.sending import send_due_digests
from bot.due import run_due_work

log = logging.getLogger(__name__)
STOP_GRACE_SECONDS = 10.0


def attach_scheduler(
    app: web.Application, runtime: Runtime, *, every: timedelta | None = None
) -> None:
    """Run the core's due work (the silence sweep, housekeeping) every `every` while up.

    Every replica runs it; the sweep claims each due flag once (see `bot.silence.sweep`).
    The default interval is FRONTLINE_SWEEP_SECONDS (15 s). The first run is at start, so a
    server that was down catches up at once.
    """
    if every is None:
        every = timedelta(seconds=runtime.settings.env.frontline_sweep_seconds)
    scheduler = AsyncIOScheduler(timezone=runtime.settings.config.tz)
    running = asyncio.Lock()  # held while due work runs, so `stop` can wait for it

    def guarded(
        work: Callable[[Core], Awaitable[object]], what: str
    ) -> Callable[[], Awaitable[None]]:
        busy = asyncio.Lock()  # this work's own run

        async def run() -> None:
            if busy.locked():
                # A slow run (a database or platform holding it up) is not a problem to warn
                # about every interval: the next run after it catches up.
                log.debug("%s still running; this run skipped", what)
                return
            async with busy, running:
                try:
                    await work(runtime.core)
                except Exception:
                    # The next run retries: what is due (reminders, unclaimed digests) stays in
                    # the database until it is done.
                    log.exception("%s failed; it will be retried", what)

        return run

    due_work = guarded(run_due_work, "due work")
    digests = guarded(send_due_digests, "sending the weekly digests")

    async def start(_: web.Application) -> None:
        scheduler.add_job(
            due_work,
            "interval",
            seconds=every.total_seconds(),
            id="due-work",
            max_instances=2,  # a second instance finds the first still busy and skips quietly
            coalesce=True,
            next_run_time=datetime.now(runtime.settings.config.tz),
        )
        config = runtime.settings.config
        # The digests' own times, and once at start: a digest missed while down goes out now.
        for number, schedule in enumerate(digest_schedules(config)):
            scheduler.add_job(
                digests,
                CronTrigger(
                    day_of_week=schedule.day,
                    hour=schedule.time.hour,
                    minute=schedule.time.minute,
                    timezone=config.tz,
                ),
                id=f"digests-{number}",
                max_instances=1,
                coalesce=True,
                misfire_grace_time=None,
            )
        scheduler.add_job(digests, id="digests-at-start", next_run_time=datetime.now(config.tz))
        scheduler.start()

    async def stop(_: web.Application) -> None:
        if not scheduler.running:
            return
        # shutdown() cancels a run in progress. Cancelled mid-query, SQLAlchemy terminates the
        # connection in a task of its own that can outlive the database and hang the event
        # loop's close; so let a run in progress finish first (it is a few DELETEs).
        scheduler.pause()
        try:
            async with asyncio.timeout(STOP_GRACE_SECONDS):
                await running.acquire()
        except TimeoutError:
            log.warning("due work still running after %.0f s; cancelling it", STOP_GRACE_SECONDS)
        scheduler.shutdown(wait=False)

    app.on_startup.append(start)
    app.on_cleanup.insert(0, stop)


def digest_schedules(config: FrontlineConfig) -> list[DigestSchedule]:
    """Each distinct weekday and time a digest goes out."""
    digests = config.digests
    every = [digests.product, digests.flow, *digests.product.channels.values()]
    distinct = {(s.day, s.time): DigestSchedule(day=s.day, time=s.time) for s in every}
    return list(distinct.values())
