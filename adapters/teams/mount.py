"""Mount Teams on the server: the Bot Framework endpoint, the gateway and the start-up checks."""

from __future__ import annotations

import logging

from aiohttp import web
from botbuilder.integration.aiohttp import CloudAdapter

from adapters.teams.activities import PLATFORM
from adapters.teams.auth import TeamsAuthentication, build_authentication
from adapters.teams.bot import TeamsBot
from adapters.teams.endpoint import MessagesEndpoint
from adapters.teams.gateway import TeamsGateway
from adapters.teams.members import TeamsMembers
from adapters.teams.people import PeopleDirectory
from adapters.teams.references import ReferenceBook
from adapters.wiring import Runtime

log = logging.getLogger(__name__)
MESSAGES_PATH = "/api/messages"
LABEL_AUTH_ON = "teams (auth on)"
LABEL_AUTH_OFF = "teams (AUTH OFF — local development only)"


def mount_teams(app: web.Application, runtime: Runtime) -> str | None:
    """Mount the Bot Framework endpoint; returns the platform label for the start-up log.

    Without MICROSOFT_APP_ID, Teams runs unauthenticated for local development only, and
    not at all when Slack is configured: a Slack deployment must not expose an open endpoint.
    """
    env = runtime.settings.env
    if not env.microsoft_app_id and env.slack_configured:
        log.info("teams: not active (MICROSOFT_APP_ID is not set)")
        return None
    return attach_teams(app, runtime, build_authentication(env))


def attach_teams(
    app: web.Application, runtime: Runtime, authentication: TeamsAuthentication
) -> str:
    """Wire Teams into `app` with the given authentication (tests bring their own key server)."""
    env = runtime.settings.env
    if not authentication.enabled:
        log.warning(
            "TEAMS AUTHENTICATION IS OFF: MICROSOFT_APP_ID is not set, so %s accepts activities "
            "without a token (from local serviceUrls only). This is for local development with "
            "the Bot Framework Emulator or tests; set MICROSOFT_APP_ID and "
            "MICROSOFT_APP_PASSWORD before Teams can reach this server.",
            MESSAGES_PATH,
        )
    adapter = CloudAdapter(authentication.inner)
    references = ReferenceBook(runtime.core.uow, runtime.core.clock)
    people = PeopleDirectory(references)
    gateway = TeamsGateway(
        adapter, app_id=env.microsoft_app_id or "", references=references, people=people
    )
    runtime.router.add(PLATFORM, gateway, TeamsMembers(gateway))
    bot = TeamsBot(
        runtime.core,
        references=references,
        people=people,
        gateway=gateway,
        delivery=runtime.delivery,
    )
    app.router.add_post(MESSAGES_PATH, MessagesEndpoint(adapter, bot, authentication).handle)

    async def check_channels(_: web.Application) -> None:
        try:
            await warn_about_unseen_channels(runtime, references)
        except Exception as error:  # a courtesy check must never stop the server starting
            log.warning("teams: could not check the configured channels: %s", error)

    app.on_startup.append(check_channels)
    return LABEL_AUTH_ON if authentication.enabled else LABEL_AUTH_OFF


async def warn_about_unseen_channels(runtime: Runtime, references: ReferenceBook) -> list[str]:
    """Say at start which configured Teams channels Frontline cannot post in yet."""
    channels = runtime.settings.config.channels_for(PLATFORM)
    unseen = []
    for purpose, channel_id in (
        ("escalations", channels.escalations),
        ("triage", channels.triage),
        ("support_leads", channels.support_leads),
    ):
        if channel_id and await references.conversation(channel_id) is None:
            unseen.append(channel_id)
            log.warning(
                "teams: Frontline has never been in the %s channel %s, so it cannot post there "
                "yet: add the Frontline app to that channel's team, then @mention Frontline in "
                "the channel once (for example `@Frontline flag help`)",
                purpose,
                channel_id,
            )
    return unseen
