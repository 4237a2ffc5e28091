"""What each Slack interaction does once acknowledged: one core call, then the answer.

Opening a form happens at once (Slack allows 3 seconds); everything else runs from the inbox,
after Slack got its acknowledgement. `_answer` is the one place where the core's
UserFacingError becomes a message to the person.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.answers import Origin, record_answer
from adapters.slack.dedupe import Deduplicator, press_keys
from adapters.slack.errors import error_code
from adapters.slack.gateway import PLATFORM, SlackGateway
from adapters.slack.home import home_tab
from adapters.slack.modals import (
    FlagFormAnswers,
    ModalContext,
    resolve_note,
    theme_form_words,
)
from adapters.slack.payloads import (
    ButtonPress,
    ChatEvent,
    SlashCommand,
    ViewSubmission,
    is_private,
)
from adapters.slack.people import People
from bot import dispatch
from bot.core import Core
from bot.errors import DeliveryError, UserFacingError
from bot.escalations.service import is_ack_reply
from bot.home import home_view
from bot.messages import Conversation, Message, MessageRef, Person, Reply, Where

log = logging.getLogger(__name__)

_LEADING_MENTION = re.compile(r"^\s*<@[UW][A-Z0-9]+(?:\|[^>]*)?>[\s:,]*")
_FLAG_WORD = re.compile(r"^flag\b\s*", re.IGNORECASE)
_SKIN_TONE = re.compile(r"::skin-tone-\d$")
SORRY = (
    "⚠️ Something went wrong on Frontline's side, not yours. Try again in a moment; if it "
    "keeps happening, your Frontline admin will find the details in the server log."
)
NO_FORM_HERE = (
    "The flag form opens from `/flag` or from a message's “Flag this message” shortcut. Here, "
    "write it out: `@Frontline flag escalate <what happened> [customer ref] [sev:high]`."
)

UseCase = Callable[[], Awaitable[Reply | None]]


class Interactions:
    """Turns stored Slack requests into core calls, and answers the person through the outbox.

    The inbox worker runs each request on a core whose units of work are that request's one
    transaction (`using`), so the flag, its messages and the answer are stored together.
    """

    def __init__(
        self,
        *,
        core: Core,
        client: AsyncWebClient,
        gateway: SlackGateway,
        people: People,
        final_attempt: bool = True,
    ) -> None:
        self._core = core
        self._client = client
        self._gateway = gateway
        self._people = people
        self._dedupe = Deduplicator(core)
        self._final_attempt = final_attempt
        self.bot_user_id: str | None = None

    def using(self, core: Core, *, final_attempt: bool) -> Interactions:
        """The same interactions on another core (a stored request's transaction)."""
        copy = Interactions(
            core=core,
            client=self._client,
            gateway=self._gateway,
            people=self._people,
            final_attempt=final_attempt,
        )
        copy.bot_user_id = self.bot_user_id
        return copy

    # Stored requests ----------------------------------------------------------------------

    async def slash_command(self, command: SlashCommand) -> None:
        """`/flag …`: run the command."""
        actor = command.actor
        person = await self._people.person(actor.team_id, actor.user_id, actor.name)
        origin = Origin(person, command.channel_id, response_url=command.response_url)
        where = Where(_conversation(actor.team_id, command.channel_id), private=command.private)
        await self._answer(
            origin,
            lambda: dispatch.handle_command(
                self._core, actor=person, where=where, text=command.text
            ),
        )

    async def flag_form_submitted(
        self, submission: ViewSubmission, answers: FlagFormAnswers
    ) -> None:
        """The flag form, already checked field by field, becomes a flag."""
        actor = submission.actor
        context = ModalContext.decode(submission.private_metadata)
        person = await self._people.person(actor.team_id, actor.user_id, actor.name)
        origin = Origin(person, context.channel_id, context.thread_ts, context.response_url)
        source_link = None
        if context.channel_id and context.message_ts:
            conversation = _conversation(actor.team_id, context.channel_id)
            try:
                source_link = await self._gateway.permalink(
                    MessageRef(conversation, context.message_ts, context.thread_ts)
                )
            except DeliveryError:
                source_link = None
        channel = context.channel_id or actor.user_id
        where = Where(
            # Without a channel (never from our own forms), a user id is the app's DM with them.
            _conversation(actor.team_id, channel),
            context.thread_ts,
            context.message_ts,
            private=not context.channel_id or is_private(channel),
        )
        await self._answer(
            origin,
            lambda: dispatch.handle_form(
                self._core,
                actor=person,
                where=where,
                kind=answers.kind,
                summary=answers.summary,
                customer_refs=answers.customer_refs,
                severity=answers.severity,
                source_link=source_link,
            ),
        )

    async def button(self, press: ButtonPress) -> None:
        """A button on a post, a reply or the Home tab (Resolve opened its note form)."""
        actor = press.actor
        person = await self._people.person(actor.team_id, actor.user_id, actor.name)
        # A double click is two requests a moment apart: the second does nothing.
        if not await self._dedupe.first_time(*press_keys(press)[1:]):
            return
        origin = Origin(
            person, press.channel_id, press.thread_ts, press.response_url, press.from_home
        )
        pressed_on = None
        if press.channel_id and press.message_ts and not press.from_home:
            where = _conversation(actor.team_id, press.channel_id)
            pressed_on = MessageRef(where, press.message_ts, press.thread_ts)
        await self._answer(
            origin,
            lambda: dispatch.handle_action(
                self._core,
                actor=person,
                action_id=press.action_id,
                value=press.value,
                pressed_on=pressed_on,
            ),
        )
        if press.from_home:
            await self.publish_home(person)

    async def resolve_submitted(self, submission: ViewSubmission) -> None:
        """The resolve note was given (or left empty): resolve the flag."""
        actor = submission.actor
        context = ModalContext.decode(submission.private_metadata)
        number = context.flag_number
        if number is None:
            log.warning("a resolve note arrived without its flag number; ignored")
            return
        person = await self._people.person(actor.team_id, actor.user_id, actor.name)
        origin = Origin(
            person, context.channel_id, context.thread_ts, context.response_url, context.from_home
        )
        note = resolve_note(submission)
        place = None
        if context.channel_id and not context.from_home:
            place = _conversation(actor.team_id, context.channel_id)
        await self._answer(
            origin,
            lambda: dispatch.handle_resolve(
                self._core, actor=person, number=number, note=note, acting_from=place
            ),
        )
        if context.from_home:
            await self.publish_home(person)

    async def theme_form_submitted(self, submission: ViewSubmission) -> None:
        """Fixed with its release, Won't fix with its reason, or Not ours with its channel."""
        actor = submission.actor
        context = ModalContext.decode(submission.private_metadata)
        if context.theme_id is None or context.verb is None:
            log.warning("a theme form arrived without its theme or status; ignored")
            return
        person = await self._people.person(actor.team_id, actor.user_id, actor.name)
        origin = Origin(person, context.channel_id, context.thread_ts, context.response_url)
        place = _conversation(actor.team_id, context.channel_id) if context.channel_id else None
        theme_id, verb, words = context.theme_id, context.verb, theme_form_words(submission)
        await self._answer(
            origin,
            lambda: dispatch.handle_theme_form(
                self._core,
                actor=person,
                theme_id=theme_id,
                verb=verb,
                words=words,
                acting_from=place,
            ),
        )

    async def _event_context(self, event: ChatEvent) -> tuple[Person, Origin, Where]:
        """Who wrote a channel or thread message, where to answer them, and where it was."""
        person = await self._people.person(event.actor.team_id, event.actor.user_id)
        origin = Origin(person, event.channel_id, event.thread_ts)
        conversation = _conversation(event.actor.team_id, event.channel_id)
        return person, origin, Where(conversation, event.thread_ts, event.ts, private=event.private)

    def mention_command(self, event: ChatEvent) -> str | None:
        """The `/flag` text of `@Frontline flag …`; None when the mention is not a command."""
        text = self._without_bot_mention(event.text)
        if _FLAG_WORD.match(text):
            return _FLAG_WORD.sub("", text, count=1)
        if event.thread_ts:
            return None  # "@Frontline ack" in a thread is a thread reply; that path handles it
        return text

    async def mention(self, event: ChatEvent) -> None:
        """`@Frontline flag …` in a channel or a thread runs the command."""
        text = self.mention_command(event)
        if text is None:
            return
        person, origin, where = await self._event_context(event)
        await self._answer(
            origin,
            lambda: dispatch.handle_command(self._core, actor=person, where=where, text=text),
        )

    def may_acknowledge(self, event: ChatEvent) -> bool:
        """Only possible acknowledgements are worth storing; the rest of a thread is chatter."""
        if event.from_bot or not event.thread_ts or event.thread_ts == event.ts:
            return False
        return is_ack_reply(event.text, self._core.config.acknowledgement.words)

    async def thread_reply(self, event: ChatEvent) -> None:
        """A reply in a thread; `ack`, `on it`… under an escalation acknowledges it."""
        if not self.may_acknowledge(event):
            return
        person, origin, where = await self._event_context(event)
        await self._answer(
            origin,
            lambda: dispatch.handle_thread_reply(
                self._core, actor=person, where=where, text=event.text
            ),
        )

    def acknowledging_reaction(self, event: ChatEvent) -> str | None:
        """The reaction's name when it is one that acknowledges (✅, 👀); else None."""
        name = _SKIN_TONE.sub("", event.reaction)
        if not event.channel_id or name not in self._core.config.acknowledgement.reactions:
            return None
        return name

    async def reaction(self, event: ChatEvent) -> None:
        """✅ or 👀 on an escalation post acknowledges it."""
        name = self.acknowledging_reaction(event)
        if name is None:
            return
        person = await self._people.person(event.actor.team_id, event.actor.user_id)
        origin = Origin(person, event.channel_id, event.ts)
        conversation = _conversation(event.actor.team_id, event.channel_id)
        await self._answer(
            origin,
            lambda: dispatch.handle_reaction(
                self._core,
                actor=person,
                conversation=conversation,
                message_id=event.ts,
                reaction=name,
            ),
        )

    async def home_opened(self, event: ChatEvent) -> None:
        """The person opened the Home tab: show their flags as they stand now."""
        if event.tab != "home":
            return
        person = await self._people.person(event.actor.team_id, event.actor.user_id)
        await self.publish_home(person)

    async def publish_home(self, person: Person) -> None:
        view = home_tab(await home_view(self._core, viewer=person))
        try:
            await self._client.views_publish(user_id=person.user_id, view=view)
        except SlackApiError as error:
            log.warning("views.publish for %s failed: %s", person.user_id, error_code(error))
        except (TimeoutError, aiohttp.ClientError) as error:
            log.warning("views.publish for %s failed: %s", person.user_id, type(error).__name__)

    async def _answer(self, origin: Origin, use_case: UseCase) -> None:
        """Run the use case and record its answer; the adapter's one handler of UserFacingError.

        An unexpected failure (a database blip) runs the whole request again, from the inbox;
        only on its last attempt does the person get an apology instead.
        """
        try:
            reply = await use_case()
        except UserFacingError as error:
            await self._undo()
            reply = dispatch.error_reply(error)
        except Exception:
            if not self._final_attempt:
                raise
            log.exception("Slack interaction failed")
            await self._undo()
            reply = Reply(Message(SORRY))
        if reply is None:
            return
        # Forms open from /flag and the shortcut (they bring a trigger); elsewhere, say so.
        message = Message(NO_FORM_HERE) if reply.open_form else reply.message
        await record_answer(self._core, origin, message, reply.after_post_of)

    async def _undo(self) -> None:
        """Forget what a failed use case wrote, keeping the transaction for the answer."""
        async with self._core.uow() as uow:
            await uow.rollback()

    def _without_bot_mention(self, text: str) -> str:
        if self.bot_user_id:
            text = re.sub(
                rf"<@{re.escape(self.bot_user_id)}(?:\|[^>]*)?>[\s:,]*", "", text, count=1
            )
            return text.strip()
        return _LEADING_MENTION.sub("", text, count=1).strip()


def _conversation(team_id: str, channel_id: str) -> Conversation:
    return Conversation(PLATFORM, team_id, channel_id)
