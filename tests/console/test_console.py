"""Scenario tests driving the real console adapter on a real SQLite database."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.console.gateway import ConsoleGateway
from adapters.console.render import plain
from adapters.console.repl import run_console
from adapters.console.session import ConsoleSession
from adapters.wiring import open_runtime
from bot.config.settings import load_settings
from tests.console.conftest import Console


async def test_escalate_ack_twice_in_thread_and_resolve(console: Console) -> None:
    out = await console.type("/flag escalate checkout fails for all EU cards ZD-9912 sev:high")
    assert "#escalations · message 1 · Frontline" in out
    assert "F-1 · Escalation: checkout fails for all EU cards" in out
    assert "[1] Acknowledge  [2] Customer updated  [3] Snooze 1h  [4] Resolve" in out
    assert "Raised: Mon 23 Nov 09:00" in out
    assert "only @ana sees this" in out and "F-1 escalated" in out

    out = await console.type("+6m", "as maria", "in escalations", "reply 1 on it")
    assert "message 1 updated in place" in out
    assert "Status: ✅ Acknowledged by @maria after 6 min" in out
    assert "#escalations · thread of message 1 · message 3 · Frontline" in out
    assert "DM to @ana from Frontline" in out
    assert "Status: ✅ Acknowledged by @maria" in console.message(1)

    out = await console.type("as tom", "reply 1 ack")
    assert "already acknowledged by @maria; they stay the owner" in out
    assert "updated in place" not in out

    out = await console.type("as maria", "press 1 Resolve")
    assert "F-1 resolved. Its reporter has been told." in out
    assert "Resolved by @maria" in console.message(1)
    assert console.gateway.messages[1].message.buttons == ()

    out = await console.type("/flag show F-1")
    assert "acknowledged by @maria" in out and "also acknowledged by @tom" in out
    assert "resolved by @maria" in out


async def test_reaction_acknowledges(console: Console) -> None:
    await console.type("/flag escalate refunds stuck")
    out = await console.type("as maria", "react 1 eyes")
    assert "Acknowledged by @maria" in out


async def test_unknown_flag_and_malformed_commands_get_clear_messages(console: Console) -> None:
    out = await console.type("/flag resolve F-99")
    assert "⚠️ There is no flag F-99 in this workspace" in out
    out = await console.type("/flag snooze F-1 forever")
    assert "`forever` is not a duration" in out
    out = await console.type("/flag explode now")
    assert "`explode` is not a /flag command" in out
    out = await console.type("press 42 1", "frobnicate")
    assert "There is no message 42" in out
    assert "`frobnicate` is not a console command" in out
    assert "Traceback" not in "\n".join(console.output)
    async with console.runtime.core.uow() as uow:
        assert await uow.flags.list_open("console") == []


async def test_pressing_a_button_a_message_does_not_have_lists_its_buttons(
    console: Console,
) -> None:
    out = await console.type("/flag escalate payments down", "press 1 9")
    assert "Message 1 has these buttons: [1] Acknowledge  [2] Resolve" in out


async def test_every_subcommand_works(console: Console) -> None:
    await console.type("/flag escalate payments down ZD-1")
    out = await console.type("/flag update F-1 told them ETA 3pm")
    assert "Customer update recorded on F-1" in out
    out = await console.type("/flag snooze F-1 2h")
    assert "F-1 snoozed until" in out
    out = await console.type("/flag recurring SSO loop after reset ZD-7 #sso")
    assert "recorded under theme #sso" in out
    out = await console.type("/flag mine")
    assert "Your open flags (2)" in out
    out = await console.type("/flag themes")
    assert "#sso — SSO loop after reset · 1 flag this week (new)" in out
    out = await console.type("/flag stats")
    assert "Flags raised: 1 escalation, 1 recurring; last week: 0 escalations" in out
    out = await console.type("/flag help")
    assert "/flag snooze F-12" in out
    out = await console.type("/flag resolve F-2 duplicate")
    assert "F-2 resolved." in out


async def test_a_bad_form_answer_is_asked_again_and_the_others_kept(console: Console) -> None:
    out = await console.type("/flag", "bug", "export hangs", "ZD-5 banana", "low")
    assert "! Choose recurring or escalate." in out
    assert "`banana` is not a customer ref" in out
    assert console.session.prompt.startswith("Kind")
    out = await console.type("escalate")
    assert console.session.prompt.startswith("Customer refs")
    out = await console.type("ZD-5")
    assert "F-1 escalated (⚪ low)" in out


async def test_form_and_mention(console: Console) -> None:
    out = await console.type("/flag")
    assert "The flag form" in out
    assert console.session.prompt.startswith("Kind")
    out = await console.type("escalate", "export hangs", "ZD-5, customer:acme", "low")
    assert "F-1 escalated (⚪ low)" in out
    out = await console.type("@frontline flag recurring export hangs again")
    assert "F-2 recorded under theme" in out


async def test_clock_moves_on(console: Console) -> None:
    out = await console.type("+4h", "time")
    assert "⏩ 4h later" in out and "It is Mon 23 Nov 13:00" in out
    out = await console.type("+soon")
    assert "not a duration" in out


async def test_a_new_session_never_mistakes_its_messages_for_old_posts(
    console: Console, tmp_path: Path
) -> None:
    await console.type("/flag escalate old problem")
    # A second console on the same database: its message 1 is not F-1's post.
    output: list[str] = []
    gateway = ConsoleGateway(output.append)
    runtime = await open_runtime(
        console.runtime.settings,
        clock=console.session.clock,
        gateways={"console": gateway},
        directories={"console": gateway},
        url=f"sqlite+aiosqlite:///{tmp_path / 'console.db'}",
    )
    try:
        session = ConsoleSession(
            runtime.core, gateway, console.session.clock, output.append, runtime.delivery
        )
        for line in ("say hello", "as maria", "reply 1 ack"):
            await session.handle_line(line)
        async with runtime.core.uow() as uow:
            flag = await uow.flags.get("console", 1)
        assert flag is not None and flag.acknowledged_by is None
        # resolving the old flag by id still updates its old post, without crashing
        await session.handle_line("/flag resolve F-1 done")
        assert "│ F-1 resolved. Its reporter has been told." in output
        assert any("message from an earlier session updated in place" in x for x in output)
    finally:
        await runtime.close()


async def test_interactive_loop_runs_on_the_embedded_default_until_end_of_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    lines = iter(["/flag escalate printer on fire", "as maria", "press 1 1"])
    output: list[str] = []

    def read(prompt: str) -> str:
        output.append(prompt)
        try:
            return next(lines)
        except StopIteration:
            raise EOFError from None

    settings = load_settings(config_path=str(tmp_path / "absent.yml"), environ={})
    await run_console(settings, read=read, write=output.append)
    text = "\n".join(output)
    assert "ana in #support> " in output and "maria in #support> " in output
    assert "You own F-1 now." in text
    # its own embedded database, created and migrated on first start, never DATABASE_URL's
    assert (tmp_path / "frontline-console.db").exists()
    assert not (tmp_path / "frontline.db").exists()


def test_console_rendering_of_the_neutral_markup() -> None:
    assert plain("*F-1* by <@maria> <https://x.example/t/1|ZD-1> a &amp; b &lt;c&gt;") == (
        "F-1 by @maria ZD-1 (https://x.example/t/1) a & b <c>"
    )


async def test_moving_the_clock_shows_each_reminder_and_nudge_at_its_time(
    console: Console,
) -> None:
    await console.type("/flag escalate checkout fails for all EU cards ZD-9912 sev:high")
    out = await console.type("+40m")
    # high: acknowledged within 15 min, else a nudge every 15 min (3 in the thread, then DMs).
    assert "⏩ 40 min later: Mon 23 Nov 09:40" in out
    assert out.index("🕒 Mon 23 Nov 09:15") < out.index("(nudge 1 of 3)")
    assert out.index("🕒 Mon 23 Nov 09:30") < out.index("(nudge 2 of 3)")
    assert "(nudge 3 of 3)" not in out  # due at 09:45, after the clock stopped
    assert "Acknowledgement: ⏰ overdue since Mon 23 Nov 09:15" in out

    await console.type("as maria", "press 1 Acknowledge")
    out = await console.type("+2h")
    assert "🕒 Mon 23 Nov 10:00" in out  # the customer update promised at 10:00
    assert "@maria The customer on F-1 (ZD-9912) has not heard from us since" in out
    await console.type("press 1 Customer updated")
    assert "nudge" not in await console.type("+30m")


async def test_someone_who_was_never_in_its_channels_cannot_read_or_change_a_flag(
    console: Console,
) -> None:
    await console.type("in private-sales", "/flag escalate acme payroll data exposed ZD-7")
    out = await console.type("in random", "as eve", "/flag show F-1", "/flag snooze F-1 2h")
    assert "acme" not in out
    assert "F-1 was raised in a conversation you are not in" in out
    assert (
        "You cannot change F-1: only its reporter, its owner, an on-duty manager, or someone in "
        "the escalation channel or in the conversation where it was raised can. Nothing was "
        "changed."
    ) in out
    out = await console.type("in escalations", "/flag show F-1")  # now she is in its channel
    assert "acme payroll data exposed" in out


async def run_session(tmp_path: Path, *lines: str, fresh: bool = False) -> str:
    script = iter(lines)
    output: list[str] = []

    def read(prompt: str) -> str:
        try:
            return next(script)
        except StopIteration:
            raise EOFError from None

    settings = load_settings(config_path=str(tmp_path / "absent.yml"), environ={})
    await run_console(settings, read=read, write=output.append, fresh=fresh)
    return "\n".join(output)


async def test_a_second_session_resumes_the_clock_and_fresh_starts_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    first = await run_session(tmp_path, "/flag escalate printer on fire ZD-1", "+3d", "time")
    moved_to = first.strip().splitlines()[-1]
    second = await run_session(tmp_path, "time", "/flag escalate printer smoking ZD-2")
    assert "clock resumed at" in second and moved_to in second  # not back to the real time
    assert "F-2" in second
    third = await run_session(tmp_path, "/flag escalate printer fine now ZD-3", fresh=True)
    assert "clock resumed" not in third and "F-1" in third and "F-3" not in third


async def test_a_managers_direct_message_can_be_acknowledged_from_its_button(
    console: Console,
) -> None:
    await console.type("/flag escalate checkout fails for all EU cards ZD-9912 sev:high")
    out = await console.type("+2h")  # unacknowledged: thread nudges, then the on-duty managers
    heading = next(line for line in out.splitlines() if "DM to @maria from Frontline" in line)
    number = int(heading.rsplit("message ", 1)[1].split()[0])
    assert "Acknowledge" in [b.label for b in console.gateway.messages[number].message.buttons]

    out = await console.type("as maria", f"press {number} Acknowledge")
    assert "Status: ✅ Acknowledged by @maria" in console.message(1)
