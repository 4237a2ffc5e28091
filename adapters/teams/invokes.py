"""Invoke activities: card buttons and forms (Action.Execute) and "Flag this message".

Each answer is the invoke response body Teams expects: a message for the person who pressed,
a card that replaces the form in place, or a dialog (task module) answer.
"""

from __future__ import annotations

from typing import Any

from botbuilder.core import TurnContext

from adapters.teams.activities import where_of
from adapters.teams.cards import (
    NOTE_INPUT,
    RESOLVE_WITH_NOTE,
    THEME_WITH_WORDS,
    WORDS_INPUT,
    adaptive_card,
    plain_text,
)
from adapters.teams.forms import (
    FORM_VERB,
    MESSAGE_ACTION_COMMAND,
    FlagForm,
    dialog_message,
    dialog_response,
    flag_form_card,
    form_from_message,
    read_form,
)
from adapters.teams.gateway import TeamsGateway
from adapters.teams.outcomes import Outcome, run_use_case
from adapters.teams.people import PeopleDirectory
from adapters.teams.turns import complete, core_of
from bot import dispatch
from bot.actions import THEME_ACTIONS, ActionId
from bot.errors import UsageError
from bot.flags.models import parse_flag_number
from bot.messages import Conversation, MessageRef
from bot.outbox.models import without_post_link

MESSAGE_RESPONSE = "application/vnd.microsoft.activity.message"
CARD_RESPONSE = "application/vnd.microsoft.card.adaptive"


class Invokes:
    """Answers Frontline's card actions and message extension with core calls."""

    def __init__(self, *, people: PeopleDirectory, gateway: TeamsGateway) -> None:
        self._people = people
        self._gateway = gateway

    async def card_action(
        self, turn_context: TurnContext, verb: str, data: dict[str, Any]
    ) -> dict[str, Any]:
        """A button or the form on one of Frontline's cards."""
        if verb == FORM_VERB:
            return await self._form_submitted(turn_context, read_form(data))
        core = core_of(turn_context)
        actor = await self._people.person_acting(turn_context)
        value = str(data.get("value") or "")
        outcome: Outcome | None
        if verb == THEME_WITH_WORDS:
            outcome = await run_use_case(
                lambda: dispatch.handle_theme_form(
                    core,
                    actor=actor,
                    theme_id=_flag_number(value),
                    verb=_theme_verb(data.get("action_id")),
                    words=str(data.get(WORDS_INPUT) or ""),
                    acting_from=_where_pressed(turn_context),
                )
            )
        elif verb == RESOLVE_WITH_NOTE:
            note = data.get(NOTE_INPUT)
            outcome = await run_use_case(
                lambda: dispatch.handle_resolve(
                    core,
                    actor=actor,
                    number=_flag_number(value),
                    note=note if isinstance(note, str) else None,
                    acting_from=_where_pressed(turn_context),
                    pressed_on=_card_pressed(turn_context),
                )
            )
        else:
            outcome = await run_use_case(
                lambda: dispatch.handle_action(
                    core,
                    actor=actor,
                    action_id=verb,
                    value=value,
                    pressed_on=_card_pressed(turn_context),
                )
            )
        assert outcome is not None
        await complete(turn_context)  # stored before answering; rendering reads names
        message = without_post_link(outcome.reply.message)
        return message_response(plain_text(message, await self._gateway.members_for(message)))

    def open_flag_dialog(self, value: dict[str, Any]) -> dict[str, Any]:
        """ "Flag this message": the form in a dialog, prefilled from the message."""
        if value.get("commandId") != MESSAGE_ACTION_COMMAND:
            return dialog_message("Frontline does not know that command.")
        payload = value.get("messagePayload")
        form = form_from_message(payload if isinstance(payload, dict) else {})
        return dialog_response(flag_form_card(form, in_dialog=True))

    async def dialog_submitted(
        self, turn_context: TurnContext, value: dict[str, Any]
    ) -> dict[str, Any]:
        """The dialog's form was sent: raise the flag, or show the form again with the problem."""
        data = value.get("data")
        form = read_form(data if isinstance(data, dict) else {})
        payload = value.get("messagePayload")
        if form.source_link is None and isinstance(payload, dict):
            link = form_from_message(payload).source_link
            form = FlagForm(form.kind, form.summary, form.customer_refs, form.severity, link)
        outcome = await self._submit(turn_context, form)
        await complete(turn_context)
        text = plain_text(without_post_link(outcome.reply.message), {})
        if outcome.failed:
            return dialog_response(flag_form_card(form, problem=text, in_dialog=True))
        return dialog_message(text)

    async def _form_submitted(self, turn_context: TurnContext, form: FlagForm) -> dict[str, Any]:
        """The flag form card was sent: its answer replaces the form (or shows it again)."""
        outcome = await self._submit(turn_context, form)
        await complete(turn_context)
        message = without_post_link(outcome.reply.message)
        if outcome.failed:
            return card_response(flag_form_card(form, problem=plain_text(message, {})))
        return card_response(adaptive_card(message, await self._gateway.members_for(message)))

    async def _submit(self, turn_context: TurnContext, form: FlagForm) -> Outcome:
        actor = await self._people.person_acting(turn_context)
        where = where_of(turn_context.activity)
        core = core_of(turn_context)
        outcome = await run_use_case(
            lambda: dispatch.handle_form(
                core,
                actor=actor,
                where=where,
                kind=form.kind,
                summary=form.summary,
                customer_refs=form.customer_refs,
                severity=form.severity,
                source_link=form.source_link,
            )
        )
        assert outcome is not None
        return outcome


def _card_pressed(turn_context: TurnContext) -> MessageRef | None:
    """The card whose button was pressed: its message in its channel, when Teams says."""
    activity = turn_context.activity
    message_id = activity.reply_to_id
    if not message_id:
        return None
    where = where_of(activity)
    return MessageRef(where.conversation, str(message_id))


def card_response(content: dict[str, Any]) -> dict[str, Any]:
    """An Action.Execute answer that replaces the card in place."""
    return {"statusCode": 200, "type": CARD_RESPONSE, "value": content}


def message_response(text: str) -> dict[str, Any]:
    """An Action.Execute answer shown to the person who pressed."""
    return {"statusCode": 200, "type": MESSAGE_RESPONSE, "value": text}


def _flag_number(value: str) -> int:
    try:
        return parse_flag_number(value)
    except ValueError:
        raise UsageError(
            "That button is not one Frontline knows; it may be from an old message."
        ) from None


def _where_pressed(turn_context: TurnContext) -> Conversation | None:
    """The conversation of the card a button was pressed on."""
    pressed = _card_pressed(turn_context)
    return pressed.conversation if pressed is not None else None


def _theme_verb(action_id: object) -> str:
    """The status a theme button with words stands for ("" when it is none: the core says so)."""
    try:
        verb = THEME_ACTIONS.get(ActionId(str(action_id)))
    except ValueError:
        return ""
    return verb.value if verb is not None else ""
