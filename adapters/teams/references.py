"""Conversation references, stored so Frontline can message Teams proactively, across restarts.

Teams only lets a bot write where it has been: a channel of a team it is installed in, a chat it
is a member of, or a person it can reach. Every activity it sees says where that is (service URL,
tenant, conversation), so it is written down here, in the database, under three kinds of key:
`conversation:<id>` (a channel or chat), `user:<id>` (where a person was last seen, enough to
open a personal chat) and `personal:<id>` (that person's personal chat with Frontline).
"""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from typing import Any

from botbuilder.schema import Activity, ChannelAccount, ConversationAccount, ConversationReference

from adapters.teams.activities import (
    CHANNEL,
    PERSONAL,
    PLATFORM,
    channel_data,
    conversation_type_of,
    is_bot,
    nested_id,
    split_conversation_id,
    tenant_of,
    user_id_of,
)
from adapters.teams.turns import CURRENT_TURN
from bot.clock import Clock
from bot.ports import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)
TEAMS_CHANNEL = "msteams"
_REMEMBERED_KEYS = 50_000
Written = tuple[str, str]  # a key and the fingerprint of what was written under it


def conversation_key(conversation_id: str) -> str:
    return f"conversation:{split_conversation_id(conversation_id)[0]}"


def user_key(user_id: str) -> str:
    return f"user:{user_id}"


def personal_key(user_id: str) -> str:
    return f"personal:{user_id}"


def _is_person(account: ChannelAccount | None) -> bool:
    return account is not None and bool(account.id) and not is_bot(account)


class ReferenceBook:
    """Reads and writes the conversation references of Teams conversations and people."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock
        # What is stored under each key, committed, so a chatty conversation costs no extra
        # writes. Only committed writes count: while the turn that wrote a conversation down is
        # still open, another turn there (on PostgreSQL, at the same moment) writes it too, or
        # its answer could be sent before the conversation is stored, and be given up.
        self._written: OrderedDict[str, str] = OrderedDict()

    async def remember(self, uow: UnitOfWork, activity: Activity) -> list[Written]:
        """Write down every conversation and person `activity` shows, inside the caller's unit;
        what was written, for `committed` once the unit is."""
        written: list[Written] = []
        conversation = activity.conversation
        if conversation is None or not conversation.id or not activity.service_url:
            return written
        tenant = tenant_of(activity)
        kind = conversation_type_of(activity)
        base_id, _ = split_conversation_id(activity.conversation.id)
        place = ConversationReference(
            channel_id=activity.channel_id or TEAMS_CHANNEL,
            service_url=activity.service_url,
            bot=_account(activity.recipient),
            conversation=ConversationAccount(
                id=base_id,
                tenant_id=tenant,
                conversation_type=kind,
                is_group=kind != PERSONAL,
            ),
        )
        written += await self._put(uow, conversation_key(base_id), place)
        announced = nested_id(channel_data(activity), "channel")
        if kind == CHANNEL and announced and announced != base_id:
            # channelCreated/channelRenamed arrive in General but name the channel concerned.
            channel = _in_channel(place, announced)
            written += await self._put(uow, conversation_key(announced), channel)
        people = [activity.from_property, *(activity.members_added or [])]
        for account in people:
            if not _is_person(account):
                continue
            assert account is not None
            seen = _with_user(place, account)
            if seen.user is not None and not seen.user.name:
                # Installs and member events carry no names: keep the one already known.
                seen.user.name = await self._known_name(uow, user_id_of(account))
            written += await self._put(uow, user_key(user_id_of(account)), seen)
            if kind == PERSONAL and account is activity.from_property:
                written += await self._put(uow, personal_key(user_id_of(account)), seen)
        return written

    async def conversation(self, conversation_id: str) -> ConversationReference | None:
        """Where a channel or chat can be reached, if Frontline has ever been there."""
        return await self._get(conversation_key(conversation_id))

    async def user(self, user_id: str) -> ConversationReference | None:
        """Where a person was last seen (service URL, tenant and their Teams account)."""
        return await self._get(user_key(user_id))

    async def personal_chat(self, user_id: str) -> ConversationReference | None:
        """The person's personal chat with Frontline, if there is one."""
        return await self._get(personal_key(user_id))

    async def keep_personal_chat(self, user_id: str, reference: ConversationReference) -> None:
        """Store a personal chat Frontline just opened with someone."""
        async with self._uow() as uow:
            written = await self._put(uow, personal_key(user_id), reference)
            await uow.commit()
        self.committed(written)

    async def _known_name(self, uow: UnitOfWork, user_id: str) -> str | None:
        stored = await uow.conversations.get(PLATFORM, user_key(user_id))
        user = stored.get("user") if stored else None
        name = user.get("name") if isinstance(user, dict) else None
        return name if isinstance(name, str) else None

    async def _get(self, key: str) -> ConversationReference | None:
        turn = CURRENT_TURN.get()
        if turn is not None:  # inside a turn: read in its transaction
            stored = await turn.conversations.get(PLATFORM, key)
        else:
            async with self._uow() as uow:
                stored = await uow.conversations.get(PLATFORM, key)
        if stored is None:
            return None
        reference: ConversationReference = ConversationReference().deserialize(stored)
        return reference

    async def _put(
        self, uow: UnitOfWork, key: str, reference: ConversationReference
    ) -> list[Written]:
        serialized: dict[str, Any] = reference.serialize()
        fingerprint = json.dumps(serialized, sort_keys=True)
        if self._written.get(key) == fingerprint:
            return []
        await uow.conversations.put(PLATFORM, key, serialized, self._clock.now())
        log.debug("teams: stored reference %s", key)
        return [(key, fingerprint)]

    def committed(self, written: list[Written]) -> None:
        """Those writes are committed: later turns need not make them again."""
        for key, fingerprint in written:
            self._written[key] = fingerprint
            self._written.move_to_end(key)
        while len(self._written) > _REMEMBERED_KEYS:
            self._written.popitem(last=False)


def _account(account: ChannelAccount | None) -> ChannelAccount | None:
    if account is None:
        return None
    return ChannelAccount(id=account.id, name=account.name)


def _in_channel(place: ConversationReference, channel_id: str) -> ConversationReference:
    conversation = place.conversation
    return ConversationReference(
        channel_id=place.channel_id,
        service_url=place.service_url,
        bot=place.bot,
        conversation=ConversationAccount(
            id=channel_id,
            tenant_id=conversation.tenant_id if conversation else None,
            conversation_type=CHANNEL,
            is_group=True,
        ),
    )


def _with_user(place: ConversationReference, account: ChannelAccount) -> ConversationReference:
    return ConversationReference(
        channel_id=place.channel_id,
        service_url=place.service_url,
        bot=place.bot,
        conversation=place.conversation,
        user=ChannelAccount(id=account.id, name=account.name, aad_object_id=account.aad_object_id),
    )
