"""Slack requests through the inbox: stored before the ack, run by the inbox worker.

`store` is called by the listeners before they acknowledge; `run` is the inbox worker's
handler for stored Slack requests. Each request is stored under Slack's own identity of it
(the trigger of a command or click, the view of a submission, the event_id of an event), so a
retried delivery is recognised and stored once.
"""

from __future__ import annotations

import logging
from typing import Any

from adapters.slack.dedupe import event_key, trigger_key, view_key
from adapters.slack.gateway import PLATFORM
from adapters.slack.interactions import Interactions
from adapters.slack.modals import flag_form_answers
from adapters.slack.payloads import (
    PayloadError,
    parse_button_press,
    parse_event,
    parse_slash_command,
    parse_view_submission,
)
from bot.core import Core
from bot.inbox.intake import Intake
from bot.inbox.models import InboxItem, Received
from bot.inbox.worker import MAX_ATTEMPTS

log = logging.getLogger(__name__)

COMMAND, BUTTON, FLAG_FORM, RESOLVE_NOTE, THEME_FORM, EVENT = (
    "command",
    "button",
    "flag_form",
    "resolve_note",
    "theme_form",
    "event",
)


class SlackRequests:
    """Stores acknowledged Slack requests and runs them from the inbox."""

    def __init__(self, intake: Intake, interactions: Interactions) -> None:
        self._intake = intake
        self._interactions = interactions

    async def store(self, kind: str, body: dict[str, Any], key: str) -> bool:
        """Store a request before it is acknowledged; False when it was stored before."""
        fresh = await self._intake.store(Received(key, PLATFORM, kind, body))
        if not fresh:
            log.info("ignored a repeated Slack %s", kind)
        return fresh

    async def store_command(self, body: dict[str, Any], team_id: str, trigger_id: str) -> bool:
        return await self.store(COMMAND, body, trigger_key(team_id, trigger_id))

    async def store_button(self, body: dict[str, Any], team_id: str, trigger_id: str) -> bool:
        return await self.store(BUTTON, body, trigger_key(team_id, trigger_id))

    async def store_view(self, kind: str, body: dict[str, Any], team_id: str, view: str) -> bool:
        return await self.store(kind, body, view_key(team_id, view))

    async def store_event(self, body: dict[str, Any], team_id: str, event_id: str) -> bool:
        return await self.store(EVENT, body, event_key(team_id, event_id))

    async def run(self, core: Core, item: InboxItem) -> None:
        """The inbox worker's handler: run one stored Slack request on the request's core."""
        interactions = self._interactions.using(core, final_attempt=item.attempts >= MAX_ATTEMPTS)
        body = item.payload
        try:
            await self._run(interactions, item.kind, body)
        except PayloadError as error:
            # Checked before it was stored; only a payload from an older Frontline gets here.
            log.warning("dropped a stored Slack %s that no longer parses: %s", item.kind, error)

    async def _run(self, interactions: Interactions, kind: str, body: dict[str, Any]) -> None:
        if kind == COMMAND:
            await interactions.slash_command(parse_slash_command(body))
        elif kind == BUTTON:
            await interactions.button(parse_button_press(body))
        elif kind == FLAG_FORM:
            submission = parse_view_submission(body)
            await interactions.flag_form_submitted(submission, flag_form_answers(submission))
        elif kind == RESOLVE_NOTE:
            await interactions.resolve_submitted(parse_view_submission(body))
        elif kind == THEME_FORM:
            await interactions.theme_form_submitted(parse_view_submission(body))
        elif kind == EVENT:
            event = parse_event(body)
            handlers = {
                "app_home_opened": interactions.home_opened,
                "app_mention": interactions.mention,
                "message": interactions.thread_reply,
                "reaction_added": interactions.reaction,
            }
            handler = handlers.get(event.type)
            if handler is not None:
                await handler(event)
        else:
            log.warning("dropped a stored Slack request of unknown kind %r", kind)
