"""A card Teams made but answered 502 for is adopted from whichever of its buttons is pressed.

Teams keeps no history to search, so after a 502 the outbox cannot tell whether the escalation
card exists. The first press of any button on it proves it does: the flag takes it as its
post, and the update that follows the press goes to it, never to a second card.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.teams.harness import ESCALATIONS, MARIA, Teams, card_press, channel_message

ESCALATE = "flag escalate refunds stuck ZD-4471"


def cards(teams: Teams) -> list[Any]:
    return [c for c in teams.connector.calls if c.kind == "create" and c.body.get("isGroup")]


async def later(teams: Teams, seconds: float) -> None:
    teams.clock.advance(timedelta(seconds=seconds))
    teams.runtime.delivery.wake()
    await teams.settle()


async def orphaned_card(teams: Teams) -> str:
    """An escalation whose card Teams made, answering 502: its activity id."""
    await teams.send(channel_message("flag help", sender=MARIA, channel=ESCALATIONS))
    teams.connector.fail_after_doing("create", 502)
    await teams.send(channel_message(ESCALATE))
    await later(teams, 300)
    [card] = cards(teams)
    assert card.answered == 502
    return str(card.result["activityId"])


@pytest.mark.parametrize(
    ("verb", "data"),
    [
        ("flag_acknowledge", {"action_id": "flag_acknowledge", "value": "1"}),
        ("flag_customer_updated", {"action_id": "flag_customer_updated", "value": "1"}),
        ("flag_snooze", {"action_id": "flag_snooze", "value": "1"}),
        (
            "frontline_resolve_with_note",
            {"action_id": "flag_resolve", "value": "1", "note": "refunded"},
        ),
    ],
)
async def test_any_button_on_an_orphaned_card_makes_it_the_flags_post(
    teams: Teams, verb: str, data: dict[str, str]
) -> None:
    root = await orphaned_card(teams)
    status, body = await teams.send(card_press(verb, data, root=root, sender=MARIA))
    assert status == 200, body
    await later(teams, 60)
    updates = teams.connector.of("update")
    assert updates and updates[-1].activity_id == root  # the card shows what the press did
    assert len(cards(teams)) == 1  # and no second card was posted
