"""`frontline console`: the interactive loop around a ConsoleSession."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from adapters.console.gateway import ConsoleGateway
from adapters.console.session import ConsoleSession
from adapters.wiring import open_runtime
from bot.clock import FakeClock
from bot.config.settings import Settings

# The console's clock is fake and `+2d` runs two days of due work at once, so it keeps its own
# embedded database instead of DATABASE_URL: it can never touch what a server is doing.
CONSOLE_DATABASE = "frontline-console.db"
BANNER = """\
Frontline console — the whole loop, locally, no credentials.
You are @ana in #support. Try:  /flag escalate checkout fails for EU cards ZD-9912 sev:high
then `as maria`, `reply <message> on it` or `press <message> 1`, and `+2h` to move time on.
Type `help` for every console command."""


def console_database_url() -> str:
    """The console's own database, in the current folder."""
    return f"sqlite+aiosqlite:///{Path.cwd() / CONSOLE_DATABASE}"


async def run_console(
    settings: Settings,
    *,
    read: Callable[[str], str] = input,
    write: Callable[[str], None] = print,
) -> None:
    """Read lines until `quit` or end of input, acting as people in channels."""
    clock = FakeClock(datetime.now(UTC).replace(second=0, microsecond=0))
    gateway = ConsoleGateway(write)
    url = console_database_url()
    runtime = await open_runtime(
        settings,
        clock=clock,
        gateways={"console": gateway},
        directories={"console": gateway},
        url=url,
    )
    session = ConsoleSession(runtime.core, gateway, clock, write, runtime.delivery)
    write(BANNER)
    write(f"(database: {runtime.database_description})")
    try:
        while True:
            try:
                line = await asyncio.to_thread(read, session.prompt)
            except EOFError:
                write("")
                break
            if not await session.handle_line(line):
                break
    finally:
        await runtime.close()
