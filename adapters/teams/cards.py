"""Rendering the core's neutral messages for Teams: markdown text or an Adaptive Card 1.5.

The core's markup becomes Teams markdown: `*bold*` → `**bold**`, `<url|label>` → `[label](url)`
and `<@id>` → `<at>Name</at>` with the mention entity Teams needs to make it a real mention;
`/flag …` reads `flag …`, as Teams has no slash command.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator, Mapping
from typing import Any

from botbuilder.schema import Activity, ActivityTypes, Attachment, ChannelAccount, Mention

from adapters.teams.people import Member
from bot.actions import ActionId
from bot.messages import Button, ButtonStyle, Image, Message

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
CARD_VERSION = "1.5"
RESOLVE_WITH_NOTE = "frontline_resolve_with_note"
NOTE_INPUT = "note"
THEME_WITH_WORDS = "frontline_theme_with_words"
WORDS_INPUT = "words"
# Theme buttons that ask for words first: (input label, required).
_THEME_WORDS = {
    ActionId.THEME_FIXED: ("Release or note (optional)", False),
    ActionId.THEME_WONT_FIX: (
        "Reason, passed on word for word to every agent who flagged it",
        True,
    ),
}
MAX_NOTE_INPUT = 1000
# A card's whole payload must stay under about 28 KB; a digest chart is about 8 KB of PNG.
MAX_IMAGE_CHARS = 20_000
MAX_ALT_CHARS = 1_000
UNKNOWN_NAME = "someone"
# A channel named in a message: Teams has no mention of a channel by id in a card.
CHANNEL_WORDS = "the owning channel"

_MARKUP = re.compile(
    r"<@(?P<user>[^<>|\s]+)>"
    r"|<#(?P<channel>[^<>|\s]+)(?:\|[^<>]*)?>"
    r"|<!date\^[^<>|]*\|(?P<date>[^<>]*)>"
    r"|<(?P<url>https?://[^<>|\s]+)(?:\|(?P<label>[^<>]*))?>"
    r"|(?<![\w*])\*(?=\S)(?P<bold>[^*\n]+?)(?<=\S)\*(?![\w*])"
)
# Teams has no /flag slash command: people type `flag …` (with @Frontline in channels).
_SLASH_FLAG = re.compile(r"(?<![\w/])/flag\b")
_STYLE = {ButtonStyle.PRIMARY: "positive", ButtonStyle.DANGER: "destructive"}


def _texts(message: Message) -> Iterator[str]:
    yield message.text
    for field in message.fields:
        yield field.label
        yield field.value
    if message.footer:
        yield message.footer


def mentioned_user_ids(message: Message) -> set[str]:
    """The user ids `<@id>` mentions in a message refer to (their names are needed to render)."""
    return {
        match.group("user")
        for text in _texts(message)
        for match in _MARKUP.finditer(text)
        if match.group("user")
    }


class TeamsText:
    """Renders markup as Teams markdown, collecting the mention entities the text uses."""

    def __init__(self, members: Mapping[str, Member]) -> None:
        self._members = members
        self._mentions: dict[str, dict[str, Any]] = {}

    @property
    def mention_entities(self) -> list[dict[str, Any]]:
        return list(self._mentions.values())

    def markdown(self, text: str) -> str:
        """The text as Teams markdown (single line breaks doubled, as Teams needs them)."""
        text = _SLASH_FLAG.sub("flag", text)
        return _unescape(_MARKUP.sub(self._markdown_piece, text)).replace("\n", "\n\n")

    def plain(self, text: str) -> str:
        """The text without markup, for places that show plain text only."""
        return _unescape(_MARKUP.sub(self._plain_piece, _SLASH_FLAG.sub("flag", text)))

    def _member(self, user_id: str) -> Member:
        return self._members.get(user_id) or Member(user_id, user_id, UNKNOWN_NAME)

    def _markdown_piece(self, match: re.Match[str]) -> str:
        if match.group("user"):
            member = self._member(match.group("user"))
            tag = f"<at>{member.name}</at>"
            self._mentions[member.teams_id] = {
                "type": "mention",
                "text": tag,
                "mentioned": {"id": member.teams_id, "name": member.name},
            }
            return tag
        if match.group("channel"):
            return CHANNEL_WORDS
        if match.group("url"):
            url = match.group("url").replace("(", "%28").replace(")", "%29")
            label = (match.group("label") or url).replace("[", "(").replace("]", ")")
            return f"[{label}]({url})"
        if match.group("date") is not None:
            return str(match.group("date"))
        return f"**{match.group('bold')}**"

    def _plain_piece(self, match: re.Match[str]) -> str:
        if match.group("user"):
            return self._member(match.group("user")).name
        if match.group("channel"):
            return CHANNEL_WORDS
        if match.group("url"):
            return match.group("label") or match.group("url")
        if match.group("date") is not None:
            return str(match.group("date"))
        return str(match.group("bold"))


def _unescape(text: str) -> str:
    # The neutral markup escapes &, < and > the way Slack does; Teams shows the characters.
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def is_plain(message: Message) -> bool:
    """A one-line message without fields or buttons reads best as an ordinary chat message."""
    return not (
        message.fields or message.buttons or message.footer or message.image or "\n" in message.text
    )


def adaptive_card(message: Message, members: Mapping[str, Member]) -> dict[str, Any]:
    """The message as an Adaptive Card: headline, field rows, footer and action buttons."""
    text = TeamsText(members)
    body: list[dict[str, Any]] = [text_block(text.markdown(message.text))] if message.text else []
    if message.image is not None:
        body.extend(image_blocks(message.image))
    for field in message.fields:
        body.append(
            {
                "type": "ColumnSet",
                "spacing": "Small",
                "columns": [
                    {
                        "type": "Column",
                        "width": "120px",
                        "items": [text_block(f"**{text.markdown(field.label)}**")],
                    },
                    {
                        "type": "Column",
                        "width": "stretch",
                        "items": [text_block(text.markdown(field.value))],
                    },
                ],
            }
        )
    if message.footer:
        footer = text_block(text.markdown(message.footer))
        footer.update({"isSubtle": True, "size": "Small", "spacing": "Medium"})
        body.append(footer)
    return card(body, [button_action(button) for button in message.buttons], text)


def image_blocks(image: Image) -> list[dict[str, Any]]:
    """The picture inside the card, as a data URI (Teams cards hold at most about 28 KB, so a
    larger picture is described in words instead)."""
    title = text_block(f"**{image.title}**")
    encoded = base64.b64encode(image.png).decode("ascii")
    if len(encoded) > MAX_IMAGE_CHARS:
        return [title, text_block(f"_(The chart is too large for a Teams card.)_ {image.alt}")]
    picture = {
        "type": "Image",
        "url": f"data:image/png;base64,{encoded}",
        "altText": image.alt[:MAX_ALT_CHARS],
        "size": "Stretch",
    }
    return [title, picture]


def card(
    body: list[dict[str, Any]], actions: list[dict[str, Any]], text: TeamsText | None = None
) -> dict[str, Any]:
    """An Adaptive Card 1.5 with Teams' full-width layout and the mentions its text uses."""
    content: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": CARD_SCHEMA,
        "version": CARD_VERSION,
        "body": body,
        "msteams": {"width": "Full"},
    }
    if actions:
        content["actions"] = actions
    if text is not None and text.mention_entities:
        content["msteams"]["entities"] = text.mention_entities
    return content


