"""Teams users' display names, from the activities they send or the roster, cached."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from dataclasses import dataclass

from botbuilder.core import BotAdapter, TurnContext
from botbuilder.schema import Activity, ChannelAccount

from adapters.teams.activities import person_of, split_conversation_id, team_of, user_id_of
from adapters.teams.references import ReferenceBook
from bot.messages import Person

log = logging.getLogger(__name__)
_CACHED_PEOPLE = 10_000
ROSTER_SECONDS = 3.0  # a name looked up while Teams waits for the turn's answer
_ROSTER_ASKED = "frontline.roster_asked"  # turn state: names the roster gave (or not) this turn


@dataclass(frozen=True, slots=True)
class Member:
    """A Teams user as Frontline renders them: the core's id, the Teams id and a display name."""

    user_id: str
    teams_id: str
    name: str


class PeopleDirectory:
    """Remembers who is who, so mentions render as names and replies greet people by name."""

    def __init__(self, references: ReferenceBook, capacity: int = _CACHED_PEOPLE) -> None:
        self._references = references
        self._capacity = capacity
        self._cache: OrderedDict[str, Member] = OrderedDict()

    def learn(self, account: ChannelAccount | None) -> Member | None:
        """Remember a user seen in an activity, when it carries their name."""
        if account is None or not account.id or not account.name:
            return None
        member = Member(user_id_of(account), str(account.id), str(account.name))
        self._keep(member)
        return member

    async def find(self, user_id: str) -> Member | None:
        """A user by the core's id: from the cache, else from where they were last seen."""
        cached = self._cache.get(user_id)
        if cached is not None:
            self._cache.move_to_end(user_id)
            return cached
        reference = await self._references.user(user_id)
        if reference is None or reference.user is None:
            return None
        return self.learn(reference.user)

    async def person_acting(self, turn_context: TurnContext) -> Person:
        """The person who sent the turn's activity, as the core knows them."""
        activity: Activity = turn_context.activity
        account: ChannelAccount = activity.from_property
        return person_of(activity, account, await self.name_in_turn(turn_context, account))

    async def name_in_turn(self, turn_context: TurnContext, account: ChannelAccount) -> str:
        """The name of the person acting now: from the activity, the cache or the roster."""
        known = self.learn(account)
        if known is not None:
            return known.name
        cached = self._cache.get(user_id_of(account))
        if cached is not None:
            return cached.name
        # Asked once a turn: a roster that failed or was slow is not asked again in it.
        asked: dict[str, str] = turn_context.turn_state.setdefault(_ROSTER_ASKED, {})
        account_id = str(account.id or "")
        if account_id not in asked:
            member = await self._from_roster(turn_context, account)
            asked[account_id] = member.name if member is not None else ""
        return asked[account_id]

    async def _from_roster(
        self, turn_context: TurnContext, account: ChannelAccount
    ) -> Member | None:
        activity: Activity = turn_context.activity
        connector = turn_context.turn_state.get(BotAdapter.BOT_CONNECTOR_CLIENT_KEY)
        if connector is None or activity.conversation is None or not account.id:
            return None
        roster = team_of(activity) or split_conversation_id(activity.conversation.id)[0]
        try:
            # Teams waits for this turn's answer: a slow roster costs the name, not the answer.
            async with asyncio.timeout(ROSTER_SECONDS):
                found = await connector.conversations.get_conversation_member(roster, account.id)
        except Exception as error:  # the name is a nicety; never fail a turn over it
            log.info("teams: roster lookup failed: %s", type(error).__name__)
            return None
        if found is None or not found.name:
            return None
        if not found.aad_object_id:
            found.aad_object_id = account.aad_object_id
        return self.learn(found)

    def _keep(self, member: Member) -> None:
        self._cache[member.user_id] = member
        self._cache.move_to_end(member.user_id)
        while len(self._cache) > self._capacity:
            self._cache.popitem(last=False)
