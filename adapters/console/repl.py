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
from bot.silence.wording import local_time

# The console's clock is fake and `+2d` runs two days of due work at once, so it keeps its own
# embedded database instead of DATABASE_URL: it can never touch what a server is doing.
CONSOLE_DATABASE = "frontline-console.db"
# The fake clock lives with the data: a second session resumes where the first left off, so
# deadlines never lie in a "future" that already happened.
CONSOLE_CLOCK = "frontline-console.clock"
BANNER = """\
Frontline console — the whole loop, locally, no credentials.
You are @ana in #support. Try:  /flag escalate checkout fails for EU cards ZD-9912 sev:high
then `as maria`, `reply <message> on it` or `press <message> 1`, and `+2h` to move time on.
Type `help` for every console command."""


def console_database_url() -> str:
    """The console's own database, in the current folder."""
    return f"sqlite+aiosqlite:///{Path.cwd() / CONSOLE_DATABASE}"


def start_fresh(folder: Path) -> None:
    """Forget the console's data and its clock (`frontline console --fresh`)."""
    for name in (CONSOLE_DATABASE, f"{CONSOLE_DATABASE}-wal", f"{CONSOLE_DATABASE}-shm"):
        (folder / name).unlink(missing_ok=True)
    (folder / CONSOLE_CLOCK).unlink(missing_ok=True)


def resumed_time(folder: Path) -> datetime | None:
    """Where the last session's clock stopped, when its data is still here."""
    if not (folder / CONSOLE_DATABASE).exists():
        return None
    try:
        stored = datetime.fromisoformat((folder / CONSOLE_CLOCK).read_text().strip())
    except (OSError, ValueError):
        return None
    return stored if stored.tzinfo is not None else None


async def run_console(
    settings: Settings,
    *,
    read: Callable[[str], str] = input,
    write: Callable[[str], None] = print,
    fresh: bool = False,
) -> None:
    """Read lines until `quit` or end of input, acting as people in channels."""
    folder = Path.cwd()
    if fresh:
        start_fresh(folder)
    resumed = resumed_time(folder)
    clock = FakeClock(resumed or datetime.now(UTC).replace(second=0, microsecond=0))
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
    where = f"database: {runtime.database_description}"
    if resumed is not None:
        where += f"; clock resumed at {local_time(resumed, settings.config.tz)}"
    write(f"({where}; `frontline console --fresh` starts over)")
    try:
        while True:
            try:
                line = await asyncio.to_thread(read, session.prompt)
            except EOFError:
                write("")
                break
            going_on = await session.handle_line(line)
            (folder / CONSOLE_CLOCK).write_text(clock.now().isoformat())
            if not going_on:
                break
    finally:
        await runtime.close()