def text_block(markdown: str) -> dict[str, Any]:
    return {"type": "TextBlock", "text": markdown, "wrap": True}


def button_action(button: Button) -> dict[str, Any]:
    """A core button as an Action.Execute; Resolve first asks for an optional note."""
    execute: dict[str, Any] = {
        "type": "Action.Execute",
        "title": button.label,
        "verb": button.action_id,
        "data": {"action_id": button.action_id, "value": button.value},
    }
    if button.style in _STYLE:
        execute["style"] = _STYLE[button.style]
    if button.action_id in _THEME_WORDS:
        return _theme_words_action(button, execute)
    if button.action_id != ActionId.RESOLVE:
        return execute
    execute.update({"verb": RESOLVE_WITH_NOTE, "title": "Resolve"})
    note = {
        "type": "Input.Text",
        "id": NOTE_INPUT,
        "label": "What was done (optional)",
        "isMultiline": True,
        "maxLength": MAX_NOTE_INPUT,
    }
    return {
        "type": "Action.ShowCard",
        "title": button.label,
        "card": {"type": "AdaptiveCard", "body": [note], "actions": [execute]},
    }


def _theme_words_action(button: Button, execute: dict[str, Any]) -> dict[str, Any]:
    """Fixed and Won't fix open a small form on the card: a release, or the reason."""
    label, required = _THEME_WORDS[ActionId(button.action_id)]
    words: dict[str, Any] = {
        "type": "Input.Text",
        "id": WORDS_INPUT,
        "label": label,
        "isMultiline": required,
        "maxLength": MAX_NOTE_INPUT,
    }
    if required:
        words.update({"isRequired": True, "errorMessage": "Give the reason"})
    execute.update({"verb": THEME_WITH_WORDS, "title": button.label})
    return {
        "type": "Action.ShowCard",
        "title": button.label,
        "card": {"type": "AdaptiveCard", "body": [words], "actions": [execute]},
    }


def card_attachment(content: dict[str, Any]) -> Attachment:
    return Attachment(content_type=CARD_CONTENT_TYPE, content=content)


def message_activity(message: Message, members: Mapping[str, Member]) -> Activity:
    """The activity that shows `message` in Teams: markdown text, or a card when it has more."""
    if is_plain(message):
        text = TeamsText(members)
        markdown = text.markdown(message.text)
        return Activity(
            type=ActivityTypes.message,
            text=markdown,
            text_format="markdown",
            entities=[_mention(entity) for entity in text.mention_entities] or None,
        )
    return Activity(
        type=ActivityTypes.message,
        summary=_summary(message, members),
        attachments=[card_attachment(adaptive_card(message, members))],
    )


def _summary(message: Message, members: Mapping[str, Member]) -> str:
    """The line Teams shows in notifications and the activity feed."""
    lines = message.text.splitlines()
    if lines:
        return TeamsText(members).plain(lines[0])[:200]
    return message.image.title[:200] if message.image is not None else ""


def plain_text(message: Message, members: Mapping[str, Member]) -> str:
    """The message as plain text (card action answers show no markdown)."""
    text = TeamsText(members)
    parts = [text.plain(message.text)]
    parts.extend(f"{text.plain(f.label)}: {text.plain(f.value)}" for f in message.fields)
    return "\n".join(parts)


def _mention(entity: dict[str, Any]) -> Mention:
    mentioned = entity["mentioned"]
    return Mention(
        mentioned=ChannelAccount(id=mentioned["id"], name=mentioned["name"]),
        text=entity["text"],
        type="mention",
    )
