"""Neutral messages rendered as Block Kit (the core's markup already is Slack mrkdwn)."""

from __future__ import annotations

from typing import Any

from adapters.slack.text import chunks, clip, without_broadcasts
from bot.messages import Button, ButtonStyle, Field, Message

Block = dict[str, Any]

# Block Kit limits (https://docs.slack.dev/reference/block-kit/blocks).
SECTION_TEXT_LIMIT = 3000
FIELD_TEXT_LIMIT = 2000
FIELDS_PER_SECTION = 10
BUTTON_LABEL_LIMIT = 75
BUTTON_VALUE_LIMIT = 2000
BUTTONS_PER_ACTIONS_BLOCK = 25
FALLBACK_TEXT_LIMIT = 3000
MAX_TEXT_SECTIONS = 40  # a message holds at most 50 blocks; leave room for the rest


def mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": without_broadcasts(text)}


def plain(text: str, limit: int = 150) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(text, limit), "emoji": True}


def message_blocks(message: Message) -> list[Block]:
    """The blocks of one message: its text, a field grid, its buttons and a footer line."""
    pieces = chunks(message.text, SECTION_TEXT_LIMIT)
    if len(pieces) > MAX_TEXT_SECTIONS:
        pieces = [*pieces[: MAX_TEXT_SECTIONS - 1], "_…cut short: too long for one message_"]
    blocks: list[Block] = [{"type": "section", "text": mrkdwn(piece)} for piece in pieces if piece]
    blocks.extend(field_sections(message.fields))
    if message.buttons:
        blocks.append(actions_block(message.buttons))
    if message.footer:
        blocks.append({"type": "context", "elements": [mrkdwn(clip(message.footer, 3000))]})
    return blocks


def field_sections(fields: tuple[Field, ...]) -> list[Block]:
    """Fields as two-column sections (`*Label*` over the value), ten per section."""
    rendered = [
        mrkdwn(clip(f"*{field.label}*\n{field.value}", FIELD_TEXT_LIMIT)) for field in fields
    ]
    return [
        {"type": "section", "fields": rendered[start : start + FIELDS_PER_SECTION]}
        for start in range(0, len(rendered), FIELDS_PER_SECTION)
    ]


def actions_block(buttons: tuple[Button, ...], block_id: str | None = None) -> Block:
    block: Block = {
        "type": "actions",
        "elements": [button_element(b) for b in buttons[:BUTTONS_PER_ACTIONS_BLOCK]],
    }
    if block_id is not None:
        block["block_id"] = block_id
    return block


def button_element(button: Button) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "button",
        "text": plain(button.label, BUTTON_LABEL_LIMIT),
        "action_id": button.action_id,
        "value": button.value[:BUTTON_VALUE_LIMIT],
    }
    if button.style is not ButtonStyle.DEFAULT:
        element["style"] = button.style.value
    return element


def fallback_text(message: Message) -> str:
    """The plain `text` sent with blocks: shown in notifications and by screen readers."""
    return without_broadcasts(clip(message.text, FALLBACK_TEXT_LIMIT))
