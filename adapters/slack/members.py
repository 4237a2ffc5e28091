"""Who is in a Slack conversation, from `conversations.members`, remembered for a minute.

Frontline asks when someone acts on (or asks to read) a flag from outside the places it was
raised in or posted to (bot.access). A conversation the bot cannot read (a DM between two other
people, a private channel it is not in) counts as nobody's: only its reporter, owner and the
managers may then see or change its flags.
"""

from __future__ import annotations

import logging

from cachetools import TTLCache
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.errors import error_code
from bot.messages import Conversation, Person

log = logging.getLogger(__name__)
REMEMBER_SECONDS = 60.0
MAX_CONVERSATIONS = 1000
MAX_PAGES = 50  # 50 pages of 1,000: Slack's largest channels


class SlackMembers:
    """Implements bot.access.Directory for Slack."""

    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client
        self._members: TTLCache[str, frozenset[str]] = TTLCache(
            maxsize=MAX_CONVERSATIONS, ttl=REMEMBER_SECONDS
        )

    async def is_member(self, person: Person, conversation: Conversation) -> bool:
        if person.platform != conversation.platform:
            return False
        members = self._members.get(conversation.channel_id)
        if members is None:
            members = await self._fetch(conversation.channel_id)
            self._members[conversation.channel_id] = members
        return person.user_id in members

    async def _fetch(self, channel: str) -> frozenset[str]:
        members: set[str] = set()
        cursor: str | None = None
        try:
            for _ in range(MAX_PAGES):
                response = await self._client.conversations_members(
                    channel=channel, limit=1000, cursor=cursor
                )
                page = response.get("members")
                members.update(m for m in page or () if isinstance(m, str))
                metadata = response.get("response_metadata") or {}
                cursor = metadata.get("next_cursor") if isinstance(metadata, dict) else None
                if not cursor:
                    break
        except SlackApiError as error:
            log.info("cannot list the members of %s: %s", channel, error_code(error))
            return frozenset()
        except Exception as error:  # an outage: nobody is known to be in it, for now
            log.warning("cannot list the members of %s: %s", channel, type(error).__name__)
            return frozenset()
        return frozenset(members)
