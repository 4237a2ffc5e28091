"""The console's flag form can be left, and reactions are taken by character or by name."""

from __future__ import annotations

import pytest

from tests.console.conftest import Console


async def open_flags(console: Console) -> list[str]:
    async with console.runtime.core.uow() as uow:
        return [flag.summary for flag in await uow.flags.list_open("console")]


async def test_the_first_prompt_says_how_to_leave(console: Console) -> None:
    await console.type("/flag")

    assert "type cancel to leave" in console.session.prompt


async def test_cancel_leaves_the_form_without_flagging(console: Console) -> None:
    out = await console.type("/flag", "escalate", "checkout fails", "cancel")

    assert "Form cancelled; nothing was flagged." in out
    assert console.session.prompt == "ana in #support> "
    assert await open_flags(console) == []
    out = await console.type("cancel")
    assert "`cancel` is not a console command" in out


async def test_quit_leaves_the_form_and_the_console(console: Console) -> None:
    await console.type("/flag", "escalate")

    going_on = await console.session.handle_line("quit")

    assert going_on is False
    assert "Left the form; nothing was flagged." in console.output
    assert await open_flags(console) == []


@pytest.mark.parametrize(
    ("command", "then"),
    [
        ("as maria", "You are now @maria."),
        ("in escalations", "You are now in #escalations."),
        ("+2h", "⏩ 2h later"),
        ("help", "Console commands"),
        ("time", "It is Mon 23 Nov"),
        ("/flag escalate refunds stuck", "F-1 escalated"),
        ("@frontline flag recurring export hangs", "F-1 recorded under theme"),
    ],
)
async def test_a_console_command_leaves_the_form_and_runs(
    console: Console, command: str, then: str
) -> None:
    await console.type("/flag", "escalate")

    out = await console.type(command)

    assert out.index("Left the form; nothing was flagged.") < out.index(then)
    assert "Kind" not in console.session.prompt and "Customer" not in console.session.prompt


async def test_a_new_form_replaces_the_open_one(console: Console) -> None:
    out = await console.type("/flag", "escalate", "/flag")

    assert "Left the form; nothing was flagged." in out
    assert console.session.prompt.startswith("Kind")


@pytest.mark.parametrize(
    "summary",
    [
        "customer wants to cancel the order",
        "as soon as checkout loads it fails",
        "in the EU checkout fails",
        "help page is down",
        "+1 customer cannot log in",
        "quit button does nothing",
    ],
)
async def test_an_answer_that_merely_mentions_a_command_stays_an_answer(
    console: Console, summary: str
) -> None:
    out = await console.type("/flag", "escalate", summary, "ZD-7", "")

    assert "Left the form" not in out and "cancelled" not in out
    assert "F-1 escalated" in out
    assert await open_flags(console) == [summary]


@pytest.mark.parametrize(
    "emoji",
    ["✅", ":white_check_mark:", "white_check_mark", "👀", "eyes", ":eyes:", "👀\ufe0f"],
)
async def test_a_reaction_acknowledges_by_character_or_by_name(
    console: Console, emoji: str
) -> None:
    await console.type("/flag escalate refunds stuck")

    out = await console.type("as maria", f"react 1 {emoji}")

    assert "(@maria reacted :" in out and ": to message 1)" in out
    assert "Acknowledged by @maria" in out
    assert "Acknowledged by @maria" in console.message(1)


@pytest.mark.parametrize("emoji", ["🎉", "tada", "✔\ufe0f"])
async def test_a_reaction_that_is_not_configured_does_nothing(console: Console, emoji: str) -> None:
    await console.type("/flag escalate refunds stuck")

    out = await console.type("as maria", f"react 1 {emoji}")

    assert "Acknowledged" not in out
    assert "Waiting for acknowledgement" in console.message(1)
