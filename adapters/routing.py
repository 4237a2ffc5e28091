"""A chat gateway that hands each message to the gateway of its platform."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from bot.access import Directory
from bot.errors import DeliveryError
from bot.messages import Conversation, Message, MessageRef, Person
from bot.outbox.models import Outgoing
from bot.ports import ChatGateway, SentLookup


class PlatformRouter:
    """Implements ChatGateway and bot.access.Directory by dispatching on the platform."""

    def __init__(
        self,
        gateways: Mapping[str, ChatGateway],
        directories: Mapping[str, Directory] | None = None,
    ) -> None:
        self._gateways = dict(gateways)
        self._directories = dict(directories or {})

    def add(self, platform: str, gateway: ChatGateway, directory: Directory | None = None) -> None:
        self._gateways[platform] = gateway
        if directory is not None:
            self._directories[platform] = directory

    async def is_member(self, person: Person, conversation: Conversation) -> bool:
        directory = self._directories.get(conversation.platform)
        return directory is not None and await directory.is_member(person, conversation)

    def _for(self, platform: str) -> ChatGateway:
        gateway = self._gateways.get(platform)
        if gateway is None:
            # Retryable: the platform may be back after a restart with its credentials.
            raise DeliveryError(
                f"the {platform} platform is not active on this server",
                admin_hint=f"configure the {platform} credentials and restart",
                retryable=True,
            )
        return gateway

    async def post(
        self, conversation: Conversation, message: Message, *, marker: str | None = None
    ) -> MessageRef:
        return await self._for(conversation.platform).post(conversation, message, marker=marker)

    async def reply(
        self, thread: MessageRef, message: Message, *, marker: str | None = None
    ) -> MessageRef:
        return await self._for(thread.conversation.platform).reply(thread, message, marker=marker)

    async def update(self, ref: MessageRef, message: Message) -> None:
        await self._for(ref.conversation.platform).update(ref, message)

    async def direct_message(
        self, person: Person, message: Message, *, marker: str | None = None
    ) -> MessageRef | None:
        return await self._for(person.platform).direct_message(person, message, marker=marker)

    async def answer(self, person: Person, route: Mapping[str, str], message: Message) -> None:
        await self._for(person.platform).answer(person, route, message)

    async def find_sent(self, outgoing: Outgoing, marker: str, since: datetime) -> SentLookup:
        return await self._for(outgoing.platform).find_sent(outgoing, marker, since)

    async def permalink(self, ref: MessageRef) -> str | None:
        return await self._for(ref.conversation.platform).permalink(ref)
