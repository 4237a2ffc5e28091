"""What the Slack app listens to, registered on Bolt: store, acknowledge, work afterwards.

`LISTENED` is the single list of commands, shortcuts, views, actions and events; `register`
builds the Bolt listeners from it, and the manifest test holds manifest.yml to it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck

from adapters.slack.forms import Forms, opens_form, resolve_note_number, theme_form
from adapters.slack.interactions import Interactions
from adapters.slack.modals import FLAG_FORM, flag_form_answers
from adapters.slack.modals import RESOLVE_NOTE as RESOLVE_NOTE_VIEW
from adapters.slack.modals import THEME_STATUS as THEME_STATUS_VIEW
from adapters.slack.payloads import (
    ChatEvent,
    PayloadError,
    SlashCommand,
    parse_button_press,
    parse_event,
    parse_message_shortcut,
    parse_slash_command,
    parse_view_submission,
)
from adapters.slack.requests import FLAG_FORM as FLAG_FORM_KIND
from adapters.slack.requests import RESOLVE_NOTE, THEME_FORM, SlackRequests
from bot.actions import ActionId
from bot.flag_form import form_problems
from bot.flags.commands import MAX_COMMAND_CHARS, MAX_NOTE_CHARS
from bot.flags.raising import MAX_SUMMARY_CHARS

log = logging.getLogger(__name__)
T = TypeVar("T")
Listener = Callable[..., Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Surface:
    """Everything the app handles; manifest.yml must declare exactly the same."""

    commands: tuple[str, ...]
    message_shortcuts: tuple[str, ...]
    view_callbacks: tuple[str, ...]
    actions: tuple[str, ...]
    events: tuple[str, ...]


FLAG_COMMAND = "/flag"
FLAG_MESSAGE_SHORTCUT = "flag_message"
LISTENED = Surface(
    commands=(FLAG_COMMAND,),
    message_shortcuts=(FLAG_MESSAGE_SHORTCUT,),
    view_callbacks=(FLAG_FORM, RESOLVE_NOTE_VIEW, THEME_STATUS_VIEW),
    actions=tuple(action.value for action in ActionId),
    events=("app_home_opened", "app_mention", "message", "reaction_added"),
)


def register(
    bolt: AsyncApp, interactions: Interactions, forms: Forms, requests: SlackRequests
) -> dict[str, Listener]:
    """Register a Bolt listener for every entry of LISTENED (and one for unknown buttons).

    Each listener stores the request in the inbox, then acknowledges it: once Slack has its
    200, the request is in the database and will be run, whatever happens to this process.
    Forms are the exception: Slack lets a click open one for only 3 seconds, so they open
    at once, before the listener returns.

    Returns the slash command listeners by command, which the HTTP endpoint calls itself
    (`adapters.slack.endpoint`).
    """

    async def command(ack: AsyncAck, body: dict[str, Any]) -> None:
        parsed = await _parsed(parse_slash_command, body, ack)
        if parsed is None:
            return
        if len(parsed.text) > MAX_COMMAND_CHARS:
            # Answered at once, in the command's own response, and never stored.
            log.info(
                "answered a %s of %d characters (over %d); nothing done",
                parsed.command,
                len(parsed.text),
                MAX_COMMAND_CHARS,
            )
            await ack(response_type="ephemeral", text=command_too_long(parsed))
            return
        if opens_form(parsed):
            await ack()
            await forms.open_flag_form(parsed)
            return
        await requests.store_command(body, parsed.actor.team_id, parsed.trigger_id)
        await ack()

    async def shortcut(ack: AsyncAck, body: dict[str, Any]) -> None:
        parsed = await _parsed(parse_message_shortcut, body, ack)
        if parsed is not None:
            await ack()
            await forms.message_shortcut(parsed)

    async def pressed(ack: AsyncAck, body: dict[str, Any]) -> None:
        parsed = await _parsed(parse_button_press, body, ack)
        if parsed is None:
            return
        number = resolve_note_number(parsed)
        if number is not None:
            await ack()
            await forms.open_resolve_note(parsed, number)
            return
        asks = theme_form(parsed)
        if asks is not None:
            await ack()
            await forms.open_theme_form(parsed, *asks)
            return
        await requests.store_button(body, parsed.actor.team_id, parsed.trigger_id)
        await ack()

    async def resolve_note(ack: AsyncAck, body: dict[str, Any]) -> None:
        parsed = await _parsed(parse_view_submission, body, ack)
        if parsed is not None:
            await requests.store_view(RESOLVE_NOTE, body, parsed.actor.team_id, parsed.view_id)
            await ack()

    async def theme_status(ack: AsyncAck, body: dict[str, Any]) -> None:
        parsed = await _parsed(parse_view_submission, body, ack)
        if parsed is not None:
            await requests.store_view(THEME_FORM, body, parsed.actor.team_id, parsed.view_id)
            await ack()

    for name in LISTENED.commands:
        bolt.command(name)(command)
    for callback_id in LISTENED.message_shortcuts:
        bolt.message_shortcut(callback_id)(shortcut)
    for action_id in LISTENED.actions:
        bolt.block_action(action_id)(pressed)
    # Buttons of old messages (or other apps' ids) still get an answer, not Slack's ⚠️.
    bolt.block_action(re.compile(r".+"))(pressed)
    bolt.view_submission(FLAG_FORM)(_flag_form_listener(requests))
    bolt.view_submission(RESOLVE_NOTE_VIEW)(resolve_note)
    bolt.view_submission(THEME_STATUS_VIEW)(theme_status)
    for event_type in LISTENED.events:
        bolt.event(event_type)(_event_listener(interactions, requests))
    return {name: command for name in LISTENED.commands}


async def _parsed(
    parse: Callable[[dict[str, Any]], T], body: dict[str, Any], ack: AsyncAck
) -> T | None:
    """The parsed payload; None (and acknowledged) when it is malformed."""
    try:
        return parse(body)
    except PayloadError as error:
        # Only reachable over Socket Mode: over HTTP the endpoint already answered 400.
        log.warning("ignored a malformed Slack payload: %s", error)
        await ack()
        return None


def command_too_long(command: SlashCommand) -> str:
    """What an agent is told when a command's text is over MAX_COMMAND_CHARS."""
    return (
        f"⚠️ That {command.command} text is {len(command.text):,} characters; Frontline takes "
        f"at most {MAX_COMMAND_CHARS:,} after {command.command}, so nothing was done. A flag's "
        f"summary holds up to {MAX_SUMMARY_CHARS:,} characters and a note up to "
        f"{MAX_NOTE_CHARS:,}: say it in a few words and put the details in the ticket."
    )


