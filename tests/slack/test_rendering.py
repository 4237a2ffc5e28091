"""Block Kit rendering, text escaping, the Home tab and modal metadata, without a server."""

from __future__ import annotations

import json

from adapters.slack.blocks import fallback_text, message_blocks
from adapters.slack.home import MAX_BLOCKS, home_tab
from adapters.slack.modals import METADATA_LIMIT, ModalContext, flag_form
from adapters.slack.text import chunks, escape_typed, unescape, without_broadcasts
from bot.home import HomeView
from bot.messages import Button, ButtonStyle, Field, Message


def test_a_message_becomes_text_fields_buttons_and_footer() -> None:
    message = Message(
        "*F-1 · Escalation:* checkout fails",
        fields=tuple(Field(f"L{i}", f"v{i}") for i in range(12)),
        buttons=(
            Button("Acknowledge", "flag_acknowledge", "1", ButtonStyle.PRIMARY),
            Button("Snooze 1h", "flag_snooze", "1"),
        ),
        footer="Timeline: `/flag show F-1`",
    )
    blocks = message_blocks(message)
    assert [b["type"] for b in blocks] == ["section", "section", "section", "actions", "context"]
    assert blocks[0]["text"] == {"type": "mrkdwn", "text": "*F-1 · Escalation:* checkout fails"}
    assert len(blocks[1]["fields"]) == 10 and len(blocks[2]["fields"]) == 2  # Slack's limit
    assert blocks[1]["fields"][0]["text"] == "*L0*\nv0"
    primary, plain = blocks[3]["elements"]
    assert primary["style"] == "primary" and "style" not in plain
    assert plain == {
        "type": "button",
        "text": {"type": "plain_text", "text": "Snooze 1h", "emoji": True},
        "action_id": "flag_snooze",
        "value": "1",
    }


def test_long_text_is_split_within_block_limits() -> None:
    text = "\n".join(f"line {i} " + "x" * 90 for i in range(100))
    sections = [b["text"]["text"] for b in message_blocks(Message(text))]
    assert len(sections) > 1 and all(len(s) <= 3000 for s in sections)
    assert "\n".join(sections) == text
    assert len(fallback_text(Message(text))) <= 3000
    assert all(len(piece) <= 50 for piece in chunks("y" * 175, 50))


def test_typed_text_cannot_ping_a_whole_channel() -> None:
    assert without_broadcasts("<!here> and <!channel|channel> <!everyone>") == (
        "@here and @channel @everyone"
    )
    rendered = json.dumps(message_blocks(Message("summary: <!channel> help")))
    assert "<!channel>" not in rendered
    assert escape_typed("<!here> a < b & c > d") == "&lt;!here&gt; a &lt; b &amp; c &gt; d"


def test_typed_mentions_and_links_stay_usable() -> None:
    typed = "ask <@U0AGENT02> see <https://status.example.com|status> & <#C0SUPPORT1|support>"
    assert escape_typed(typed) == (
        "ask <@U0AGENT02> see <https://status.example.com|status> &amp; <#C0SUPPORT1|support>"
    )
    assert unescape(escape_typed("a < b & c")) == "a < b & c"


def test_home_fits_slacks_block_limit_and_keeps_block_ids_apart() -> None:
    card = Message("*F-1* escalate", buttons=(Button("Resolve", "flag_resolve", "1"),))
    view = home_tab(HomeView(mine=(card,) * 40, awaiting_ack=(card,) * 40, more_mine=5))
    assert view["type"] == "home" and len(view["blocks"]) == MAX_BLOCKS
    assert "more than fits here" in json.dumps(view["blocks"][-1])
    ids = [b["block_id"] for b in view["blocks"] if b["type"] == "actions"]
    assert len(ids) == len(set(ids))


def test_an_empty_home_says_so() -> None:
    text = json.dumps(home_tab(HomeView(mine=(), awaiting_ack=())))
    assert "You have no open flags" in text and "every escalation has an owner" in text


def test_modal_context_survives_the_round_trip_and_its_limit() -> None:
    context = ModalContext(channel_id="C1", thread_ts="1.2", flag_number=7, from_home=True)
    assert ModalContext.decode(context.encode()) == context
    long = ModalContext(channel_id="C1", response_url="https://hooks.example/" + "x" * 4000)
    assert len(long.encode()) <= METADATA_LIMIT
    assert ModalContext.decode(long.encode()) == ModalContext(channel_id="C1")
    for garbage in ("", "not json", "[1]", '{"flag_number": "7", "channel_id": 3}'):
        assert ModalContext.decode(garbage) == ModalContext()


def test_the_prefilled_summary_fits_the_input() -> None:
    view = flag_form(ModalContext(), summary="z" * 5000)
    summary = next(b for b in view["blocks"] if b.get("block_id") == "summary")
    element = summary["element"]
    assert len(element["initial_value"]) <= element["max_length"]
