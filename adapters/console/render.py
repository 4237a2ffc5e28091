"""Rendering the neutral message markup as plain terminal text."""

from __future__ import annotations

import re

from bot.messages import Message

_LINK = re.compile(r"<(https?://[^|>]+)\|([^>]+)>")
_BARE_LINK = re.compile(r"<(https?://[^|>]+)>")
_MENTION = re.compile(r"<@([^>]+)>")
_CHANNEL = re.compile(r"<#([^>|]+)(?:\|[^>]*)?>")
_DATE = re.compile(r"<!date\^[^<>|]*\|([^<>]*)>")
_BOLD = re.compile(r"\*([^*\n]+)\*")
_ITALIC = re.compile(r"(?<!\w)_([^_\n]+)_(?!\w)")


def plain(text: str) -> str:
    """`<@maria>` → `@maria`, `<url|label>` → `label (url)`, `*bold*` → `bold`, `&amp;` → `&`."""
    text = _ITALIC.sub(r"\1", _BOLD.sub(r"\1", _DATE.sub(r"\1", text)))
    text = _LINK.sub(lambda m: f"{m.group(2)} ({m.group(1)})", text)
    text = _BARE_LINK.sub(lambda m: m.group(1), text)
    text = _MENTION.sub(lambda m: f"@{m.group(1)}", text)
    text = _CHANNEL.sub(lambda m: f"#{m.group(1)}", text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def message_lines(message: Message) -> list[str]:
    """A message as indented lines: text, fields, numbered buttons, footer."""
    lines = plain(message.text).splitlines() or [""]
    lines += [f"{f.label}: {plain(f.value)}" for f in message.fields]
    if message.buttons:
        lines.append("  ".join(f"[{i}] {b.label}" for i, b in enumerate(message.buttons, 1)))
    if message.footer:
        lines.append(plain(message.footer))
    return lines
