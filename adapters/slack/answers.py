"""Answers to the person who acted in Slack: where they acted, recorded in the outbox."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core import Core
from bot.messages import Message, Person
from bot.outbox.models import Outgoing


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a person did something, so the answer reaches them there."""

    person: Person
    channel_id: str | None = None
    thread_ts: str | None = None
    response_url: str | None = None
    from_home: bool = False

    def route(self) -> dict[str, str]:
        """The answer's route for `SlackGateway.answer`."""
        route = {
            "channel_id": self.channel_id,
            "thread_ts": self.thread_ts,
            "response_url": self.response_url,
            "from_home": "yes" if self.from_home else None,
        }
        return {key: value for key, value in route.items() if value}


async def record_answer(
    core: Core, origin: Origin, message: Message, after_post_of: int | None = None
) -> None:
    """Record the answer in the outbox (in the caller's transaction, when it has one)."""
    answer = Outgoing.answer(origin.person, message, origin.route(), after_post_of=after_post_of)
    async with core.uow() as uow:
        await uow.outbox.record(answer, core.clock.now())
        await uow.commit()
