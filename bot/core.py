"""What every use case needs: storage, the chat gateway, the clock and the configuration."""

from __future__ import annotations

from dataclasses import dataclass

from bot.clock import Clock
from bot.config.models import FrontlineConfig
from bot.ports import ChatGateway, UnitOfWorkFactory


@dataclass(frozen=True, slots=True)
class Core:
    """The core's dependencies, built once by the composition root and passed to use cases."""

    uow: UnitOfWorkFactory
    chat: ChatGateway
    clock: Clock
    config: FrontlineConfig
