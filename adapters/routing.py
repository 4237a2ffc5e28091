"""A chat gateway that hands each message to the gateway of its platform."""

from __future__ import annotations

from collections.abc import Mapping

from bot.errors import DeliveryError
from bot.messages import Conversation, Message, MessageRef, Person
from bot.ports import ChatGateway


class PlatformRouter:
    """Implements ChatGateway by dispatching on the platform of the target."""

    def __init__(self, gateways: Mapping[str, ChatGateway]) -> None:
        self._gateways = dict(gateways)

    def add(self, platform: str, gateway: ChatGateway) -> None:
        self._gateways[platform] = gateway

    def _for(self, platform: str) -> ChatGateway:
        gateway = self._gateways.get(platform)
        if gateway is None:
            raise DeliveryError(
                f"the {platform} platform is not active on this server",
                admin_hint=f"configure the {platform} credentials and restart",
            )
        return gateway

    async def post(self, conversation: Conversation, message: Message) -> MessageRef:
        return await self._for(conversation.platform).post(conversation, message)

    async def reply(self, thread: MessageRef, message: Message) -> MessageRef:
        return await self._for(thread.conversation.platform).reply(thread, message)

    async def update(self, ref: MessageRef, message: Message) -> None:
        await self._for(ref.conversation.platform).update(ref, message)

    async def direct_message(self, person: Person, message: Message) -> MessageRef | None:
        return await self._for(person.platform).direct_message(person, message)

    async def ephemeral(
        self, conversation: Conversation, person: Person, message: Message, thread_id: str | None
    ) -> None:
        await self._for(conversation.platform).ephemeral(conversation, person, message, thread_id)

    async def permalink(self, ref: MessageRef) -> str | None:
        return await self._for(ref.conversation.platform).permalink(ref)
