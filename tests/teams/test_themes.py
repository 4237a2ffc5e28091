"""Recurring themes on Teams: the real server, a fake connector; routed, updated, closed."""

from __future__ import annotations

from pathlib import Path

from tests.teams.connector import FakeConnector
from tests.teams.harness import (
    ANA,
    ESCALATIONS,
    MARIA,
    TOM,
    card_press,
    channel_message,
    group_chat_message,
    personal_message,
    start_teams,
)
from tests.teams.test_escalation_flow import card_actions, direct_messages_to, in_chain

TRIAGE = "19:triage-channel@thread.tacv2"
CONFIG = f"""\
channels:
  teams:
    triage: "{TRIAGE}"
managers:
  teams:
    on_duty: ["{MARIA["aadObjectId"]}"]
"""


async def test_a_theme_card_in_triage_updated_in_place_then_fixed_and_told(
    tmp_path: Path, connector: FakeConnector
) -> None:
    teams = await start_teams(tmp_path, connector, config=CONFIG)
    try:
        # Maria speaks in triage once, so Frontline knows the channel (a conversation reference).
        await teams.send(channel_message("flag help", sender=MARIA, channel=TRIAGE))
        await teams.send(channel_message("flag recurring CSV export has no date column ZD-1"))
        await teams.send(
            channel_message("flag recurring export CSV missing date column ZD-2", sender=TOM)
        )
        await teams.send(channel_message("flag recurring the date col is gone from csv ZD-3"))
        [card] = teams.connector.of("create")
        assert card.body["channelData"]["channel"]["id"] == TRIAGE
        assert "Theme #csv-export-has-no-date" in card.texts()
        assert card_actions(card) == ["Acknowledge", "Planned", "Fixed", "Won't fix", "Not ours"]

        # From a group chat: counted, not quoted.
        await teams.send(group_chat_message("flag recurring csv export lacks dates for globex"))
        assert len(teams.connector.of("create")) == 1
        update = teams.connector.of("update")[-1]
        assert "globex" not in update.texts() and "counted, not quoted" in update.texts()

        root = card.result["activityId"]
        fixed = card.body["activity"]["attachments"][0]["content"]["actions"][2]
        assert fixed["type"] == "Action.ShowCard"  # asks for the release first
        assert fixed["card"]["body"][0]["id"] == "words"
        execute = fixed["card"]["actions"][0]
        press = card_press(
            execute["verb"], {**execute["data"], "words": "4.2"}, root=root, channel=TRIAGE
        )
        status, body = await teams.send(press)
        assert status == 200 and "is now marked fixed. 2 agents told" in body["value"]
        ana_dm = " ".join(direct_messages_to(teams, ANA))
        assert "Fixed in **4.2**" in ana_dm and "ZD-1" in ana_dm and "ZD-2" not in ana_dm
        assert any("ZD-2" in text for text in direct_messages_to(teams, TOM))
    finally:
        await teams.close()


IDENTITY = "19:identity-channel@thread.tacv2"
RULES_CONFIG = f"""\
channels:
  teams:
    escalations: "{ESCALATIONS}"
    triage: "{TRIAGE}"
themes:
  rules:
    - name: identity
      keywords: [sso]
      owner:
        teams: "{IDENTITY}"
"""


async def test_a_burst_shares_one_card_and_a_theme_is_refused_to_outsiders_then_moved(
    tmp_path: Path, connector: FakeConnector
) -> None:
    teams = await start_teams(tmp_path, connector, config=RULES_CONFIG)
    try:
        for channel in (ESCALATIONS, TRIAGE, IDENTITY):  # Frontline learns each channel
            await teams.send(channel_message("flag help", sender=MARIA, channel=channel))
        await teams.send(channel_message("flag escalate checkout fails for all EU cards ZD-1"))
        await teams.send(
            channel_message("flag escalate checkout broken for european cards ZD-2", sender=TOM)
        )
        [card] = teams.connector.of("create")
        assert card.body["channelData"]["channel"]["id"] == ESCALATIONS
        root = card.result["activityId"]
        assert any("F-2" in c.texts() and "ZD-2" in c.texts() for c in in_chain(teams, root))
        assert "2 customers affected" in teams.connector.of("update")[-1].texts()
        press = card_press(
            "flag_acknowledge", {"action_id": "flag_acknowledge", "value": "1"}, root=root
        )
        await teams.send(press)
        assert any("F-2" in text for text in direct_messages_to(teams, TOM))

        for sender, text in ((ANA, "invoice PDF is blank"), (TOM, "blank invoice pdf download")):
            await teams.send(channel_message(f"flag recurring {text}", sender=sender))
        await teams.send(channel_message("flag recurring the invoice pdf downloads empty"))
        theme_cards = [c for c in teams.connector.of("create") if "Theme #" in c.texts()]
        assert [c.body["channelData"]["channel"]["id"] for c in theme_cards] == [TRIAGE]

        # Tom, outside triage (Teams says so), cannot mark it fixed; Maria moves it.
        await teams.send(personal_message("flag theme #invoice-pdf-blank fixed", sender=TOM))
        assert "Only people in the channel that owns" in teams.connector.of("reply")[-1].texts()
        await teams.send(
            channel_message(
                "flag theme #invoice-pdf-blank owner identity", sender=MARIA, channel=TRIAGE
            )
        )
        moved = [c for c in teams.connector.of("create") if "Theme #" in c.texts()]
        assert [c.body["channelData"]["channel"]["id"] for c in moved] == [TRIAGE, IDENTITY]
    finally:
        await teams.close()
