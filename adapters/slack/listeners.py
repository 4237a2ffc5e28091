"""What the Slack app listens to, registered on Bolt: acknowledge at once, work afterwards.

`LISTENED` is the single list of commands, shortcuts, views, actions and events; `register`
builds the Bolt listeners from it, and the manifest test holds manifest.yml to it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck

from adapters.slack.interactions import Interactions, opens_form, opens_resolve_note
from adapters.slack.modals import FLAG_FORM, RESOLVE_NOTE, flag_form_answers
from adapters.slack.payloads import (
    PayloadError,
    parse_button_press,
    parse_event,
    parse_message_shortcut,
    parse_slash_command,
    parse_view_submission,
)
from adapters.slack.tasks import BackgroundWork
from bot.actions import ActionId
from bot.flag_form import form_problems

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
    view_callbacks=(FLAG_FORM, RESOLVE_NOTE),
    actions=tuple(action.value for action in ActionId),
    events=("app_home_opened", "app_mention", "message", "reaction_added"),
)


def register(bolt: AsyncApp, interactions: Interactions, work: BackgroundWork) -> None:
    """Register a Bolt listener for every entry of LISTENED (and one for unknown buttons)."""

    def later(
        what: str,
        start: Callable[[T], Coroutine[Any, Any, None]],
        urgent: Callable[[T], bool] = lambda _: False,
    ) -> Callable[[T], None]:
        return lambda payload: work.spawn(start(payload), what, urgent=urgent(payload))

    for command in LISTENED.commands:
        bolt.command(command)(
            _acknowledging(
                parse_slash_command, later(command, interactions.slash_command, opens_form)
            )
        )
    for callback_id in LISTENED.message_shortcuts:
        bolt.message_shortcut(callback_id)(
            _acknowledging(
                parse_message_shortcut,
                later("shortcut", interactions.message_shortcut, lambda _: True),
            )
        )
    pressed = _acknowledging(
        parse_button_press, later("button", interactions.button, opens_resolve_note)
    )
    for action_id in LISTENED.actions:
        bolt.block_action(action_id)(pressed)
    # Buttons of old messages (or other apps' ids) still get an answer, not Slack's ⚠️.
    bolt.block_action(re.compile(r".+"))(pressed)

    bolt.view_submission(FLAG_FORM)(_flag_form_listener(interactions, work))
    bolt.view_submission(RESOLVE_NOTE)(
        _acknowledging(parse_view_submission, later("resolve note", interactions.resolve_submitted))
    )

    handlers = {
        "app_home_opened": interactions.home_opened,
        "app_mention": interactions.mention,
        "message": interactions.thread_reply,
        "reaction_added": interactions.reaction,
    }
    for event_type in LISTENED.events:
        bolt.event(event_type)(_event_listener(later(event_type, handlers[event_type])))


def _acknowledging(parse: Callable[[dict[str, Any]], T], then: Callable[[T], None]) -> Listener:
    """A listener that parses the body, acknowledges, and hands the payload to `then`."""

    async def listener(ack: AsyncAck, body: dict[str, Any]) -> None:
        try:
            payload = parse(body)
        except PayloadError as error:
            # Only reachable over Socket Mode: over HTTP the endpoint already answered 400.
            log.warning("ignored a malformed Slack payload: %s", error)
            await ack()
            return
        await ack()
        then(payload)

    return listener


def _event_listener(then: Callable[..., None]) -> Listener:
    """Bolt acknowledges an event itself once this returns, which is at once."""

    async def listener(body: dict[str, Any]) -> None:
        try:
            event = parse_event(body)
        except PayloadError as error:
            log.warning("ignored a malformed Slack event: %s", error)
            return
        then(event)

    return listener


def _flag_form_listener(interactions: Interactions, work: BackgroundWork) -> Listener:
    """The flag form: field problems go back into the open modal, else it closes and we work."""

    async def listener(ack: AsyncAck, body: dict[str, Any]) -> None:
        try:
            submission = parse_view_submission(body)
        except PayloadError as error:
            log.warning("ignored a malformed flag form: %s", error)
            await ack()
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
        await ack()
        work.spawn(interactions.flag_form_submitted(submission, answers), "flag form")

    return listener
