"""Slack mrkdwn text: escaping what people typed into modals, clipping to Block Kit limits."""

from __future__ import annotations

import re

# Slack's own markup that may pass through untouched: user and channel mentions and links.
_SLACK_MARKUP = re.compile(
    r"<(?:@[UW][A-Z0-9]+|#C[A-Z0-9]+(?:\|[^<>]*)?|https?://[^\s<>|]+(?:\|[^<>]*)?)>"
)
# Broadcasts (@here, @channel, @everyone) must never be triggered by text an agent typed.
_BROADCAST = re.compile(r"<!(here|channel|everyone)(?:\|[^>]*)?>")
_ENTITIES = (("&amp;", "&"), ("&lt;", "<"), ("&gt;", ">"))


def escape_typed(text: str) -> str:
    """Escape text typed into a modal the way Slack escapes slash-command text.

    Mentions and links kept as Slack markup (`<@U123>`, `<https://…|label>`) stay usable;
    everything else that could be read as markup (`&`, `<`, `>`) is escaped.
    """
    parts: list[str] = []
    position = 0
    for match in _SLACK_MARKUP.finditer(text):
        parts.append(_escape(text[position : match.start()]))
        parts.append(match.group(0))
        position = match.end()
    parts.append(_escape(text[position:]))
    return "".join(parts)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    """Slack-escaped text as a person would type it (for prefilling a modal input)."""
    for entity, char in _ENTITIES:
        text = text.replace(entity, char)
    return text


def without_broadcasts(text: str) -> str:
    """Turn `<!here>`-style broadcasts into plain words so posting the text pings nobody."""
    return _BROADCAST.sub(lambda match: f"@{match.group(1)}", text)


def clip(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, with an ellipsis when it was cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def chunks(text: str, limit: int) -> list[str]:
    """Split text into pieces of at most `limit` characters, at line breaks where possible."""
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                pieces.append(current)
                current = ""
            pieces.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            pieces.append(current)
            current = line
        else:
            current = candidate
    if current or not pieces:
        pieces.append(current)
    return pieces
