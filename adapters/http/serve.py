"""`frontline serve`: open the runtime, mount the platforms and run the aiohttp server."""

from __future__ import annotations

import asyncio
import logging
import signal
from datetime import timedelta

from aiohttp import web

from adapters.http.access import ProblemAccessLogger
from adapters.http.app import PLATFORMS_KEY, create_app
from adapters.http.collector import settle_after_start
from adapters.http.connections import (
    ACCEPT_BACKLOG,
    KEEPALIVE_SECONDS,
    connection_limit,
    guard_connections,
    quiet_descriptor_exhaustion,
)
from adapters.http.scheduling import attach_scheduler
from adapters.http.workers import attach_workers
from adapters.slack.mount import mount_slack
from adapters.teams.mount import mount_teams
from adapters.wiring import open_runtime
from bot.clock import Clock, SystemClock
from bot.config.settings import Settings
from bot.themes.matching import shared_similarity

log = logging.getLogger(__name__)


async def build_server_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    due_work_every: timedelta | None = None,
) -> web.Application:
    """The application `serve` runs, with every platform whose credentials are set."""
    runtime = await open_runtime(settings, clock=clock or SystemClock(), gateways={})
    app = create_app(runtime)
    attach_scheduler(app, runtime, every=due_work_every)
    platforms = app[PLATFORMS_KEY]
    for mount in (mount_slack, mount_teams):
        label = mount(app, runtime)
        if label is not None:
            platforms.append(label)
    # After the platforms: aiohttp stops in reverse order, so at a graceful stop the workers
    # finish their sends while the platforms' HTTP sessions are still open.
    attach_workers(app, runtime)
    for platform in ("slack", "teams"):
        active = any(label.startswith(platform) for label in platforms)
        if active and not settings.config.channels_for(platform).escalations:
            log.warning(
                "%s has no escalation channel: escalations will be recorded but not posted; "
                "set channels.%s.escalations in %s",
                platform,
                platform,
                settings.config_source,
            )
    env = settings.env
    if not (env.slack_bot_token or env.microsoft_app_id):
        log.warning(
            "no chat platform credentials are set: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET "
            "(Slack) or MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD (Teams); "
            "`frontline console` needs neither"
        )
    # The theme model loads now, not on the first flag; a broken install is said at start.
    matcher = await asyncio.to_thread(shared_similarity)
    log.info(
        "frontline serving: database %s; platforms: %s; theme matching: %s",
        runtime.database_description,
        ", ".join(platforms) or "none",
        matcher.embedder.name,
    )
    return app


def serve(settings: Settings, *, host: str | None, port: int | None) -> None:
    """Run the server until interrupted (SIGINT or SIGTERM), guarded against slow clients."""
    asyncio.run(
        _serve(settings, host or settings.env.frontline_host, port or settings.env.frontline_port)
    )


async def _serve(settings: Settings, host: str, port: int) -> None:
    quiet_descriptor_exhaustion(asyncio.get_running_loop())
    app = await build_server_app(settings)
    runner = web.AppRunner(
        app, keepalive_timeout=KEEPALIVE_SECONDS, access_log_class=ProblemAccessLogger
    )
    await runner.setup()
    assert runner.server is not None
    limit = connection_limit()
    guard_connections(runner.server, limit)
    site = web.TCPSite(runner, host, port, backlog=ACCEPT_BACKLOG)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, stop.set)
    settle_after_start()
    try:
        await site.start()
        log.info("listening on %s:%d (at most %d client connections)", host, port, limit)
        await stop.wait()
        log.info("stopping: finishing what is in hand")
    finally:
        # The graceful stop: the workers finish or release their work (adapters.http.workers).
        await runner.cleanup()
