"""Rendering neutral messages for Teams, and reading what people typed."""

from __future__ import annotations

from botbuilder.schema import Activity

from adapters.teams.activities import typed_text, where_of
from adapters.teams.cards import (
    RESOLVE_WITH_NOTE,
    TeamsText,
    adaptive_card,
    message_activity,
    plain_text,
)
from adapters.teams.people import Member
from bot.actions import ActionId
from bot.messages import Button, ButtonStyle, Field, Message
from tests.teams.harness import ANA, MARIA, SUPPORT, TENANT, channel_message, fixture

PEOPLE = {
    "aad-maria": Member("aad-maria", MARIA["id"], "Maria Novak"),
}


def test_markup_becomes_teams_markdown_with_mention_entities() -> None:
    text = TeamsText(PEOPLE)

    rendered = text.markdown(
        "*F-3* owned by <@aad-maria>, see <https://help.example/t/1|ticket> or `/flag show F-3`"
    )

    assert rendered == (
        "**F-3** owned by <at>Maria Novak</at>, see [ticket](https://help.example/t/1) "
        "or `flag show F-3`"
    )
    assert text.mention_entities == [
        {
            "type": "mention",
            "text": "<at>Maria Novak</at>",
            "mentioned": {"id": MARIA["id"], "name": "Maria Novak"},
        }
    ]


def test_unknown_people_links_without_labels_and_line_breaks() -> None:
    text = TeamsText({})

    assert text.markdown("<@aad-nobody> a\nb <https://x.example/a_(b)>") == (
        "<at>someone</at> a\n\nb [https://x.example/a_%28b%29](https://x.example/a_%28b%29)"
    )
    assert text.plain("*bold* <@aad-maria> <https://x.example|here>") == "bold someone here"
    assert TeamsText({}).markdown("2 * 3 * 4 and snake_case") == "2 * 3 * 4 and snake_case"


def test_a_message_with_fields_and_buttons_is_an_adaptive_card() -> None:
    message = Message(
        "*F-1 · Escalation:* refunds stuck",
        fields=(Field("Reporter", "<@aad-maria>"), Field("Severity", "🔴 high")),
        buttons=(
            Button("Acknowledge", ActionId.ACKNOWLEDGE, "1", ButtonStyle.PRIMARY),
            Button("Snooze 1h", ActionId.SNOOZE, "1"),
            Button("Resolve", ActionId.RESOLVE, "1", ButtonStyle.DANGER),
        ),
        footer="Timeline: `/flag show F-1`",
    )

    card = adaptive_card(message, PEOPLE)

    assert card["type"] == "AdaptiveCard" and card["version"] == "1.5"
    headline, reporter, severity, footer = card["body"]
    assert headline["text"] == "**F-1 · Escalation:** refunds stuck"
    assert reporter["type"] == "ColumnSet"
    assert reporter["columns"][1]["items"][0]["text"] == "<at>Maria Novak</at>"
    assert severity["columns"][0]["items"][0]["text"] == "**Severity**"
    assert footer["isSubtle"] is True and footer["text"] == "Timeline: `flag show F-1`"
    acknowledge, snooze, resolve = card["actions"]
    assert acknowledge == {
        "type": "Action.Execute",
        "title": "Acknowledge",
        "verb": "flag_acknowledge",
        "data": {"action_id": "flag_acknowledge", "value": "1"},
        "style": "positive",
    }
    assert "style" not in snooze
    assert resolve["type"] == "Action.ShowCard"
    [note] = resolve["card"]["body"]
    assert note["type"] == "Input.Text" and note["id"] == "note"
    [execute] = resolve["card"]["actions"]
    assert execute["verb"] == RESOLVE_WITH_NOTE and execute["style"] == "destructive"
    assert card["msteams"]["entities"][0]["mentioned"]["id"] == MARIA["id"]


def test_a_one_line_message_is_a_plain_markdown_message() -> None:
    activity = message_activity(Message("✅ Acknowledged by <@aad-maria> after 6 min."), PEOPLE)

    assert activity.attachments is None
    assert activity.text_format == "markdown"
    assert activity.text == "✅ Acknowledged by <at>Maria Novak</at> after 6 min."
    [mention] = activity.serialize()["entities"]
    assert mention["mentioned"] == {"id": MARIA["id"], "name": "Maria Novak"}


def test_multi_line_messages_become_cards_with_a_summary() -> None:
    activity = message_activity(Message("*Your open flags (2)*\nF-1 a\nF-2 b"), {})

    assert activity.summary == "Your open flags (2)"
    [attachment] = activity.attachments
    assert attachment.content["body"][0]["text"] == "**Your open flags (2)**\n\nF-1 a\n\nF-2 b"


def test_plain_text_includes_fields() -> None:
    message = Message("*Team figures*", fields=(Field("Open", "3"),))

    assert plain_text(message, {}) == "Team figures\nOpen: 3"


def test_typed_text_drops_the_bot_mention_and_keeps_people() -> None:
    body = channel_message("flag escalate for <at>Maria Novak</at> &amp; team&nbsp;now")
    body["entities"].append(
        {
            "type": "mention",
            "text": "<at>Maria Novak</at>",
            "mentioned": {"id": MARIA["id"], "name": "Maria Novak", "aadObjectId": "aad-maria"},
        }
    )
    activity = Activity().deserialize(body)

    assert typed_text(activity) == "flag escalate for <@aad-maria> & team now"


def test_where_tells_a_new_post_from_a_reply_in_a_chain() -> None:
    post = Activity().deserialize(channel_message("flag mine"))
    reply = Activity().deserialize(channel_message("flag mine", root="1795424405001"))

    assert where_of(post).thread_id is None
    assert where_of(post).conversation.channel_id == SUPPORT
    assert where_of(post).conversation.workspace_id == TENANT
    assert where_of(reply).thread_id == "1795424405001"
    assert where_of(reply).message_id == reply.id


def test_html_message_bodies_become_text() -> None:
    personal = Activity().deserialize(fixture("message-personal"))
    personal.text = "<p>flag recurring <b>SSO</b> loops</p><p>after reset</p>"

    assert typed_text(personal) == "flag recurring SSO loops\nafter reset"
    assert ANA["id"] == personal.from_property.id


def test_live_times_show_their_fallback_in_teams() -> None:
    live = "<!date^1795424400^{date_short_pretty} {time} ({ago})|Mon 23 Nov 09:00>"
    assert TeamsText({}).markdown(f"Raised {live}") == "Raised Mon 23 Nov 09:00"
    assert TeamsText({}).plain(live) == "Mon 23 Nov 09:00"


def test_escaped_characters_show_as_themselves() -> None:
    assert TeamsText({}).markdown("refunds &amp; credits &lt;EU&gt;") == "refunds & credits <EU>"
    assert TeamsText({}).plain("a &amp; b") == "a & b"
