"""The Slack chat gateway: every outgoing message leaves through the Web API here."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from adapters.slack.blocks import fallback_text, message_blocks
from adapters.slack.errors import delivery_error, error_code, unreachable
from bot.errors import DeliveryError
from bot.messages import Conversation, Message, MessageRef, Person

log = logging.getLogger(__name__)
PLATFORM = "slack"

Call = Callable[[], Awaitable[AsyncSlackResponse]]


class SlackGateway:
    """Implements the ChatGateway port over `chat.*` and `conversations.*` calls."""

    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client
        self._dm_channels: dict[str, str] = {}

    async def post(self, conversation: Conversation, message: Message) -> MessageRef:
        channel = conversation.channel_id
        response = await self._call(
            "chat.postMessage",
            channel,
            lambda: self._client.chat_postMessage(
                channel=channel, text=fallback_text(message), blocks=message_blocks(message)
            ),
            join=True,
        )
        return MessageRef(conversation, _ts(response))

    async def reply(self, thread: MessageRef, message: Message) -> MessageRef:
        channel = thread.conversation.channel_id
        response = await self._call(
            "chat.postMessage",
            channel,
            lambda: self._client.chat_postMessage(
                channel=channel,
                thread_ts=thread.thread_root,
                text=fallback_text(message),
                blocks=message_blocks(message),
            ),
            join=True,
        )
        return MessageRef(thread.conversation, _ts(response), thread.thread_root)

    async def update(self, ref: MessageRef, message: Message) -> None:
        channel = ref.conversation.channel_id
        await self._call(
            "chat.update",
            channel,
            lambda: self._client.chat_update(
                channel=channel,
                ts=ref.message_id,
                text=fallback_text(message),
                blocks=message_blocks(message),
            ),
            join=True,
        )

    async def direct_message(self, person: Person, message: Message) -> MessageRef | None:
        channel = await self._dm_channel(person.user_id)
        response = await self._call(
            "chat.postMessage",
            channel,
            lambda: self._client.chat_postMessage(
                channel=channel, text=fallback_text(message), blocks=message_blocks(message)
            ),
        )
        conversation = Conversation(PLATFORM, person.workspace_id, channel)
        return MessageRef(conversation, _ts(response))

    async def ephemeral(
        self, conversation: Conversation, person: Person, message: Message, thread_id: str | None
    ) -> None:
        # No joining here: an agent's reply must not pull the bot into their channel.
        await self._call(
            "chat.postEphemeral",
            conversation.channel_id,
            lambda: self._client.chat_postEphemeral(
                channel=conversation.channel_id,
                user=person.user_id,
                thread_ts=thread_id,
                text=fallback_text(message),
                blocks=message_blocks(message),
            ),
        )

    async def permalink(self, ref: MessageRef) -> str | None:
        channel = ref.conversation.channel_id
        try:
            response = await self._call(
                "chat.getPermalink",
                channel,
                lambda: self._client.chat_getPermalink(channel=channel, message_ts=ref.message_id),
            )
        except DeliveryError as error:
            log.warning("no permalink for a message in %s: %s", channel, error.reason)
            return None
        link = response.get("permalink")
        return link if isinstance(link, str) else None

    async def _dm_channel(self, user_id: str) -> str:
        cached = self._dm_channels.get(user_id)
        if cached is not None:
            return cached
        response = await self._call(
            "conversations.open", None, lambda: self._client.conversations_open(users=user_id)
        )
        channel = response.get("channel")
        if not isinstance(channel, dict) or not isinstance(channel.get("id"), str):
            raise DeliveryError("Slack opened no direct message channel")
        self._dm_channels[user_id] = channel["id"]
        return str(channel["id"])

    async def _call(
        self, method: str, channel: str | None, call: Call, *, join: bool = False
    ) -> AsyncSlackResponse:
        """Make one Web API call; on `not_in_channel`, join the channel and try once more."""
        try:
            return await _attempt(method, channel, call)
        except SlackApiError as error:
            if not (join and channel and error_code(error) == "not_in_channel"):
                raise _refused(method, channel, error) from None
            first_refusal = error
        if not await self._join(channel):
            raise _refused(method, channel, first_refusal)
        try:
            return await _attempt(method, channel, call)
        except SlackApiError as error:
            raise _refused(method, channel, error) from None

    async def _join(self, channel: str) -> bool:
        """Join a public channel so the bot can post there; False when it cannot."""
        try:
            await _attempt(
                "conversations.join",
                channel,
                lambda: self._client.conversations_join(channel=channel),
            )
        except SlackApiError as error:
            log.warning(
                "Frontline could not join channel %s (%s); invite the bot to it",
                channel,
                error_code(error),
            )
            return False
        log.info("Frontline joined channel %s to post there", channel)
        return True


async def _attempt(method: str, channel: str | None, call: Call) -> AsyncSlackResponse:
    try:
        return await call()
    except (TimeoutError, aiohttp.ClientError) as error:
        log.warning("Slack %s for %s failed: %s", method, channel or "-", type(error).__name__)
        raise unreachable(method, error) from None


def _refused(method: str, channel: str | None, error: SlackApiError) -> DeliveryError:
    delivery = delivery_error(method, channel, error)
    log.warning("Slack refused %s in %s: %s", method, channel or "-", error_code(error))
    return delivery


def _ts(response: AsyncSlackResponse) -> str:
    ts: Any = response.get("ts")
    if not isinstance(ts, str) or not ts:
        raise DeliveryError("Slack accepted the message but returned no timestamp")
    return ts
