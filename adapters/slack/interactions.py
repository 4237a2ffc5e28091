"""What each Slack interaction does once acknowledged: one core call, then the answer.

Every method here runs in the background, after Slack got its acknowledgement. `_answer`
is the one place where the core's UserFacingError becomes a message to the person.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.dedupe import Deduplicator, event_key, press_keys, trigger_key, view_key
from adapters.slack.errors import error_code
from adapters.slack.gateway import PLATFORM, SlackGateway
from adapters.slack.home import home_tab
from adapters.slack.modals import (
    FlagFormAnswers,
    ModalContext,
    flag_form,
    resolve_note,
    resolve_note_form,
)
from adapters.slack.payloads import (
    Actor,
    ButtonPress,
    ChatEvent,
    MessageShortcut,
    SlashCommand,
    ViewSubmission,
)
from adapters.slack.people import People
from adapters.slack.replies import Origin, Responder
from adapters.slack.text import unescape
from bot import dispatch
from bot.actions import ActionId
from bot.core import Core
from bot.errors import DeliveryError, UserFacingError
from bot.escalations.service import is_ack_reply
from bot.flags.commands import clean_text
from bot.flags.models import flag_key, parse_flag_number
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
FORM_DID_NOT_OPEN = "⚠️ Slack did not open the form in time. Please try again."

UseCase = Callable[[], Awaitable[Reply | None]]


class Interactions:
    """Turns acknowledged Slack payloads into core calls and answers the person."""

    def __init__(
        self,
        *,
        core: Core,
        client: AsyncWebClient,
        gateway: SlackGateway,
        people: People,
        dedupe: Deduplicator,
        responder: Responder,
    ) -> None:
        self._core = core
        self._client = client
        self._gateway = gateway
        self._people = people
        self._dedupe = dedupe
        self._responder = responder
        self.bot_user_id: str | None = None

    async def slash_command(self, command: SlashCommand) -> None:
        """`/flag …`: run the command; `/flag` alone opens the form."""
        actor = command.actor
        if not await self._dedupe.first_time(trigger_key(actor.team_id, command.trigger_id)):
            return
        if opens_form(command):
            context = ModalContext(channel_id=command.channel_id, response_url=command.response_url)
            if not await self._open_view(command.trigger_id, flag_form(context)):
                await self._tell(command.actor, command.channel_id, command.response_url)
            return
        person = await self._people.person(actor.team_id, actor.user_id, actor.name)
        origin = Origin(person, command.channel_id, response_url=command.response_url)
        where = Where(_conversation(actor.team_id, command.channel_id))
        await self._answer(
            origin,
            lambda: dispatch.handle_command(
                self._core, actor=person, where=where, text=command.text
            ),
        )

    async def message_shortcut(self, shortcut: MessageShortcut) -> None:
        """The "Flag this message" shortcut: the form, prefilled, linking back to the message."""
        actor = shortcut.actor
        if not await self._dedupe.first_time(trigger_key(actor.team_id, shortcut.trigger_id)):
            return
        context = ModalContext(
            channel_id=shortcut.channel_id,
            thread_ts=shortcut.thread_ts,
            message_ts=shortcut.message_ts,
            response_url=shortcut.response_url,
        )
        view = flag_form(context, summary=unescape(shortcut.message_text))
        if not await self._open_view(shortcut.trigger_id, view):
            await self._tell(actor, shortcut.channel_id, shortcut.response_url, shortcut.thread_ts)

    async def flag_form_submitted(
        self, submission: ViewSubmission, answers: FlagFormAnswers
    ) -> None:
        """The flag form, already checked field by field, becomes a flag."""
        actor = submission.actor
        if not await self._dedupe.first_time(view_key(actor.team_id, submission.view_id)):
            return
        context = ModalContext.decode(submission.private_metadata)
        person = await self._people.person(actor.team_id, actor.user_id, actor.name)
        origin = Origin(person, context.channel_id, context.thread_ts, context.response_url)
        source_link = None
        if context.channel_id and context.message_ts:
            conversation = _conversation(actor.team_id, context.channel_id)
            source_link = await self._gateway.permalink(
                MessageRef(conversation, context.message_ts, context.thread_ts)
            )
        where = Where(
            # Without a channel (never from our own forms), a user id is the app's DM with them.
            _conversation(actor.team_id, context.channel_id or actor.user_id),
            context.thread_ts,
            context.message_ts,
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
        """A button on a post, a reply or the Home tab; Resolve first asks for a note."""
        if not await self._dedupe.first_time(*press_keys(press)):
            return
        actor = press.actor
        number = resolve_note_number(press)
        if number is not None:
            context = ModalContext(
                channel_id=press.channel_id,
                thread_ts=press.thread_ts,
                response_url=press.response_url,
                flag_number=number,
                from_home=press.from_home,
            )
            view = resolve_note_form(context, flag_key(number))
            if not await self._open_view(press.trigger_id, view):
                await self._tell(actor, press.channel_id, press.response_url, press.thread_ts)
            return
        person = await self._people.person(actor.team_id, actor.user_id, actor.name)
        origin = Origin(
            person, press.channel_id, press.thread_ts, press.response_url, press.from_home
        )
        await self._answer(
            origin,
            lambda: dispatch.handle_action(
                self._core, actor=person, action_id=press.action_id, value=press.value
            ),
        )
        if press.from_home:
            await self.publish_home(person)

    async def resolve_submitted(self, submission: ViewSubmission) -> None:
        """The resolve note was given (or left empty): resolve the flag."""
        actor = submission.actor
        if not await self._dedupe.first_time(view_key(actor.team_id, submission.view_id)):
            return
        context = ModalContext.decode(submission.private_metadata)
        person = await self._people.person(actor.team_id, actor.user_id, actor.name)
        origin = Origin(
            person, context.channel_id, context.thread_ts, context.response_url, context.from_home
        )
        number = context.flag_number
        if number is None:
            log.warning("a resolve note arrived without its flag number; ignored")
            return
        note = resolve_note(submission)
        await self._answer(
            origin,
            lambda: dispatch.handle_resolve(self._core, actor=person, number=number, note=note),
        )
        if context.from_home:
            await self.publish_home(person)

    async def _event_context(self, event: ChatEvent) -> tuple[Person, Origin, Where]:
        """Who wrote a channel or thread message, where to answer them, and where it was."""
        person = await self._people.person(event.actor.team_id, event.actor.user_id)
        origin = Origin(person, event.channel_id, event.thread_ts)
        conversation = _conversation(event.actor.team_id, event.channel_id)
        return person, origin, Where(conversation, event.thread_ts, event.ts)

    async def mention(self, event: ChatEvent) -> None:
        """`@Frontline flag …` in a channel or a thread runs the command."""
        text = self._without_bot_mention(event.text)
        if _FLAG_WORD.match(text):
            text = _FLAG_WORD.sub("", text, count=1)
        elif event.thread_ts:
            return  # "@Frontline ack" in a thread is a thread reply; that path handles it
        if not await self._dedupe.first_time(event_key(event.actor.team_id, event.event_id)):
            return
        person, origin, where = await self._event_context(event)
        await self._answer(
            origin,
            lambda: dispatch.handle_command(self._core, actor=person, where=where, text=text),
        )

    async def thread_reply(self, event: ChatEvent) -> None:
        """A reply in a thread; `ack`, `on it`… under an escalation acknowledges it."""
        if event.from_bot or not event.thread_ts or event.thread_ts == event.ts:
            return
        # Only possible acknowledgements are worth a database write; the rest is chatter.
        if not is_ack_reply(event.text, self._core.config.acknowledgement.words):
            return
        if not await self._dedupe.first_time(event_key(event.actor.team_id, event.event_id)):
            return
        person, origin, where = await self._event_context(event)
        await self._answer(
            origin,
            lambda: dispatch.handle_thread_reply(
                self._core, actor=person, where=where, text=event.text
            ),
        )

    async def reaction(self, event: ChatEvent) -> None:
        """✅ or 👀 on an escalation post acknowledges it."""
        name = _SKIN_TONE.sub("", event.reaction)
        if not event.channel_id or name not in self._core.config.acknowledgement.reactions:
            return
        if not await self._dedupe.first_time(event_key(event.actor.team_id, event.event_id)):
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
        if not await self._dedupe.first_time(event_key(event.actor.team_id, event.event_id)):
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
        """Run the use case and show its reply; the adapter's one handler of UserFacingError."""
        try:
            reply = await use_case()
        except UserFacingError as error:
            reply = dispatch.error_reply(error)
        except DeliveryError as error:
            log.warning("Slack interaction stopped by a delivery failure: %s", error.reason)
            reply = Reply(Message(f"⚠️ Slack refused part of that: {error.reason}."))
        except Exception:
            log.exception("Slack interaction failed")
            reply = Reply(Message(SORRY))
        if reply is None:
            return
        # Forms open from /flag and the shortcut (they bring a trigger); elsewhere, say so.
        await self._responder.send(
            origin, Message(NO_FORM_HERE) if reply.open_form else reply.message
        )

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
        await self._responder.send(origin, Message(FORM_DID_NOT_OPEN))

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

    def _without_bot_mention(self, text: str) -> str:
        if self.bot_user_id:
            text = re.sub(
                rf"<@{re.escape(self.bot_user_id)}(?:\|[^>]*)?>[\s:,]*", "", text, count=1
            )
            return text.strip()
        return _LEADING_MENTION.sub("", text, count=1).strip()


def opens_form(command: SlashCommand) -> bool:
    """`/flag` with nothing after it: the core's form (see `parse_command`).

    Its trigger expires 3 seconds after the click, so the form is opened straight away.
    """
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


def _conversation(team_id: str, channel_id: str) -> Conversation:
    return Conversation(PLATFORM, team_id, channel_id)
