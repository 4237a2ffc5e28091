"""What every use case needs: storage, the clock and the configuration.

Use cases never send: what they have to say goes into the outbox of their unit of work, and
the delivery worker sends it through the chat gateway (`bot.outbox.worker`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.access import Directory, NoDirectory
from bot.clock import Clock
from bot.config.models import FrontlineConfig
from bot.outage import Hush
from bot.ports import UnitOfWorkFactory
from bot.themes.matching import ThemeMatcher


@dataclass(frozen=True, slots=True)
class Core:
    """The core's dependencies, built once by the composition root and passed to use cases."""

    uow: UnitOfWorkFactory
    clock: Clock
    config: FrontlineConfig
    # Who is in which conversation, for who may see and change a flag (bot.access).
    directory: Directory = field(default_factory=NoDirectory)
    # Which theme a recurring flag joins; holds each workspace's vector index (bot.themes).
    themes: ThemeMatcher = field(default_factory=ThemeMatcher)
    # Warnings every flag would repeat (a theme with nowhere to go), logged once an hour.
    hush: Hush = field(default_factory=Hush)
