"""Two replicas sweeping one PostgreSQL database at once: each reminder is recorded once."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.clock import FakeClock
from bot.config.models import FrontlineConfig
from bot.core import Core
from bot.flags.models import FlagKind
from bot.silence.sweep import sweep
from storage.database import Database
from tests.contract.builders import T0, make_flag

FLAGS = 300
CONFIG = FrontlineConfig.model_validate(
    {
        "channels": {"slack": {"escalations": "C-ESC"}},
        "managers": {"slack": {"group": "S0MGR", "on_duty": ["U-MARIA"]}},
        "severities": {"normal": {"around_the_clock": True, "max_nudges": 2}},
    }
)


async def test_two_replicas_take_each_due_step_exactly_once(
    postgres_database: Database, postgres_url: str
) -> None:
    async with postgres_database.unit_of_work() as uow:
        for number in range(1, FLAGS + 1):
            due = T0 + timedelta(seconds=number)
            flag = make_flag(number, kind=FlagKind.ESCALATE, ack_due_at=due, ack_next_at=due)
            await uow.flags.add(flag)
        await uow.commit()
    replicas = [Database(create_async_engine(postgres_url)) for _ in range(2)]
    clock = FakeClock(T0 + timedelta(minutes=10))
    try:
        cores = [Core(uow=r.unit_of_work, clock=clock, config=CONFIG) for r in replicas]
        # Each replica sweeps three times at once with the other: as the scheduler would.
        await asyncio.gather(*(sweep(core) for core in cores for _ in range(3)))
    finally:
        for database in replicas:
            await database.dispose()

    async with postgres_database.engine.connect() as connection:
        nudges = Counter(
            flag_id
            for (flag_id,) in await connection.execute(
                text("SELECT flag_id FROM timeline_events WHERE kind = 'nudged'")
            )
        )
        replies = (
            await connection.execute(
                text("SELECT count(*) FROM outbox WHERE purpose = 'thread line'")
            )
        ).scalar_one()
        due_left = (
            await connection.execute(
                text("SELECT count(*) FROM flags WHERE alarm_at <= :now"),
                {"now": clock.now()},
            )
        ).scalar_one()
    assert len(nudges) == FLAGS
    assert set(nudges.values()) == {1}
    assert replies == FLAGS
    assert due_left == 0
