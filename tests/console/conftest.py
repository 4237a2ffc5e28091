"""The console under test: a real session on a real SQLite database, typed into."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from adapters.console.gateway import ConsoleGateway
from adapters.console.render import message_lines
from adapters.console.session import ConsoleSession
from adapters.wiring import Runtime, open_runtime
from bot.clock import FakeClock
from bot.config.settings import load_settings


@dataclass
class Console:
    session: ConsoleSession
    gateway: ConsoleGateway
    runtime: Runtime
    output: list[str]

    async def type(self, *lines: str) -> str:
        """Type lines; return what the console printed for them."""
        start = len(self.output)
        for line in lines:
            assert await self.session.handle_line(line)
        return "\n".join(self.output[start:])

    def message(self, number: int) -> str:
        return "\n".join(message_lines(self.gateway.messages[number].message))


@pytest.fixture
async def console(tmp_path: Path) -> AsyncIterator[Console]:
    settings = load_settings(config_path=str(tmp_path / "absent.yml"), environ={})
    output: list[str] = []
    clock = FakeClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    gateway = ConsoleGateway(output.append)
    runtime = await open_runtime(
        settings,
        clock=clock,
        gateways={"console": gateway},
        directories={"console": gateway},
        url=f"sqlite+aiosqlite:///{tmp_path / 'console.db'}",
    )
    session = ConsoleSession(runtime.core, gateway, clock, output.append, runtime.delivery)
    yield Console(session, gateway, runtime, output)
    await runtime.close()
