"""The Teams chat gateway: every outgoing message, sent proactively on stored references.

Each send runs in a `continue_conversation` turn on the stored reference of its conversation,
whose connector client then makes exactly one Bot Connector call: create a conversation (a new
thread in a channel, or a personal chat), send into one, reply into a reply chain, or update.
Only the outbox's delivery worker calls it, outside any request: it paces, retries and waits
out Retry-After; a failure here is one `DeliveryError` saying how to go on.

The Bot Connector has no history to search, so `find_sent` cannot tell whether a card whose
post ended in a 502 exists: the worker then does not post it again, and the card, if it does
exist, is adopted when someone presses one of its buttons (`bot.escalations.adopt_post`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

from botbuilder.core import BotAdapter, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import (
    Activity,
    ActivityTypes,
    ChannelAccount,
    ConversationAccount,
    ConversationParameters,
    ConversationReference,
)
from msrest.exceptions import ClientRequestError, HttpOperationError

from adapters.network_errors import never_sent
from adapters.teams.activities import (
    CHANNEL,
    PERSONAL,
    PLATFORM,
    is_channel_id,
    split_conversation_id,
    thread_conversation_id,
)
from adapters.teams.cards import mentioned_user_ids, message_activity
from adapters.teams.people import Member, PeopleDirectory
from adapters.teams.references import ReferenceBook
from adapters.teams.refusals import refusal
from bot.errors import DeliveryError
from bot.messages import Conversation, Message, MessageRef, Person
from bot.outbox.models import Outgoing
from bot.ports import SentLookup

log = logging.getLogger(__name__)
T = TypeVar("T")
# How long a send waits for the connector. A send that runs out of time may still arrive, and a
# Teams conversation cannot be searched for it, so a reply or DM would be shown once more at
# each retry: a slow connector that does deliver must be waited for. Kept under the delivery
# worker's limit on one attempt (45 s).
_CONNECT_TIMEOUT = 40
# A call made while Teams waits for Frontline's HTTP answer (15 s at most, and a membership
# check may make two): it gives up after this, so the answer is never late.
IN_TURN_SECONDS = 5.0


def _is_channel(reference: ConversationReference) -> bool:
    conversation = reference.conversation
    if conversation is not None and conversation.conversation_type:
        return bool(conversation.conversation_type == CHANNEL)
    return conversation is not None and is_channel_id(conversation.id or "")


class TeamsGateway:
    """Implements the ChatGateway port for Microsoft Teams."""

    def __init__(
        self,
        adapter: CloudAdapter,
        *,
        app_id: str,
        references: ReferenceBook,
        people: PeopleDirectory,
    ) -> None:
        self._adapter = adapter
        self._app_id = app_id
        self._references = references
        self._people = people

    async def post(
        self, conversation: Conversation, message: Message, *, marker: str | None = None
    ) -> MessageRef:
        reference = await self._place(conversation)
        activity = await self.render(message)
        if not _is_channel(reference):
            sent = await self._call(
                reference,
                "a message",
                lambda c: c.conversations.send_to_conversation(conversation.channel_id, activity),
                creates=True,
            )
            return MessageRef(conversation, str(sent.id))
        # A new post in a channel is a new conversation (thread) there, as Teams models it.
        parameters = ConversationParameters(
            is_group=True,
            bot=reference.bot,
            channel_data={
                "channel": {"id": conversation.channel_id},
                "tenant": {"id": conversation.workspace_id},
            },
            tenant_id=conversation.workspace_id,
            activity=activity,
        )
        created = await self._call(
            reference,
            "a channel post",
            lambda c: c.conversations.create_conversation(parameters),
            creates=True,
        )
        root = created.activity_id or split_conversation_id(created.id or "")[1]
        if not root:
            raise DeliveryError("Teams did not say which message it created")
        return MessageRef(conversation, str(root))

    async def reply(
        self, thread: MessageRef, message: Message, *, marker: str | None = None
    ) -> MessageRef:
        conversation = thread.conversation
        reference = await self._place(conversation)
        activity = await self.render(message)
        if not _is_channel(reference):
            # Chats have no reply chains: the reply is the next message in the chat.
            sent = await self._call(
                reference,
                "a message",
                lambda c: c.conversations.send_to_conversation(conversation.channel_id, activity),
                creates=True,
            )
            return MessageRef(conversation, str(sent.id), thread.thread_root)
        chain = thread_conversation_id(conversation.channel_id, thread.thread_root)
        activity.reply_to_id = thread.thread_root
        sent = await self._call(
            reference,
            "a reply",
            lambda c: c.conversations.reply_to_activity(chain, thread.thread_root, activity),
            creates=True,
        )
        return MessageRef(conversation, str(sent.id), thread.thread_root)

    async def update(self, ref: MessageRef, message: Message) -> None:
        conversation = ref.conversation
        reference = await self._place(conversation)
        activity = await self.render(message)
        activity.id = ref.message_id
        target = conversation.channel_id
        if _is_channel(reference):
            target = thread_conversation_id(conversation.channel_id, ref.thread_root)
        await self._call(
            reference,
            "an update",
            lambda c: c.conversations.update_activity(target, ref.message_id, activity),
        )

    async def direct_message(
        self, person: Person, message: Message, *, marker: str | None = None
    ) -> MessageRef | None:
        chat = await self._references.personal_chat(person.user_id)
        if chat is None:
            chat = await self._open_personal_chat(person)
        chat_id = chat.conversation.id
        activity = await self.render(message)
        sent = await self._call(
            chat,
            "a direct message",
            lambda c: c.conversations.send_to_conversation(chat_id, activity),
            creates=True,
        )
        return MessageRef(Conversation(PLATFORM, person.workspace_id, chat_id), str(sent.id))

    async def answer(self, person: Person, route: Mapping[str, str], message: Message) -> None:
        """Answer as a reply to the person's message, where they wrote it; else by DM.

        Teams has no message only one person sees in a shared conversation, so an answer meant
        for one person (`route["private"]`) is a direct message.
        """
        place, reply_to = route.get("conversation_id"), route.get("reply_to")
        if route.get("private") or not place or not reply_to:
            await self.direct_message(person, message)
            return
        conversation = Conversation(PLATFORM, person.workspace_id, place)
        reference = await self._place(conversation)
        activity = await self.render(message)
        activity.reply_to_id = reply_to
        target = place
        if _is_channel(reference):
            target = thread_conversation_id(place, route.get("thread_id") or reply_to)
        await self._call(
            reference,
            "an answer",
            lambda c: c.conversations.reply_to_activity(target, reply_to, activity),
            creates=True,
        )

    async def find_sent(self, outgoing: Outgoing, marker: str, since: datetime) -> SentLookup:
        return SentLookup(known=False)  # the Bot Connector keeps no history to search

    async def permalink(self, ref: MessageRef) -> str | None:
        conversation_id = ref.conversation.channel_id
        path = "/".join(quote(part, safe=":@;=") for part in (conversation_id, ref.message_id))
        if is_channel_id(conversation_id):
            query = {"tenantId": ref.conversation.workspace_id, "parentMessageId": ref.thread_root}
        else:
            query = {"context": '{"contextType":"chat"}'}
        return f"https://teams.microsoft.com/l/message/{path}?{urlencode(query)}"

    async def has_member(self, conversation: Conversation, user_id: str) -> bool:
        """Whether `user_id` (a Teams or Azure AD id) is in `conversation`; False if unknown."""
        reference = await self._references.conversation(conversation.channel_id)
        if reference is None:
            return False
        try:
            async with _while_teams_waits("a membership check"):
                await self._call(
                    reference,
                    "a membership check",
                    lambda c: c.conversations.get_conversation_member(
                        conversation.channel_id, user_id
                    ),
                )
        except DeliveryError as error:
            if error.retryable:
                raise
            return False  # 404: not a member
        return True

    async def render(self, message: Message) -> Activity:
        """The activity for `message`, with the names its mentions need."""
        return message_activity(message, await self.members_for(message))

    async def members_for(self, message: Message) -> dict[str, Member]:
        """The people `message` mentions, by the core's user id, as far as they are known."""
        members: dict[str, Member] = {}
        for user_id in mentioned_user_ids(message):
            member = await self._people.find(user_id)
            if member is not None:
                members[user_id] = member
        return members

    async def respond(
        self, turn_context: TurnContext, activity: Activity, *, replace: str | None = None
    ) -> None:
        """Show a card in the turn's conversation now (a form), or replace message `replace`.

        Only for what must appear at once, like a modal elsewhere; one attempt, no retries:
        every other answer goes through the outbox.
        """
        incoming = turn_context.activity
        connector = turn_context.turn_state.get(BotAdapter.BOT_CONNECTOR_CLIENT_KEY)
        conversation_id = incoming.conversation.id
        activity.conversation = incoming.conversation
        activity.from_property = incoming.recipient
        activity.recipient = incoming.from_property
        await prepare_connector(connector)

        try:
            async with _while_teams_waits("a reply"):
                if replace is not None:
                    activity.id = replace
                    await connector.conversations.update_activity(
                        conversation_id, replace, activity
                    )
                elif incoming.type != ActivityTypes.message:
                    # Not a message (an install, say): nothing to reply to, just say it.
                    await connector.conversations.send_to_conversation(conversation_id, activity)
                else:
                    activity.reply_to_id = incoming.id
                    await connector.conversations.reply_to_activity(
                        conversation_id, incoming.id, activity
                    )
        except (HttpOperationError, ClientRequestError) as error:
            raise refusal(error, "a reply") from None

    async def _place(self, conversation: Conversation) -> ConversationReference:
        reference = await self._references.conversation(conversation.channel_id)
        if reference is None:
            where = conversation.channel_id
            log.warning(
                "teams: Frontline has never been in conversation %s; add the Frontline app to the "
                "team that has this channel (or to the chat), then @mention Frontline there once",
                where,
            )
            raise DeliveryError(
                f"Frontline has never been in the Teams conversation {where}",
                admin_hint=(
                    f"add the Frontline app to the team that has channel {where} (or to that "
                    "chat), then @mention Frontline there once so it can post there"
                ),
            )
        return reference

    async def _open_personal_chat(self, person: Person) -> ConversationReference:
        seen = await self._references.user(person.user_id)
        if seen is None or seen.user is None or seen.conversation is None:
            name = person.display_name or person.user_id
            log.warning("teams: cannot message %s: Frontline has never seen them", name)
            raise DeliveryError(
                f"Frontline cannot message {name} in Teams: it has never seen them",
                admin_hint=(
                    f"ask {name} to open a chat with Frontline (Apps → Frontline), or add "
                    "Frontline to a team they are in"
                ),
            )
        tenant = seen.conversation.tenant_id or person.workspace_id
        parameters = ConversationParameters(
            is_group=False,
            bot=seen.bot,
            members=[ChannelAccount(id=seen.user.id)],
            channel_data={"tenant": {"id": tenant}},
            tenant_id=tenant,
        )
        created = await self._call(
            seen,
            "a personal chat",
            # Teams answers with the one existing 1:1 chat: safe to repeat.
            lambda c: c.conversations.create_conversation(parameters),
        )
        chat = ConversationReference(
            channel_id=seen.channel_id,
            service_url=created.service_url or seen.service_url,
            bot=seen.bot,
            user=seen.user,
            conversation=ConversationAccount(
                id=created.id, tenant_id=tenant, conversation_type=PERSONAL, is_group=False
            ),
        )
        await self._references.keep_personal_chat(person.user_id, chat)
        return chat

    async def _call(
        self,
        reference: ConversationReference,
        what: str,
        operation: Callable[[Any], Awaitable[T]],
        *,
        creates: bool = False,
    ) -> T:
        """Run one Bot Connector operation in a proactive turn on `reference`, once."""
        outcome: list[T] = []

        async def in_turn(turn_context: TurnContext) -> None:
            connector = turn_context.turn_state.get(BotAdapter.BOT_CONNECTOR_CLIENT_KEY)
            await prepare_connector(connector)
            try:
                outcome.append(await operation(connector))
            except (HttpOperationError, ClientRequestError) as error:
                raise refusal(error, what, creates=creates) from None

        proactive = ConversationReference().deserialize(reference.serialize())
        proactive.activity_id = None
        try:
            await self._adapter.continue_conversation(proactive, in_turn, bot_app_id=self._app_id)
        except DeliveryError:
            raise
        except Exception as error:
            # The port promises DeliveryError; an SDK surprise must not abort the use case.
            log.exception("teams: sending %s failed unexpectedly", what)
            raise DeliveryError(
                f"Frontline could not send {what} to Teams ({type(error).__name__})",
                retryable=True,
                uncertain=creates and not never_sent(error),
            ) from None
        return outcome[0]