def _event_listener(interactions: Interactions, requests: SlackRequests) -> Listener:
    """Store the events that may do something; Bolt acknowledges once this returns."""

    async def listener(body: dict[str, Any]) -> None:
        try:
            event = parse_event(body)
        except PayloadError as error:
            log.warning("ignored a malformed Slack event: %s", error)
            return
        if _worth_storing(interactions, event):
            await requests.store_event(body, event.actor.team_id, event.event_id)

    return listener


def _worth_storing(interactions: Interactions, event: ChatEvent) -> bool:
    """Most channel messages and reactions are chatter: only possible actions are stored."""
    if event.type == "app_mention":
        return interactions.mention_command(event) is not None
    if event.type == "message":
        return interactions.may_acknowledge(event)
    if event.type == "reaction_added":
        return interactions.acknowledging_reaction(event) is not None
    return event.type == "app_home_opened" and event.tab == "home"


def _flag_form_listener(requests: SlackRequests) -> Listener:
    """The flag form: field problems go back into the open modal, else it is stored."""

    async def listener(ack: AsyncAck, body: dict[str, Any]) -> None:
        submission = await _parsed(parse_view_submission, body, ack)
        if submission is None:
            return
        answers = flag_form_answers(submission)
        problems = form_problems(
            kind=answers.kind,
            summary=answers.summary,
            customer_refs=answers.customer_refs,
            severity=answers.severity,
        )
        if problems:
            await ack(response_action="errors", errors=problems)
            return
        await requests.store_view(
            FLAG_FORM_KIND, body, submission.actor.team_id, submission.view_id
        )
        await ack()

    return listener
