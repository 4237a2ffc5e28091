"""Fixtures for unit tests of the core: in-memory storage, a recording chat, a fake clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from bot import dispatch
from bot.clock import FakeClock
from bot.config.models import FrontlineConfig
from bot.core import Core
from bot.messages import Conversation, MessageRef, Person, Reply, Where
from bot.outbox.models import Outgoing
from bot.outbox.worker import DeliveryWorker
from tests.fakes.chat import RecordingChat
from tests.fakes.memory import InMemoryUnitOfWorkFactory

WS = "T1"


def person(name: str) -> Person:
    return Person("slack", WS, name, name.title())


def where(channel: str = "C-support", thread: str | None = None) -> Where:
    return Where(Conversation("slack", WS, channel), thread)


@dataclass
class World:
    core: Core
    chat: RecordingChat
    clock: FakeClock
    store: InMemoryUnitOfWorkFactory

    async def flag(self, who: str, text: str, channel: str = "C-support") -> Reply:
        return await dispatch.handle_command(
            self.core, actor=person(who), where=where(channel), text=text
        )

    async def answer(self, who: str, reply: Reply) -> str:
        """Deliver `reply` to `who` as an adapter does (through the outbox); its text."""
        answer = Outgoing.answer(person(who), reply.message, {}, after_post_of=reply.after_post_of)
        async with self.core.uow() as uow:
            await uow.outbox.add(answer, self.clock.now())
            await uow.commit()
        return self.chat.of_kind("answer")[-1].message.text

    async def press(
        self, who: str, action_id: str, value: str, *, on: MessageRef | None = None
    ) -> Reply:
        """Press a button: by default on the flag's post, where its buttons are."""
        if on is None and value.isdigit():
            async with self.core.uow() as uow:
                flag = await uow.flags.get(WS, int(value))
            on = flag.post if flag is not None else None
        return await dispatch.handle_action(
            self.core, actor=person(who), action_id=action_id, value=value, pressed_on=on
        )


def make_world(config: FrontlineConfig | None = None) -> World:
    chat = RecordingChat()
    clock = FakeClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    store = InMemoryUnitOfWorkFactory()
    cfg = config or FrontlineConfig.model_validate(
        {"channels": {"slack": {"escalations": "C-esc", "triage": "C-triage"}}}
    )
    core = Core(uow=store, clock=clock, config=cfg)
    # Like the console: whatever a use case records in the outbox is delivered at its commit.
    store.store.after_commit = DeliveryWorker(core, chat).drain
    return World(core, chat, clock, store)


@pytest.fixture
def world() -> World:
    return make_world()
