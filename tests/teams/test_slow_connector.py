"""Teams waits at most 15 s for Frontline's HTTP answer, however slow the Bot Connector is.

Every message to a conversation goes through the outbox, off the request path. A few calls are
made while Teams waits (a form shown at once, a membership check for `flag show`, a sender's
name from the roster): each gives up after its own budget, so the answer is never late. Here
the budgets are cut to a fraction of a second and the connector made slower than them.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from adapters.teams import gateway as gateway_module
from adapters.teams import people as people_module
from tests.teams.harness import (
    ESCALATIONS,
    MARIA,
    TOM,
    Teams,
    channel_message,
    personal_message,
)

BUDGET = 0.3
SLOW = 3.0


@pytest.fixture
def tight_budgets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gateway_module, "IN_TURN_SECONDS", BUDGET)
    monkeypatch.setattr(people_module, "ROSTER_SECONDS", BUDGET)


async def answered_within(teams: Teams, activity: dict[str, Any]) -> float:
    started = time.monotonic()
    status, _ = await asyncio.wait_for(teams.send(activity, settle=False), SLOW * 3)
    assert status == 200
    return time.monotonic() - started


@pytest.mark.usefixtures("tight_budgets")
async def test_the_form_is_given_up_on_rather_than_answered_late(teams: Teams) -> None:
    await teams.send(channel_message("flag help", sender=MARIA, channel=ESCALATIONS))
    teams.connector.delay = SLOW
    assert await answered_within(teams, channel_message("flag")) < SLOW


@pytest.mark.usefixtures("tight_budgets")
async def test_a_membership_check_that_takes_too_long_does_not_delay_the_answer(
    teams: Teams,
) -> None:
    await teams.send(channel_message("flag help", sender=MARIA, channel=ESCALATIONS))
    await teams.send(channel_message("flag escalate refunds stuck ZD-4471"))
    await teams.send(personal_message("flag help", sender=TOM))
    teams.connector.delay = SLOW
    assert await answered_within(teams, personal_message("flag show F-1", sender=TOM)) < SLOW


@pytest.mark.usefixtures("tight_budgets")
async def test_a_sender_without_a_name_costs_the_name_not_the_answer(teams: Teams) -> None:
    await teams.send(channel_message("flag help", sender=MARIA, channel=ESCALATIONS))
    teams.connector.delay = SLOW
    unnamed = {"id": "29:1zed-id", "aadObjectId": "aa-zed"}
    activity = channel_message("flag escalate refunds stuck ZD-4471", sender=unnamed)
    assert await answered_within(teams, activity) < SLOW


@pytest.mark.usefixtures("tight_budgets")
async def test_forms_asked_for_at_once_wait_for_the_connector_side_by_side(teams: Teams) -> None:
    # Each form waits on the connector for its budget; none may wait for another's, nor hold
    # up an escalation's write (on SQLite, a turn's open transaction holds every writer).
    await teams.send(channel_message("flag help", sender=MARIA, channel=ESCALATIONS))
    teams.connector.delay = SLOW
    forms = [answered_within(teams, channel_message("flag")) for _ in range(6)]
    escalation = answered_within(teams, channel_message("flag escalate refunds stuck ZD-4471"))
    took = await asyncio.gather(*forms, escalation)
    # One after another, the last would take 6 budgets (1.8 s).
    assert max(took) < 4 * BUDGET, took


@pytest.mark.usefixtures("tight_budgets")
async def test_senders_without_names_wait_for_the_roster_side_by_side(teams: Teams) -> None:
    # The roster is asked before the turn's first statement: on SQLite a look-up inside the
    # turn's transaction would hold every other writer, so these would wait one after another.
    await teams.send(channel_message("flag help", sender=MARIA, channel=ESCALATIONS))
    teams.connector.delay = SLOW
    unnamed = [{"id": f"29:1zed-{n}", "aadObjectId": f"aa-zed-{n}"} for n in range(6)]
    escalations = [
        answered_within(teams, channel_message(f"flag escalate refunds stuck ZD-{n}", sender=who))
        for n, who in enumerate(unnamed)
    ]
    took = await asyncio.gather(*escalations)
    # One after another, the last would take 6 budgets (1.8 s); asked twice a turn, 2 each.
    assert max(took) < 4 * BUDGET, took
