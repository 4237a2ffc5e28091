"""The Teams activity handler: translates each activity into one core call and answers it.

Messages become `/flag` commands or reply-chain acknowledgements, reactions may acknowledge,
card buttons, forms and "Flag this message" go to `Invokes`; every activity's conversation
references are stored first so Frontline can write there later.

Each turn is one transaction (`SharedUnitOfWork`): the mark that the activity was handled,
its references, the use case's changes, the messages it records and the answer are committed
together, before Teams gets its HTTP answer. A crash before that commit leaves nothing, and
Teams' redelivery runs the activity again; after it, a redelivery is recognised and ignored.
Nothing is sent inside the request except a form card, which must appear at once.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from typing import Any

from botbuilder.core import ActivityHandler, InvokeResponse, TurnContext
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount, MessageReaction

from adapters.teams.activities import (
    PERSONAL,
    bot_was_mentioned,
    conversation_type_of,
    is_bot,
    split_conversation_id,
    typed_text,
    where_of,
)
from adapters.teams.cards import card_attachment
from adapters.teams.forms import FORM_VERB, flag_form_card
from adapters.teams.gateway import TeamsGateway
from adapters.teams.invokes import CARD_RESPONSE, Invokes, message_response
from adapters.teams.outcomes import Outcome, run_use_case
from adapters.teams.people import PeopleDirectory
from adapters.teams.references import ReferenceBook, Written
from adapters.teams.turns import CORE, CURRENT_TURN, TURN, complete, core_of
from bot import dispatch
from bot.core import Core
from bot.errors import DeliveryError
from bot.inbox.shared import SharedUnitOfWork
from bot.messages import Message, Person, Reply, Where
from bot.outbox.models import Outgoing
from bot.outbox.worker import DeliveryWorker

log = logging.getLogger(__name__)
_FLAG_WORD = re.compile(r"^/?flag\b[:,]?\s*", re.IGNORECASE)
_WELCOME = (
    "Hi! I'm Frontline. Flag customer issues here or in any channel: `flag escalate …` for a "
    "customer who needs help now, `flag recurring …` for a problem customers keep hitting, "
    "`flag` alone for a form, `flag help` for everything else."
)
_SORRY = (
    "⚠️ Something went wrong on Frontline's side, not yours. Try again in a moment; if it "
    "keeps happening, your Frontline admin will find the details in the server log."
)


def flag_command(text: str) -> str | None:
    """The text after a leading `flag` (or `/flag`); None when the text is not a flag command."""
    stripped = text.strip()
    match = _FLAG_WORD.match(stripped)
    return stripped[match.end() :] if match else None


_PRIVATELY = {"private": "yes"}  # Teams has no ephemeral messages: a direct message


def _in_place(turn_context: TurnContext, where: Where) -> dict[str, str]:
    """The answer's route: a reply to the person's message, where they wrote it."""
    activity = turn_context.activity
    route = {"conversation_id": where.conversation.channel_id}
    if activity.type == ActivityTypes.message and activity.id:
        route["reply_to"] = str(activity.id)
        if where.thread_id:
            route["thread_id"] = where.thread_id
    return route


NO_SUCH_DIALOG = {
    "task": {"type": "message", "value": "Frontline has no dialog here. Type `flag help`."}
}


class TeamsBot(ActivityHandler):  # type: ignore[misc]  # the SDK ships no types
    """Turns Teams activities into core calls; rendering and sending go through the gateway."""

    def __init__(
        self,
        core: Core,
        *,
        references: ReferenceBook,
        people: PeopleDirectory,
        gateway: TeamsGateway,
        delivery: DeliveryWorker | None = None,
    ) -> None:
        self._base_core = core
        self._delivery = delivery  # woken after each turn, to send what the turn recorded
        self._references = references
        self._people = people
        self._gateway = gateway
        self._invokes = Invokes(people=people, gateway=gateway)

    async def on_turn(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        turn = SharedUnitOfWork(self._base_core.uow())
        turn_context.turn_state[TURN] = turn
        turn_context.turn_state[CORE] = replace(self._base_core, uow=lambda: turn)
        current = CURRENT_TURN.set(turn)
        try:
            await self._know_sender(turn_context)
            fresh, written = await self._remember(turn, activity)
            if not fresh:
                log.info("teams: ignored a repeated %s activity", activity.type)
                if activity.type == ActivityTypes.invoke:
                    await self._answer_invoke(turn_context, InvokeResponse(status=200))
                return
            await super().on_turn(turn_context)
            await turn.complete()
            self._references.committed(written)
        except Exception:
            log.exception("teams: could not handle a %s activity", activity.type)
            await turn.rollback()
            await self._apologise(turn_context)
        finally:
            CURRENT_TURN.reset(current)
            await turn.close()
        if self._delivery is not None:
            self._delivery.wake()

    async def _know_sender(self, turn_context: TurnContext) -> None:
        """Look up a sender's missing name before the turn's first statement, not inside it.

        On SQLite the turn's transaction holds the one write lock from its first statement:
        a roster look-up made inside it would hold every other writer while the connector is
        slow. Made here, the name is cached for the handlers that need it.
        """
        activity = turn_context.activity
        sender = activity.from_property
        acts = activity.type in (ActivityTypes.message, ActivityTypes.invoke)
        if acts and sender is not None and not is_bot(sender):
            await self._people.name_in_turn(turn_context, sender)

    async def _remember(
        self, turn: SharedUnitOfWork, activity: Activity
    ) -> tuple[bool, list[Written]]:
        """Store the activity's references; False when it was already handled (a redelivery),
        and what was written (to count as stored once the turn commits)."""
        key = None
        if activity.type in (ActivityTypes.message, ActivityTypes.invoke) and activity.id:
            conversation = activity.conversation.id if activity.conversation else ""
            key = f"teams:{split_conversation_id(conversation or '')[0]}:{activity.id}"
        now = self._base_core.clock.now()
        fresh = key is None or await turn.idempotency.claim(key, now)
        written = await self._references.remember(turn, activity) if fresh else []
        for account in [activity.from_property, *(activity.members_added or [])]:
            self._people.learn(account)
        return fresh, written

    # Messages, reactions, installs ---------------------------------------------------------

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        if is_bot(activity.from_property):
            return  # other bots' posts (visible with RSC) neither command nor acknowledge
        if isinstance(activity.value, dict) and not (activity.text or "").strip():
            await self._on_card_submitted(turn_context, activity.value)
            return
        text = typed_text(activity)
        command = flag_command(text)
        if conversation_type_of(activity) == PERSONAL:
            await self._command(turn_context, text if command is None else command)
            return
        # In channels and group chats only a message that @mentions Frontline is a command.
        mentioned = bot_was_mentioned(activity)
        if mentioned and command is not None:
            await self._command(turn_context, command)
            return
        where = where_of(activity)
        if where.thread_id is not None and await self._reply_in_chain(turn_context, where, text):
            return
        if mentioned:
            await self._command(turn_context, text)

    async def _command(self, turn_context: TurnContext, text: str) -> None:
        core = core_of(turn_context)
        actor = await self._people.person_acting(turn_context)
        where = where_of(turn_context.activity)
        outcome = await run_use_case(
            lambda: dispatch.handle_command(core, actor=actor, where=where, text=text)
        )
        assert outcome is not None
        if outcome.reply.open_form:
            # Like a modal: the form appears at once, in the request, or not at all. The turn
            # is stored first: on SQLite its open transaction would hold every other writer
            # for as long as the connector takes.
            await complete(turn_context)
            form = Activity(
                type=ActivityTypes.message,
                summary="Flag an issue",
                attachments=[card_attachment(flag_form_card())],
            )
            await self._respond(turn_context, form)
            return
        await self._answer(turn_context, actor, outcome.reply, _in_place(turn_context, where))

    async def _reply_in_chain(self, turn_context: TurnContext, where: Where, text: str) -> bool:
        """A reply like `on it` under an escalation acknowledges it; False when it is not one."""
        core = core_of(turn_context)
        actor = await self._people.person_acting(turn_context)
        outcome = await run_use_case(
            lambda: dispatch.handle_thread_reply(core, actor=actor, where=where, text=text)
        )
        if outcome is None:
            return False
        # The reply chain already got its one line from the core; the answer is for the actor.
        await self._answer(turn_context, actor, outcome.reply, _PRIVATELY)
        return True

    async def on_reactions_added(
        self, message_reactions: list[MessageReaction], turn_context: TurnContext
    ) -> None:
        activity = turn_context.activity
        if not activity.reply_to_id:
            return
        actor = await self._people.person_acting(turn_context)
        where = where_of(activity)
        for reaction in message_reactions:
            outcome = await self._react(
                core_of(turn_context),
                actor,
                where,
                str(activity.reply_to_id),
                str(reaction.type or ""),
            )
            if outcome is not None:
                await self._answer(turn_context, actor, outcome.reply, _PRIVATELY)
                return

    async def _react(
        self, core: Core, actor: Person, where: Where, message_id: str, reaction: str
    ) -> Outcome | None:
        return await run_use_case(
            lambda: dispatch.handle_reaction(
                core,
                actor=actor,
                conversation=where.conversation,
                message_id=message_id,
                reaction=reaction,
            )
        )

    async def on_members_added_activity(
        self, members_added: list[ChannelAccount], turn_context: TurnContext
    ) -> None:
        activity = turn_context.activity
        bot_id = activity.recipient.id if activity.recipient else None
        added_bot = any(member.id == bot_id for member in members_added)
        if added_bot and conversation_type_of(activity) == PERSONAL:
            actor = await self._people.person_acting(turn_context)
            await self._answer(turn_context, actor, Reply(Message(_WELCOME)), _PRIVATELY)

    # Invokes --------------------------------------------------------------------------------

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        activity = turn_context.activity
        value = activity.value if isinstance(activity.value, dict) else {}
        if activity.name == "adaptiveCard/action":
            action = value.get("action")
            action = action if isinstance(action, dict) else {}
            data = action.get("data")
            verb = str(action.get("verb") or "")
            data = data if isinstance(data, dict) else {}
            body = await self._invokes.card_action(turn_context, verb, data)
            return InvokeResponse(status=200, body=body)
        if activity.name == "composeExtension/fetchTask":
            return InvokeResponse(status=200, body=self._invokes.open_flag_dialog(value))
        if activity.name == "composeExtension/submitAction":
            body = await self._invokes.dialog_submitted(turn_context, value)
            return InvokeResponse(status=200, body=body)
        if activity.name == "task/fetch":
            # A dialog Frontline did not open: say so in Teams' own dialog.
            return InvokeResponse(status=200, body=NO_SUCH_DIALOG)
        # Every other invoke Teams may send (search, settings, sign-in…) has nothing to do
        # here: an empty 200 tells Teams it was received, where a 501 shows an error.
        log.info("teams: answered a %r invoke Frontline does not use", str(activity.name)[:60])
        return InvokeResponse(status=200)

    async def _on_card_submitted(self, turn_context: TurnContext, data: dict[str, Any]) -> None:
        """An Action.Submit from a client without Action.Execute: same actions, message answers."""
        verb = str(data.get("verb") or data.get("action_id") or "")
        if "summary" in data and not verb:
            verb = FORM_VERB
        body = await self._invokes.card_action(turn_context, verb, data)
        form_card = turn_context.activity.reply_to_id
        if body["type"] == CARD_RESPONSE and form_card:
            answer = Activity(
                type=ActivityTypes.message, attachments=[card_attachment(body["value"])]
            )
            await self._respond(turn_context, answer, replace=str(form_card))
        else:
            actor = await self._people.person_acting(turn_context)
            where = where_of(turn_context.activity)
            reply = Reply(Message(body["value"]))
            await self._answer(turn_context, actor, reply, _in_place(turn_context, where))

    # Answering ------------------------------------------------------------------------------

    async def _respond(
        self, turn_context: TurnContext, answer: Activity, *, replace: str | None = None
    ) -> None:
        try:
            await self._gateway.respond(turn_context, answer, replace=replace)
        except DeliveryError as error:
            log.warning("teams: could not answer in the conversation: %s", error.reason)

    async def _answer(
        self, turn_context: TurnContext, actor: Person, reply: Reply, route: dict[str, str]
    ) -> None:
        """Record the answer in the outbox, in the turn's transaction (sent after the turn)."""
        core = core_of(turn_context)
        answer = Outgoing.answer(actor, reply.message, route, after_post_of=reply.after_post_of)
        async with core.uow() as uow:
            await uow.outbox.record(answer, core.clock.now())

    async def _answer_invoke(self, turn_context: TurnContext, response: InvokeResponse) -> None:
        await turn_context.send_activity(
            Activity(type=ActivityTypes.invoke_response, value=response)
        )

    async def _apologise(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        try:
            if activity.type == ActivityTypes.invoke:
                body = message_response(_SORRY)
                await self._answer_invoke(turn_context, InvokeResponse(status=200, body=body))
            elif activity.type == ActivityTypes.message:
                await self._respond(turn_context, Activity(type=ActivityTypes.message, text=_SORRY))
        except Exception:
            log.exception("teams: could not even say sorry")
