"""`frontline demo`: a scripted walk-through of the loop on a throwaway database."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from adapters.console.gateway import ConsoleGateway
from adapters.console.session import ConsoleSession
from adapters.wiring import open_runtime
from bot.clock import FakeClock
from bot.config.models import FrontlineConfig
from bot.config.settings import Settings

# (narration, console lines) — each step of the story, as people would type it.
SCRIPT: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "An agent, Ana, is on a call with a customer whose card payments fail. She escalates "
        "from the #support channel, with the ticket id and a high severity.",
        ("/flag escalate checkout fails for all EU cards ZD-9912 sev:high",),
    ),
    (
        "Six minutes pass. Maria, a support manager, sees the post in #escalations and "
        "acknowledges it by replying in its thread. The post is updated in place and Ana is told.",
        ("+6m", "as maria", "in escalations", "reply 1 on it, looking now"),
    ),
    (
        "Tom also replies `ack`: his acknowledgement is recorded, but Maria stays the owner.",
        ("as tom", "reply 1 ack"),
    ),
    (
        "Forty minutes later Maria has told the customer what is going on: she presses "
        "'Customer updated', which restarts the customer's update clock.",
        ("+40m", "as maria", "press 1 Customer updated"),
    ),
    (
        "Maria is pulled into a call and the next update slips. When it falls due, Frontline "
        "reminds her in the thread, the fix one button away; a quarter of an hour later it "
        "nudges the managers group about the flag. The post shows the update as overdue.",
        ("+1h20m",),
    ),
    (
        "Maria updates the customer and presses 'Customer updated': the clock restarts and "
        "the reminders stop.",
        ("press 1 Customer updated",),
    ),
    (
        "The fix is out. Maria resolves the escalation with a note; Ana hears about it.",
        ("+30m", "/flag resolve F-1 rolled back the 3DS change, payments flowing again"),
    ),
    (
        "Anyone can read the flag's end-to-end timeline: who did what, when, and where it waited.",
        ("as ana", "in support", "/flag show F-1"),
    ),
    (
        "Recurring problems are flagged too. Three agents describe the same bug in their own "
        "words; Frontline groups them into one theme by meaning, and at the third flag (from "
        "two or more agents) sends the theme to the triage channel, quoting the agents.",
        (
            "/flag recurring CSV export has no date column ZD-1201",
            "as lee",
            "/flag recurring export CSV missing date column customer:globex",
            "as sam",
            "/flag recurring the date col is gone from csv exports ZD-1207",
        ),
    ),
    (
        "A fourth report updates the theme's post in place and adds a line to its thread; "
        "nothing is posted twice.",
        (
            "as ana",
            "/flag recurring csv downloads lost their dates ZD-1300",
        ),
    ),
    (
        "Pat, the product owner, ships the fix in release 4.2 and marks the theme fixed. Every "
        "agent who flagged it gets one message listing their own customers to tell; the support "
        "leads get a one-line summary.",
        ("+1h", "as pat", "in triage", "/flag theme #csv-export-has-no-date fixed 4.2"),
    ),
    (
        "Two hours later the bug is back: the next flag reopens the theme and alerts its channel.",
        (
            "+2h",
            "as lee",
            "in support",
            "/flag recurring csv export without dates again",
            "/flag themes",
        ),
    ),
    (
        "And mistakes get a clear answer instead of a crash.",
        ("/flag resolve F-99", "/flag snooze F-1 forever"),
    ),
    ("Team-level figures, never per person:", ("/flag stats",)),
    (
        "The week goes by (reminders keep the customers with open flags from waiting in "
        "silence). On Monday at 09:00 the triage channel gets its product digest, with a chart "
        "of its themes, and the support leads get the flow digest: the team's figures beside "
        "last week's.",
        ("+7d",),
    ),
)


async def run_demo(settings: Settings, *, write: Callable[[str], None] = print) -> None:
    """Play the script on a fresh temporary database with a fast-forwarded clock.

    The demo uses the default configuration, so a local frontline.yml cannot change the story.
    """
    settings = Settings(env=settings.env, config=FrontlineConfig(), config_source="demo defaults")
    clock = FakeClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    gateway = ConsoleGateway(write)
    with tempfile.TemporaryDirectory(prefix="frontline-demo-") as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'demo.db'}"
        runtime = await open_runtime(
            settings,
            clock=clock,
            gateways={"console": gateway},
            directories={"console": gateway},
            url=url,
        )
        session = ConsoleSession(runtime.core, gateway, clock, write, runtime.delivery)
        try:
            for number, (narration, lines) in enumerate(SCRIPT, 1):
                write("")
                write(f"── {number}. {narration}")
                for line in lines:
                    write(f"{session.prompt}{line}")
                    await session.handle_line(line)
        finally:
            await runtime.close()
    write("")
    write("That is the whole loop. `frontline console` lets you drive it yourself.")
