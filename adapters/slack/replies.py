"""Answering the person who acted: ephemeral where they are, else a direct message."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import aiohttp
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.slack.blocks import fallback_text, message_blocks
from adapters.slack.gateway import PLATFORM, SlackGateway
from bot.errors import DeliveryError
from bot.messages import Conversation, Message, Person

log = logging.getLogger(__name__)
RESPONSE_URL_TIMEOUT_SECONDS = 10


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a person did something, so the answer reaches them there."""

    person: Person
    channel_id: str | None = None
    thread_ts: str | None = None
    response_url: str | None = None
    from_home: bool = False


class Responder:
    """Shows a reply to one person: via the response URL, else ephemeral, else by DM."""

    def __init__(self, gateway: SlackGateway) -> None:
        self._gateway = gateway
        self.session: aiohttp.ClientSession | None = None

    async def send(self, origin: Origin, message: Message) -> None:
        """Show `message` to `origin.person` only, as close to where they acted as Slack allows."""
        if not origin.from_home:
            if origin.response_url and await self._via_response_url(origin.response_url, message):
                return
            if origin.channel_id and await self._ephemeral(origin, message):
                return
        # App Home and channels the bot cannot see: the app's own DM with the person.
        try:
            await self._gateway.direct_message(origin.person, message)
        except DeliveryError as error:
            log.warning("could not answer %s at all: %s", origin.person.user_id, error.reason)

    async def _via_response_url(self, url: str, message: Message) -> bool:
        webhook = AsyncWebhookClient(
            url,
            timeout=RESPONSE_URL_TIMEOUT_SECONDS,
            session=self.session,
            retry_handlers=[AsyncConnectionErrorRetryHandler(), AsyncRateLimitErrorRetryHandler()],
        )
        try:
            response = await webhook.send_dict(
                {
                    "response_type": "ephemeral",
                    "replace_original": False,
                    "text": fallback_text(message),
                    "blocks": message_blocks(message),
                }
            )
        except (TimeoutError, aiohttp.ClientError) as error:
            log.info("response_url failed (%s); answering another way", type(error).__name__)
            return False
        if response.status_code != 200:
            # Expired (30 minutes) or used up (5 answers): fall back, it is not an error.
            log.info("response_url answered %d; answering another way", response.status_code)
            return False
        return True

    async def _ephemeral(self, origin: Origin, message: Message) -> bool:
        assert origin.channel_id is not None
        conversation = Conversation(PLATFORM, origin.person.workspace_id, origin.channel_id)
        try:
            await self._gateway.ephemeral(conversation, origin.person, message, origin.thread_ts)
        except DeliveryError as error:
            log.info("ephemeral answer in %s failed: %s", origin.channel_id, error.reason)
            return False
        return True
