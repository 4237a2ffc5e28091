"""An agent flags an escalation in Teams and managers acknowledge it, end to end."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from tests.teams.connector import Call, FakeConnector
from tests.teams.harness import (
    ANA,
    CONFIG,
    ESCALATIONS,
    MARIA,
    SUPPORT,
    TOM,
    Teams,
    card_press,
    chain_reply,
    channel_message,
    fixture,
    personal_message,
    start_teams,
)

CARD = "application/vnd.microsoft.card.adaptive"


async def escalate(teams: Teams) -> Call:
    """Maria @mentions Frontline in the escalation channel once; Ana escalates in #support."""
    status, _ = await teams.send(channel_message("flag help", sender=MARIA, channel=ESCALATIONS))
    assert status == 200
    status, _ = await teams.send(
        channel_message("flag escalate checkout fails for all EU cards ZD-9912 sev:high")
    )
    assert status == 200
    [post] = teams.connector.of("create")
    return post


def card_actions(call: Call) -> list[str]:
    content = call.body.get("activity", call.body)["attachments"][0]["content"]
    return [action["title"] for action in content.get("actions", [])]


def in_chain(teams: Teams, root: str) -> list[Call]:
    return [c for c in teams.connector.of("reply") if c.conversation_id.endswith(f"={root}")]


def direct_messages_to(teams: Teams, person: dict[str, str]) -> list[str]:
    chat = f"a:personal-{person['id']}"
    return [c.texts() for c in teams.connector.of("send") if c.conversation_id == chat]


async def test_the_escalation_is_posted_as_a_card_and_the_agent_gets_a_link(teams: Teams) -> None:
    post = await escalate(teams)

    assert post.body["channelData"]["channel"]["id"] == ESCALATIONS
    attachment = post.body["activity"]["attachments"][0]
    assert attachment["contentType"] == CARD
    assert attachment["content"]["version"] == "1.5"
    shown = post.texts()
    assert "**F-1 · Escalation:** checkout fails for all EU cards" in shown
    assert "<at>Ana Alvarez</at>" in shown and "ZD-9912" in shown and "🔴 high" in shown
    mention = attachment["content"]["msteams"]["entities"][0]
    assert mention["mentioned"] == {"id": ANA["id"], "name": "Ana Alvarez"}
    assert card_actions(post) == ["Acknowledge", "Customer updated", "Snooze 1h", "Resolve"]

    confirmation = teams.connector.of("reply")[-1]
    assert confirmation.conversation_id.startswith(f"{SUPPORT};messageid=")
    assert "**F-1** escalated (🔴 high)" in confirmation.texts()
    root = post.result["activityId"]
    assert f"teams.microsoft.com/l/message/{ESCALATIONS}/{root}" in confirmation.texts()


async def test_a_manager_acknowledges_by_replying_in_the_chain(teams: Teams) -> None:
    post = await escalate(teams)
    root = post.result["activityId"]
    teams.clock.advance(timedelta(minutes=6))

    status, _ = await teams.send(chain_reply(root, "on it"))

    assert status == 200
    [update] = teams.connector.of("update")
    assert update.conversation_id == f"{ESCALATIONS};messageid={root}"
    assert update.activity_id == root
    assert "Acknowledged by <at>Maria Novak</at> after 6 min" in update.texts()
    assert "Acknowledge" not in card_actions(update)
    [line] = in_chain(teams, root)
    assert "✅ Acknowledged by <at>Maria Novak</at> after 6 min." in line.texts()
    assert line.body["entities"][0]["mentioned"]["id"] == MARIA["id"]
    [told] = direct_messages_to(teams, ANA)
    assert "**F-1** (checkout fails for all EU cards) was acknowledged by" in told
    opened = [c.body for c in teams.connector.of("create") if not c.body.get("isGroup")]
    assert any({"id": ANA["id"]} in chat["members"] for chat in opened)
    assert "You own **F-1** now" in direct_messages_to(teams, MARIA)[0]


async def test_a_second_acknowledgement_is_recorded_but_the_owner_stays(teams: Teams) -> None:
    post = await escalate(teams)
    root = post.result["activityId"]
    await teams.send(chain_reply(root, "on it"))

    await teams.send(chain_reply(root, "ack, looking too", sender=TOM))

    assert len(teams.connector.of("update")) == 1
    assert len(in_chain(teams, root)) == 1
    [answer] = direct_messages_to(teams, TOM)
    assert "already acknowledged by <at>Maria Novak</at>; they stay the owner" in answer
    await teams.send(personal_message("flag show F-1"))
    timeline = teams.connector.of("reply")[-1].texts()
    assert "acknowledged by <at>Maria Novak</at>" in timeline
    assert "also acknowledged by <at>Tom Berger</at>" in timeline


async def test_an_ordinary_reply_in_the_chain_changes_nothing(teams: Teams) -> None:
    post = await escalate(teams)
    calls = len(teams.connector.calls)

    status, _ = await teams.send(chain_reply(post.result["activityId"], "any news on this?"))

    assert status == 200
    assert len(teams.connector.calls) == calls


