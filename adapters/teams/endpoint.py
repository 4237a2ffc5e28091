"""POST /api/messages: authenticate the activity, run the bot, answer invokes.

The SDK's own aiohttp `CloudAdapter.process` cannot serialize plain-dict invoke answers and
lets some authentication failures through as 500s, so the request is handled here, around
`process_activity`: JSON in, 401 for anything unauthenticated, the invoke body out.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import web
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity

from adapters.http.connections import BODY_SECONDS
from adapters.teams.auth import TeamsAuthentication, Unauthorized
from adapters.teams.bot import TeamsBot
from adapters.teams.shapes import ActivityShapeError, check_activity

log = logging.getLogger(__name__)


class MessagesEndpoint:
    """The Bot Framework messaging endpoint Teams posts every activity to."""

    def __init__(
        self, adapter: CloudAdapter, bot: TeamsBot, authentication: TeamsAuthentication
    ) -> None:
        self._adapter = adapter
        self._bot = bot
        self._authentication = authentication

    async def handle(self, request: web.Request) -> web.StreamResponse:
        header = request.headers.get("Authorization", "")
        try:
            self._authentication.check_peer(request.remote, request.headers)
            self._authentication.check_header(header)
        except Unauthorized as error:
            log.warning("teams: rejected an activity: %s", error.reason)
            return _problem(401, "unauthorized")
        if request.content_type != "application/json":
            return _problem(415, "activities are JSON (Content-Type: application/json)")
        try:
            async with asyncio.timeout(BODY_SECONDS):
                body: Any = await request.json()
        except TimeoutError:
            log.warning("teams: an activity's body did not arrive within %.0f s", BODY_SECONDS)
            return _problem(408, "the request body did not arrive in time")
        except (ValueError, RecursionError):
            return _problem(400, "the body is not JSON (or is nested too deeply)")
        if not isinstance(body, dict):
            return _problem(400, "the body is not a Bot Framework activity")
        try:
            check_activity(body)
        except ActivityShapeError as error:
            log.warning("teams: rejected a malformed activity: %s", error)
            return _problem(400, f"malformed activity: {error}")
        activity = _activity(body)
        if activity is None:
            log.warning("teams: rejected a body that is not a Bot Framework activity")
            return _problem(400, "the body is not a Bot Framework activity")
        try:
            authenticated = await self._authentication.authenticate(activity, header)
        except Unauthorized as error:
            log.warning("teams: rejected an activity: %s", error.reason)
            return _problem(401, "unauthorized")
        invoke = await self._adapter.process_activity(authenticated, activity, self._bot.on_turn)
        if invoke is None:
            return web.Response(status=200)
        if invoke.body is None:
            return web.Response(status=invoke.status or 200)
        return web.json_response(invoke.body, status=invoke.status or 200)


def _activity(body: Any) -> Activity | None:
    if not isinstance(body, dict) or not isinstance(body.get("type"), str):
        return None
    try:
        activity: Activity = Activity().deserialize(body)
    except Exception:  # msrest raises a variety of errors for odd shapes
        return None
    if not activity.type or activity.conversation is None or not activity.service_url:
        return None
    return activity


def _problem(status: int, detail: str) -> web.Response:
    return web.json_response({"error": detail}, status=status)
