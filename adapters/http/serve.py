"""`frontline serve`: open the runtime, mount the platforms and run the aiohttp server."""

from __future__ import annotations

import logging
from datetime import timedelta

from aiohttp import web

from adapters.http.app import PLATFORMS_KEY, create_app
from adapters.http.scheduling import attach_scheduler
from adapters.http.workers import attach_workers
from adapters.slack.mount import mount_slack
from adapters.teams.mount import mount_teams
from adapters.wiring import open_runtime
from bot.clock import Clock, SystemClock
from bot.config.settings import Settings

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
    attach_workers(app, runtime)
    platforms = app[PLATFORMS_KEY]
    for mount in (mount_slack, mount_teams):
        label = mount(app, runtime)
        if label is not None:
            platforms.append(label)
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
    log.info(
        "frontline serving: database %s; platforms: %s",
        runtime.database_description,
        ", ".join(platforms) or "none",
    )
    return app


def serve(settings: Settings, *, host: str | None, port: int | None) -> None:
    """Run the server until interrupted."""
    web.run_app(
        build_server_app(settings),
        host=host or settings.env.frontline_host,
        port=port or settings.env.frontline_port,
        print=None,
    )
