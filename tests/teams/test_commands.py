"""`flag …` commands in channels and personal chats, odd input, installs and names."""

from __future__ import annotations

from aiohttp import web

from adapters.teams.bot import flag_command
from bot.messages import Conversation, Message
from tests.teams.harness import (
    ANA,
    ESCALATIONS,
    TENANT,
    TOM,
    Teams,
    channel_message,
    fixture,
    personal_message,
)


def last_answer(teams: Teams) -> str:
    return teams.connector.of("reply")[-1].texts()


def test_flag_command_takes_the_text_after_a_leading_flag() -> None:
    assert flag_command("flag escalate x") == "escalate x"
    assert flag_command("  /flag  mine ") == "mine"
    assert flag_command("Flag") == ""
    assert flag_command("flags are fun") is None
    assert flag_command("on it") is None


async def test_flag_mine_in_a_personal_chat(teams: Teams) -> None:
    await teams.send(personal_message("flag mine"))
    assert "You have no open flags." in last_answer(teams)

    await teams.send(personal_message("flag recurring SSO login loops after reset ZD-1201"))
    await teams.send(personal_message("flag mine"))

    answer = last_answer(teams)
    assert "**Your open flags (1)**" in answer
    assert "SSO login loops after reset" in answer and "ZD-1201" in answer
    reply = teams.connector.of("reply")[-1]
    assert reply.conversation_id == f"a:{ANA['id']}-personal-chat"
    assert reply.body["replyToId"] == reply.activity_id


async def test_personal_chat_needs_no_flag_word_and_help_says_flag(teams: Teams) -> None:
    await teams.send(personal_message("help"))

    answer = last_answer(teams)
    assert "`flag escalate <what happened>" in answer
    assert "/flag" not in answer


async def test_unknown_flag_ids_and_malformed_commands_get_clear_answers(teams: Teams) -> None:
    for text, expected in (
        ("flag resolve F-99", "⚠️ There is no flag F-99 in this workspace."),
        ("flag snooze F-1 forever", "`forever` is not a duration"),
        ("flag explode now", "`explode` is not a flag command"),
        ("flag escalate", "Say what happened, in a few words."),
        ("flag show F-1 please", "`show` takes only a flag id"),
    ):
        status, _ = await teams.send(channel_message(text))
        assert status == 200, text
        assert expected in last_answer(teams), text


async def test_channel_messages_that_do_not_mention_frontline_are_ignored(teams: Teams) -> None:
    status, _ = await teams.send(channel_message("flag escalate not for the bot", mention=False))

    assert status == 200
    assert teams.connector.calls == []


async def test_mentioning_frontline_without_the_flag_word_still_works(teams: Teams) -> None:
    await teams.send(channel_message("stats"))

    answer = teams.connector.of("reply")[-1]
    assert answer.body["attachments"][0]["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert "**Team figures, week 48, 23\N{EN DASH}29 Nov 2026, so far**" in answer.texts()


async def test_odd_unicode_and_long_text_never_break_the_endpoint(teams: Teams) -> None:
    for text in ("flag escalate \u202eevil\u200b ZD-1 \U0001f525", "flag recurring " + "x" * 5000):
        status, _ = await teams.send(personal_message(text))
        assert status == 200
    assert "keep it under 4000" in last_answer(teams)
    await teams.send(personal_message("flag mine"))
    assert "evil" in last_answer(teams) and "\u202e" not in last_answer(teams)


async def test_requests_that_are_not_activities_are_refused_cleanly(teams: Teams) -> None:
    client = teams.client
    bad_json = await client.post(
        "/api/messages", data="{not json", headers={"Content-Type": "application/json"}
    )
    assert bad_json.status == 400
    not_activity = await client.post("/api/messages", json={"hello": "world"})
    assert not_activity.status == 400
    text = await client.post("/api/messages", data="hi", headers={"Content-Type": "text/plain"})
    assert text.status == 415
    huge = await client.post("/api/messages", json={"type": "message", "text": "x" * 2_000_000})
    assert huge.status == web.HTTPRequestEntityTooLarge.status_code
    assert teams.connector.calls == []


async def test_a_redelivered_activity_is_handled_once(teams: Teams) -> None:
    activity = personal_message("flag recurring SSO login loops after reset")

    await teams.send(activity)
    await teams.send(activity)

    assert len(teams.connector.of("reply")) == 1
    await teams.send(personal_message("flag mine"))
    assert "**Your open flags (1)**" in last_answer(teams)


async def test_installing_frontline_personally_sends_a_welcome(teams: Teams) -> None:
    status, _ = await teams.send(fixture("conversation-update-bot-installed-personal"))

    assert status == 200
    [welcome] = teams.connector.of("send")
    assert welcome.conversation_id == "a:1tom-personal-chat-with-frontline"
    assert "Hi! I'm Frontline" in welcome.texts() and "`flag help`" in welcome.texts()


async def test_adding_frontline_to_a_team_lets_it_post_in_general(teams: Teams) -> None:
    status, _ = await teams.send(fixture("conversation-update-bot-added-to-team"))

    assert status == 200
    assert teams.connector.calls == []
    general = Conversation("teams", TENANT, "19:support-team@thread.tacv2")

    ref = await teams.runtime.router.post(general, Message("Good morning, team"))

    [post] = teams.connector.of("create")
    assert post.body["channelData"]["channel"]["id"] == general.channel_id
    assert post.body["activity"]["text"] == "Good morning, team"
    assert ref.message_id == post.result["activityId"]


async def test_a_missing_display_name_comes_from_the_roster(teams: Teams) -> None:
    nameless = {"id": TOM["id"], "aadObjectId": TOM["aadObjectId"]}
    teams.connector.members[TOM["id"]] = {**TOM, "userPrincipalName": "tom@contoso.example"}
    await teams.send(channel_message("flag help", sender=ANA, channel=ESCALATIONS))

    await teams.send(channel_message("flag escalate printer on fire", sender=nameless))

    [lookup] = teams.connector.of("member")
    assert lookup.conversation_id == "19:support-team@thread.tacv2"
    assert "<at>Tom Berger</at>" in teams.connector.of("create")[0].texts()
