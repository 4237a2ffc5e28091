"""Reminders and the nudge ladder on Teams: the real server, its scheduler, a fake connector."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from tests.settle import eventually
from tests.teams.connector import FakeConnector
from tests.teams.harness import ESCALATIONS, MARIA, SUPPORT, chain_reply, start_teams
from tests.teams.test_escalation_flow import card_actions, direct_messages_to, escalate, in_chain

CONFIG = f"""\
channels:
  teams:
    escalations: "{ESCALATIONS}"
managers:
  teams:
    group: Support managers
    on_duty: ["{MARIA["aadObjectId"]}"]
severities:
  high:
    max_nudges: 1
"""


async def test_the_ladder_on_teams_reminds_and_nudges_in_the_chain_and_by_chat(
    tmp_path: Path, connector: FakeConnector
) -> None:
    teams = await start_teams(
        tmp_path, connector, config=CONFIG, environ={"FRONTLINE_SWEEP_SECONDS": "0.1"}
    )
    try:
        post = await escalate(teams)
        root = post.result["activityId"]

        teams.clock.advance(timedelta(minutes=15))
        await eventually(lambda: len(in_chain(teams, root)) == 1)
        nudge = in_chain(teams, root)[0]
        assert "⏰ **@Support managers** **F-1** is still waiting for a manager" in nudge.texts()
        assert card_actions(nudge) == ["Acknowledge"]

        teams.clock.advance(timedelta(minutes=15))
        await eventually(
            lambda: any("still waiting" in t for t in direct_messages_to(teams, MARIA))
        )

        await teams.send(chain_reply(root, "on it"))
        teams.clock.advance(timedelta(minutes=30))
        await eventually(lambda: "has not heard from us" in in_chain(teams, root)[-1].texts())
        reminder = in_chain(teams, root)[-1]
        assert "<at>Maria Novak</at> The customer on **F-1**" in reminder.texts()
        assert card_actions(reminder) == ["Customer updated", "Snooze 1h"]
    finally:
        await teams.close()


async def test_a_reporters_conversation_that_is_refusing_never_holds_up_the_ladder(
    tmp_path: Path, connector: FakeConnector
) -> None:
    teams = await start_teams(
        tmp_path, connector, config=CONFIG, environ={"FRONTLINE_SWEEP_SECONDS": "0.1"}
    )
    try:
        # The support channel, where Ana escalates, answers only "too many requests".
        connector.refused_conversations[SUPPORT] = (429, "TooManyRequests")
        post = await escalate(teams)
        root = post.result["activityId"]

        teams.clock.advance(timedelta(minutes=15))
        await eventually(lambda: len(in_chain(teams, root)) == 1)
        assert "is still waiting for a manager" in in_chain(teams, root)[0].texts()
        await eventually(lambda: "overdue" in connector.of("update")[-1].texts())
        to_support = [c for c in connector.calls if c.conversation_id.startswith(SUPPORT)]
        assert to_support and not any(c.took_effect for c in to_support)  # still refused
    finally:
        await teams.close()