@contextlib.asynccontextmanager
async def _while_teams_waits(what: str) -> AsyncIterator[None]:
    """A call made while Teams waits for the turn's answer: over `IN_TURN_SECONDS`, it is a
    DeliveryError, so the answer is never late."""
    try:
        async with asyncio.timeout(IN_TURN_SECONDS):
            yield
    except TimeoutError:
        raise DeliveryError(f"Teams did not answer in time for {what}", retryable=True) from None


async def prepare_connector(connector: Any) -> None:
    """Set the connector client up for one send: no retries of its own, a token fetched off-loop."""
    if connector is None:
        raise DeliveryError("no Bot Connector client for this conversation")
    config = connector.config
    # One retry layer is enough: the delivery worker's, which knows 429 and Retry-After.
    config.retry_policy.retries = 0
    config.connection.timeout = _CONNECT_TIMEOUT
    credentials = config.credentials
    if getattr(credentials, "microsoft_app_id", None) and hasattr(credentials, "get_access_token"):
        # The HTTP client signs requests on the event loop with a blocking token fetch; doing
        # it first in a thread leaves only a cache hit for the loop.
        try:
            await asyncio.to_thread(credentials.get_access_token)
        except Exception as error:
            raise DeliveryError(
                f"Frontline could not get a Teams access token ({type(error).__name__})",
                retryable=True,
                admin_hint=(
                    "check MICROSOFT_APP_ID, MICROSOFT_APP_PASSWORD and MICROSOFT_APP_TENANT_ID, "
                    "and that login.microsoftonline.com is reachable"
                ),
            ) from None
