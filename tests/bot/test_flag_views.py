"""Timeline, mine, themes, stats, help and the form in the core."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot import dispatch
from bot.actions import ActionId
from bot.errors import UsageError
from tests.bot.conftest import World, person, where


async def test_timeline_shows_who_did_what_and_where_it_waited(world: World) -> None:
    await world.flag("ana", "escalate payments down ZD-1")
    world.clock.advance(timedelta(minutes=45))
    await world.press("maria", ActionId.ACKNOWLEDGE, "1")
    await world.press("tom", ActionId.ACKNOWLEDGE, "1")
    world.clock.advance(timedelta(hours=2))
    await world.flag("maria", "update F-1 told them ETA 3pm")
    reply = await world.flag("ana", "show F-1")
    lines = reply.message.text.splitlines()
    assert lines[0] == "*F-1 · Escalation:* payments down"
    assert "flagged by <@ana>" in lines[1]
    assert "posted to the escalation channel" in lines[2]
    # Each wait against its target, in the same words as the status line.
    assert lines[3].endswith("acknowledged by <@maria> — via button · _after 45 min — target 1h_")
    assert "also acknowledged by <@tom>" in lines[4] and "owner stays <@maria>" in lines[4]
    assert lines[5].endswith(
        "customer updated by <@maria> — told them ETA 3pm · "
        "_the customer waited 2h 45m for it — promise 4h_"
    )
    assert lines[6] == "_…open; the last step was just now_"
    status = {f.label: f.value for f in reply.message.fields}["Status"]
    assert status == "✅ Acknowledged by <@maria> after 45 min"


async def test_mine_lists_reported_and_owned_open_flags(world: World) -> None:
    await world.flag("ana", "escalate a ZD-1")
    await world.flag("tom", "escalate b")
    await world.flag("tom", "escalate c")
    await world.press("ana", ActionId.ACKNOWLEDGE, "2")
    await world.flag("tom", "resolve F-3")
    reply = await world.flag("ana", "mine")
    text = reply.message.text
    assert text.startswith("*Your open flags (2)*")
    assert "*F-1*" in text and "*F-2*" in text and "*F-3*" not in text
    assert "acknowledgement due Mon 23 Nov 10:00 · customer update due Mon 23 Nov 13:00" in text
    assert "*F-1* escalation · a · ZD-1 · ⏳ Waiting for acknowledgement" in text
    assert (await world.flag("zed", "mine")).message.text == "You have no open flags."


async def test_recurring_flags_group_into_themes(world: World) -> None:
    first = await world.flag("ana", "recurring SSO loops after reset ZD-1 #sso-loop")
    assert "theme *#sso-loop* (1 flag this week)" in first.message.text
    second = await world.flag("lee", "recurring login loop again #sso-loop")
    assert "(2 flags this week)" in second.message.text
    await world.flag("lee", "recurring Export to CSV times out")
    world.clock.advance(timedelta(days=8))
    await world.flag("lee", "recurring Export to CSV times out")
    listing = (await world.flag("ana", "themes")).message.text
    assert (
        "*#sso-loop — SSO loops after reset* · 0 flags this week (↓ from 2) · not routed yet · open"
        in (listing)
    )
    assert (
        "*#export-csv-times-out — Export to CSV times out* · 1 flag this week "
        "(as many as last week)" in listing
    )
    assert world.chat.of_kind("post") == []  # recurring flags are not escalations


async def test_stats_are_team_level(world: World) -> None:
    await world.flag("ana", "escalate a ZD-1")
    await world.flag("ana", "escalate b")
    world.clock.advance(timedelta(minutes=10))
    await world.press("maria", ActionId.ACKNOWLEDGE, "1")
    await world.flag("lee", "recurring c #x")
    world.clock.advance(timedelta(hours=5))
    reply = await world.flag("ana", "stats")
    fields = {f.label: f.value for f in reply.message.fields}
    assert "week 48, 23-29 Nov 2026, so far" in reply.message.text.replace("\N{EN DASH}", "-")
    assert fields["Flags raised"] == (
        "2 escalations, 1 recurring; last week: 0 escalations, 0 recurring"
    )
    assert fields["Time to acknowledge"].startswith(
        "median 10 min, 90% within 10 min, 1 acknowledged; last week: none acknowledged"
    )
    assert fields["Waiting for acknowledgement now"] == "1"
    assert fields["Customer updates overdue now"] == "1"
    assert fields["Customer updates missed"].startswith("none;")  # not swept yet
    assert fields["Escalations open now"] == "2; last week: 0"
    assert fields["Escalations sharing a post"] == "none; last week: none"
    assert fields["Recurrence"] == (
        "0% of 1 recurring flag joined an existing theme; last week: no recurring flags"
    )
    assert "maria" not in str(reply.message)  # never names people


async def test_stats_say_under_a_minute_rather_than_zero_seconds(world: World) -> None:
    await world.flag("ana", "escalate a ZD-1")
    await world.press("maria", ActionId.ACKNOWLEDGE, "1")
    fields = {f.label: f.value for f in (await world.flag("ana", "stats")).message.fields}
    assert fields["Time to acknowledge"].startswith(
        "median under a minute, 90% within a minute, 1 acknowledged;"
    )


async def test_help_lists_every_command(world: World) -> None:
    text = (await world.flag("ana", "help")).message.text
    for name in (
        "recurring",
        "escalate",
        "update",
        "resolve",
        "snooze",
        "show",
        "mine",
        "themes",
        "move",
        "theme",
        "stats",
    ):
        assert f"/flag {name}" in text


async def test_empty_flag_asks_for_the_form_and_form_raises_a_flag(world: World) -> None:
    assert (await world.flag("ana", "")).open_form is True
    reply = await dispatch.handle_form(
        world.core,
        actor=person("ana"),
        where=where(),
        kind="Escalate",
        summary="refunds stuck",
        customer_refs="ZD-4, customer:acme",
        severity="high",
    )
    assert "*F-1* escalated" in reply.message.text
    fields = {f.label: f.value for f in world.chat.of_kind("post")[0].message.fields}
    assert fields["Customer"] == "ZD-4, acme"  # a customer's name, without the `customer:`
    with pytest.raises(UsageError, match="not a kind of flag"):
        await dispatch.handle_form(
            world.core, actor=person("ana"), where=where(), kind="bug", summary="x"
        )


async def test_unknown_button_is_a_usage_error(world: World) -> None:
    with pytest.raises(UsageError, match="old message"):
        await world.press("ana", "flag_explode", "1")
    with pytest.raises(UsageError):
        await world.press("ana", ActionId.ACKNOWLEDGE, "abc")


async def test_reports_in_other_scripts_get_themes_of_their_own(world: World) -> None:
    first = await world.flag("ana", "recurring 日本語のテキスト")
    second = await world.flag("ana", "recurring Вход не работает после сброса")
    third = await world.flag("ana", "recurring !!!")
    assert "#日本語のテキスト" in first.message.text
    assert "#вход-не-работает-после-сброса" in second.message.text
    assert "#theme-" in third.message.text
    listing = (await world.flag("ana", "themes")).message.text
    assert listing.count("1 flag this week (new)") == 3
