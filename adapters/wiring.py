"""The composition root: settings in, a running core (storage, gateways, clock) out."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from adapters.routing import PlatformRouter
from bot.access import Directory
from bot.claiming import Arrivals
from bot.clock import Clock
from bot.config.settings import Settings
from bot.core import Core
from bot.inbox.intake import Intake
from bot.inbox.worker import InboxWorker
from bot.outbox.pacing import SLACK_WINDOWS, TEAMS_WINDOWS, ConversationPacer
from bot.outbox.worker import DeliveryWorker, replica_name
from bot.ports import ChatGateway
from storage.database import Database, default_database_url

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """Everything a running Frontline holds; close it to release the database.

    `intake` stores incoming requests, `inbox` runs them, `delivery` sends the outbox through
    `router`; the server runs both workers (`adapters.http.workers`), the console drains them.
    `arrivals` counts the requests the server is answering: the workers claim in the gaps.
    """

    settings: Settings
    database: Database
    router: PlatformRouter
    core: Core
    intake: Intake
    inbox: InboxWorker
    delivery: DeliveryWorker
    arrivals: Arrivals

    @property
    def database_description(self) -> str:
        return self.database.description

    async def close(self) -> None:
        await self.database.dispose()


def database_url(settings: Settings) -> str:
    """DATABASE_URL, else the embedded default: a SQLite file in the working directory."""
    return settings.env.database_url or default_database_url(Path.cwd())


async def open_runtime(
    settings: Settings,
    *,
    clock: Clock,
    gateways: Mapping[str, ChatGateway],
    directories: Mapping[str, Directory] | None = None,
    url: str | None = None,
) -> Runtime:
    """Open the database (creating and upgrading the embedded default) and build the core."""
    database = Database.from_url(url or database_url(settings))
    if database.is_sqlite:
        await database.upgrade()
    else:
        await database.ensure_current()
    router = PlatformRouter(gateways, directories)
    core = Core(uow=database.unit_of_work, clock=clock, config=settings.config, directory=router)
    owner = replica_name()
    arrivals = Arrivals()
    database.expect_urgent(lambda: arrivals.answering > 0)
    delivery = DeliveryWorker(
        core,
        router,
        owner=owner,
        pacers={
            "slack": ConversationPacer(SLACK_WINDOWS),
            "teams": ConversationPacer(TEAMS_WINDOWS),
        },
        arrivals=arrivals,
    )
    inbox = InboxWorker(core, owner=owner, after_each=delivery.wake, arrivals=arrivals)
    intake = Intake(core, on_stored=inbox.wake, uow=database.urgent_unit_of_work)
    return Runtime(
        settings=settings,
        database=database,
        router=router,
        core=core,
        intake=intake,
        inbox=inbox,
        delivery=delivery,
        arrivals=arrivals,
    )