async def test_the_acknowledge_button_answers_the_presser_and_updates_the_card(
    teams: Teams,
) -> None:
    post = await escalate(teams)
    root = post.result["activityId"]
    press = card_press(
        "flag_acknowledge", {"action_id": "flag_acknowledge", "value": "1"}, root=root
    )

    status, body = await teams.send(press)

    assert status == 200
    assert body["statusCode"] == 200
    assert body["type"] == "application/vnd.microsoft.activity.message"
    assert body["value"] == "You own F-1 now. The reporter has been told."
    [update] = teams.connector.of("update")
    assert "Acknowledged by <at>Maria Novak</at>" in update.texts()
    assert len(in_chain(teams, root)) == 1

    again = card_press(
        "flag_acknowledge", {"action_id": "flag_acknowledge", "value": "1"}, root=root, sender=TOM
    )
    status, body = await teams.send(again)
    assert status == 200
    assert "already acknowledged by Maria Novak; they stay the owner" in body["value"]
    assert len(teams.connector.of("update")) == 1


async def test_resolve_with_a_note_closes_the_card(teams: Teams) -> None:
    post = await escalate(teams)
    root = post.result["activityId"]
    content = post.body["activity"]["attachments"][0]["content"]
    resolve = content["actions"][-1]
    assert resolve["type"] == "Action.ShowCard"
    execute = resolve["card"]["actions"][0]
    data = {**execute["data"], "note": "rolled back the payment provider config"}

    status, body = await teams.send(card_press(execute["verb"], data, root=root))

    assert status == 200
    assert body["value"] == "F-1 resolved. Its reporter has been told."
    update = teams.connector.of("update")[-1]
    assert "Resolved by <at>Maria Novak</at>" in update.texts()
    assert "rolled back the payment provider config" in update.texts()
    assert card_actions(update) == []
    assert "was resolved by" in direct_messages_to(teams, ANA)[-1]


async def test_a_stale_or_forged_button_gets_a_clear_answer(teams: Teams) -> None:
    post = await escalate(teams)
    root = post.result["activityId"]

    status, body = await teams.send(card_press("flag_explode", {"value": "1"}, root=root))
    assert status == 200
    assert "That button is not one Frontline knows" in body["value"]

    status, body = await teams.send(
        card_press("flag_acknowledge", {"action_id": "flag_acknowledge", "value": "99"}, root=root)
    )
    assert status == 200
    assert "There is no flag F-99 in this workspace" in body["value"]


@pytest.mark.parametrize(
    ("reactions", "reaction_type", "named"),
    [
        # Teams' `like` is 👍, kept under Slack's name for it, so `like`, `+1` and 👍 all match.
        ("[like, white_check_mark]", "like", ":+1:"),
        # Newer Teams reports other emoji by code point and name; the default list has ✅.
        (None, "2705_whiteheavycheckmark", ":white_check_mark:"),
    ],
)
async def test_a_configured_reaction_on_the_card_acknowledges(
    tmp_path: Path, connector: FakeConnector, reactions: str | None, reaction_type: str, named: str
) -> None:
    config = CONFIG + (f"acknowledgement:\n  reactions: {reactions}\n" if reactions else "")
    teams = await start_teams(tmp_path, connector, config=config)
    try:
        post = await escalate(teams)
        reaction = fixture("message-reaction-added")
        reaction["replyToId"] = post.result["activityId"]
        reaction["reactionsAdded"] = [{"type": reaction_type}]

        status, _ = await teams.send(reaction)

        assert status == 200
        [update] = teams.connector.of("update")
        assert "Acknowledged by <at>Maria Novak</at>" in update.texts()
        assert f"via {named} reaction" in await timeline(teams)
    finally:
        await teams.close()


async def timeline(teams: Teams) -> str:
    await teams.send(personal_message("flag show F-1"))
    return teams.connector.of("reply")[-1].texts()


def lose_the_database(folder: Path) -> None:
    for leftover in folder.glob("frontline.db*"):
        leftover.unlink()


async def test_a_database_outage_gets_an_apology_not_a_500(tmp_path: Path, teams: Teams) -> None:
    await teams.runtime.database.dispose()
    lose_the_database(tmp_path)

    status, _ = await teams.send(personal_message("flag mine"), settle=False)

    assert status == 200
    assert "Something went wrong on Frontline's side, not yours." in (
        teams.connector.of("reply")[-1].texts()
    )


async def test_another_bot_saying_ack_in_the_chain_acknowledges_nothing(teams: Teams) -> None:
    post = await escalate(teams)
    other_bot = {"id": "28:another-bot", "name": "Helpdesk Bot"}

    await teams.send(chain_reply(post.result["activityId"], "ack", sender=other_bot))

    assert teams.connector.of("update") == []


async def test_someone_outside_its_channels_cannot_change_a_flag_and_a_member_can(
    teams: Teams,
) -> None:
    await escalate(teams)
    # Tom writes from his personal chat; Teams says he is not in either channel.
    await teams.send(personal_message("flag snooze F-1 2h", sender=TOM))
    assert "You cannot change **F-1**" in teams.connector.of("reply")[-1].texts()
    assert teams.connector.of("member")  # Teams was asked

    teams.connector.members[MARIA["aadObjectId"]] = dict(MARIA)  # Maria is in the channel
    await teams.send(personal_message("flag snooze F-1 2h", sender=MARIA))
    assert any("**F-1** snoozed until" in c.texts() for c in teams.connector.of("reply"))
