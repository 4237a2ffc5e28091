"""Who may see a flag's words, and who may change it: one rule, decided here for every platform.

**Seeing** a flag (its summary, customer refs, timeline): its reporter, its owner, the on-duty
managers of its platform, and the people in the places the flag was raised in or sent to — the
conversation it was raised in and, for an escalation, the escalation channel. Anyone else sees a
line without its words.

**Changing** a flag (acknowledge, snooze, customer update, resolve): its reporter, its owner and
the on-duty managers; and, when `acknowledgement.who` is `anyone`, the people in the escalation
channel or in the conversation where the flag was raised. Refusals say who can.

Being "in" a place is known without asking when the person acts from it (a button on the post,
a reply in its thread, a command typed there); otherwise the platform is asked through the
`Directory` port (each platform caches its answers briefly).
"""

from __future__ import annotations

from typing import Protocol

from bot.config.models import FrontlineConfig
from bot.flags.models import Flag, FlagKind
from bot.messages import Conversation, Person


class Directory(Protocol):
    """What the chat platform knows of who is in which conversation."""

    async def is_member(self, person: Person, conversation: Conversation) -> bool:
        """Whether `person` is in `conversation` (False when it cannot be told)."""
        ...


class NoDirectory:
    """A directory that knows nobody: only acting from a place counts as being in it."""

    async def is_member(self, person: Person, conversation: Conversation) -> bool:
        return False


def is_privileged(config: FrontlineConfig, flag: Flag, person: Person) -> bool:
    """The reporter, the owner or an on-duty manager of the flag's platform."""
    if person.platform != flag.platform or person.workspace_id != flag.workspace_id:
        return False
    owner = flag.acknowledged_by
    managers = config.managers_for(flag.platform).on_duty
    return (
        person.user_id == flag.reporter.user_id
        or (owner is not None and person.user_id == owner.user_id)
        or person.user_id in managers
    )


def flag_places(
    config: FrontlineConfig, flag: Flag, *, escalation_channel: bool
) -> list[Conversation]:
    """Where the flag was raised, its post, and (if asked, or if posted) the escalation channel."""
    places = [flag.origin.conversation]
    escalations = config.channels_for(flag.platform).escalations
    if escalations and (escalation_channel or flag.kind is FlagKind.ESCALATE):
        places.append(Conversation(flag.platform, flag.workspace_id, escalations))
    if flag.post is not None:
        places.append(flag.post.conversation)
    return places


async def is_in_places(
    directory: Directory,
    person: Person,
    places: list[Conversation],
    acting_from: Conversation | None,
) -> bool:
    if acting_from is not None and acting_from in places:
        return True
    for place in dict.fromkeys(places):
        if await directory.is_member(person, place):
            return True
    return False


async def may_see(
    config: FrontlineConfig,
    directory: Directory,
    flag: Flag,
    viewer: Person,
    acting_from: Conversation | None = None,
) -> bool:
    """Whether `viewer` may read the flag's words (acting from `acting_from`, if known)."""
    if is_privileged(config, flag, viewer):
        return True
    if viewer.platform != flag.platform or viewer.workspace_id != flag.workspace_id:
        return False
    places = flag_places(config, flag, escalation_channel=False)
    return await is_in_places(directory, viewer, places, acting_from)


async def may_change(
    config: FrontlineConfig,
    directory: Directory,
    flag: Flag,
    actor: Person,
    acting_from: Conversation | None = None,
) -> bool:
    """Whether `actor` may acknowledge, snooze, update or resolve the flag."""
    if is_privileged(config, flag, actor):
        return True
    if config.acknowledgement.who != "anyone":
        return False
    places = flag_places(config, flag, escalation_channel=True)
    return await is_in_places(directory, actor, places, acting_from)


def who_may_change(config: FrontlineConfig, flag: Flag) -> str:
    """The refusal's explanation: who can change this flag."""
    if config.acknowledgement.who == "anyone":
        return (
            "its reporter, its owner, an on-duty manager, or someone in the escalation channel "
            "or in the conversation where it was raised"
        )
    return "its reporter, its owner or an on-duty manager"
