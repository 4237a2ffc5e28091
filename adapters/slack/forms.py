"""Opening Slack forms, at once: Slack lets a click open a modal for only 3 seconds.

These run in the listener, before Slack gets its acknowledgement, not from the inbox: a form
that did not open in time cannot open later, so the person is told instead.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.answers import Origin, record_answer
from adapters.slack.errors import error_code
from adapters.slack.modals import (
    THEME_FORM_VERBS,
    ModalContext,
    flag_form,
    resolve_note_form,
    theme_status_form,
)
from adapters.slack.payloads import Actor, ButtonPress, MessageShortcut, SlashCommand
from adapters.slack.people import People
from adapters.slack.text import unescape
from bot.actions import THEME_ACTIONS, ActionId
from bot.core import Core
from bot.flags.commands import ThemeVerb
from bot.flags.models import flag_key, parse_flag_number
from bot.flags.text import clean_text
from bot.messages import Message

log = logging.getLogger(__name__)
FORM_DID_NOT_OPEN = "⚠️ Slack did not open the form in time. Please try again."

_ALPHANUMERIC = re.compile(r"[0-9A-Za-z]")


class Forms:
    """Opens the flag form and the resolve note; tells the person when Slack would not."""

    def __init__(self, *, core: Core, client: AsyncWebClient, people: People) -> None:
        self._core = core
        self._client = client
        self._people = people

    async def open_flag_form(self, command: SlashCommand) -> None:
        """`/flag` alone: the form."""
        context = ModalContext(channel_id=command.channel_id, response_url=command.response_url)
        if not await self._open_view(command.trigger_id, flag_form(context)):
            await self._tell(command.actor, command.channel_id, command.response_url)

    async def message_shortcut(self, shortcut: MessageShortcut) -> None:
        """The "Flag this message" shortcut: the form, prefilled, linking back to the message."""
        context = ModalContext(
            channel_id=shortcut.channel_id,
            thread_ts=shortcut.thread_ts,
            message_ts=shortcut.message_ts,
            response_url=shortcut.response_url,
        )
        view = flag_form(context, summary=unescape(shortcut.message_text))
        if not await self._open_view(shortcut.trigger_id, view):
            actor = shortcut.actor
            await self._tell(actor, shortcut.channel_id, shortcut.response_url, shortcut.thread_ts)

    async def open_resolve_note(self, press: ButtonPress, number: int) -> None:
        """Resolve asks for a note first."""
        context = ModalContext(
            channel_id=press.channel_id,
            thread_ts=press.thread_ts,
            response_url=press.response_url,
            flag_number=number,
            from_home=press.from_home,
        )
        view = resolve_note_form(context, flag_key(number))
        if not await self._open_view(press.trigger_id, view):
            await self._tell(press.actor, press.channel_id, press.response_url, press.thread_ts)

    async def open_theme_form(self, press: ButtonPress, theme_id: int, verb: ThemeVerb) -> None:
        """Fixed, Won't fix and Not ours ask for a release, a reason or a channel first."""
        context = ModalContext(
            channel_id=press.channel_id,
            thread_ts=press.thread_ts,
            response_url=press.response_url,
            theme_id=theme_id,
        )
        if not await self._open_view(press.trigger_id, theme_status_form(context, verb)):
            await self._tell(press.actor, press.channel_id, press.response_url, press.thread_ts)

    async def _tell(
        self,
        actor: Actor,
        channel_id: str | None,
        response_url: str | None,
        thread_ts: str | None = None,
    ) -> None:
        """Say that a form did not open (Slack allows 3 seconds from the click)."""
        person = await self._people.person(actor.team_id, actor.user_id, actor.name)
        origin = Origin(person, channel_id, thread_ts, response_url)
        await record_answer(self._core, origin, Message(FORM_DID_NOT_OPEN))

    async def _open_view(self, trigger_id: str, view: dict[str, Any]) -> bool:
        try:
            await self._client.views_open(trigger_id=trigger_id, view=view)
        except SlackApiError as error:
            log.warning("views.open failed: %s", error_code(error))
            return False
        except (TimeoutError, aiohttp.ClientError) as error:
            log.warning("views.open failed: %s", type(error).__name__)
            return False
        return True


def opens_form(command: SlashCommand) -> bool:
    """`/flag` with nothing after it: the core's form (see `parse_command`).

    Its trigger expires 3 seconds after the click, so the form is opened straight away.
    """
    if _ALPHANUMERIC.search(command.text):
        return False  # the usual case, decided without cleaning the whole text on the ack path
    return not clean_text(command.text)


def resolve_note_number(press: ButtonPress) -> int | None:
    """The flag a Resolve button resolves (it asks for a note first); None for other buttons."""
    if press.action_id != ActionId.RESOLVE:
        return None
    try:
        return parse_flag_number(press.value)
    except ValueError:
        return None  # the core answers an unknown button itself


def opens_resolve_note(press: ButtonPress) -> bool:
    return resolve_note_number(press) is not None


def theme_form(press: ButtonPress) -> tuple[int, ThemeVerb] | None:
    """The theme and status a theme button asks a form for; None for other buttons."""
    try:
        verb = THEME_ACTIONS.get(ActionId(press.action_id))
    except ValueError:
        return None
    if verb is None or verb not in THEME_FORM_VERBS:
        return None
    try:
        return parse_flag_number(press.value), verb
    except ValueError:
        return None  # the core answers an unknown button itself
