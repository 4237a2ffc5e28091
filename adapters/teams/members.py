"""Who is in a Teams conversation: the connector's member lookup, remembered for a minute.

Frontline asks when someone acts on (or asks to read) a flag from outside the places it was
raised in or posted to (bot.access). A conversation Frontline has never been in, or a lookup
that fails, counts as not a member: only the reporter, owner and managers may then act.
"""

from __future__ import annotations

import logging

from cachetools import TTLCache

from adapters.teams.gateway import TeamsGateway
from bot.errors import DeliveryError
from bot.messages import Conversation, Person

log = logging.getLogger(__name__)
REMEMBER_SECONDS = 60.0


class TeamsMembers:
    """Implements bot.access.Directory for Teams."""

    def __init__(self, gateway: TeamsGateway) -> None:
        self._gateway = gateway
        self._answers: TTLCache[tuple[str, str], bool] = TTLCache(
            maxsize=10_000, ttl=REMEMBER_SECONDS
        )

    async def is_member(self, person: Person, conversation: Conversation) -> bool:
        if person.platform != conversation.platform:
            return False
        key = (conversation.channel_id, person.user_id)
        known = self._answers.get(key)
        if known is None:
            try:
                known = await self._gateway.has_member(conversation, person.user_id)
            except DeliveryError as error:
                log.info("teams: cannot tell who is in %s: %s", conversation.channel_id, error)
                return False  # not remembered: the next request asks again
            self._answers[key] = known
        return known
