"""Reactions by name: emoji characters and Teams reaction types become Slack's short names.

Slack reports a reaction by name (`white_check_mark`), Teams by its own type (`like`, or for
other emoji their code points and a name, `2705_whiteheavycheckmark`), and people
type or paste the character (✅). Comparing them all by one name lets `acknowledgement.reactions`
be written either way and match whichever form arrives.
"""

from __future__ import annotations

import re
import unicodedata

# Presentation selectors (U+FE0E text, U+FE0F emoji) and skin-tone modifiers change how an emoji
# looks, not which one it is.
_LOOKS_ONLY = re.compile("[\ufe0e\ufe0f\U0001f3fb-\U0001f3ff]")
_SLACK_SKIN_TONE = re.compile(r"::skin-tone-\d+$")

# The common reactions, keyed without selectors or skin tones; names as Slack reports them.
NAME_OF_CHARACTER: dict[str, str] = {
    "✅": "white_check_mark",
    "✔": "heavy_check_mark",
    "☑": "ballot_box_with_check",
    "👀": "eyes",
    "👁": "eye",
    "👍": "+1",
    "👎": "-1",
    "👌": "ok_hand",
    "🆗": "ok",
    "🙋": "raising_hand",
    "🙋\u200d♂": "man-raising-hand",
    "🙋\u200d♀": "woman-raising-hand",
    "✋": "hand",
    "🙌": "raised_hands",
    "🙏": "pray",
    "👏": "clap",
    "💪": "muscle",
    "🫡": "saluting_face",
    "🤝": "handshake",
    "👋": "wave",
    "🏃": "runner",
    "🚀": "rocket",
    "🔥": "fire",
    "🚨": "rotating_light",
    "⏳": "hourglass_flowing_sand",
    "🔍": "mag",
    "🛠": "hammer_and_wrench",
    "🐛": "bug",
    "🎉": "tada",
    "💯": "100",
    "❤": "heart",
    "😆": "laughing",
    "😂": "joy",
    "😮": "open_mouth",
    "😢": "cry",
    "😠": "angry",
    "🤔": "thinking_face",
    "🙂": "slightly_smiling_face",
    "😀": "grinning",
}

# Teams' reaction types that are not already Slack's name for the same emoji
# (Teams' `heart` and `angry` are).
_NAME_OF_TEAMS_TYPE = {
    "like": "+1",
    "laugh": "laughing",
    "surprised": "open_mouth",
    "sad": "cry",
}


# Teams' newer reaction types: the emoji's code points in hex, then a name of its own
# (`2705_whiteheavycheckmark` is ✅, `1f440_eyes` is 👀).
_TEAMS_EMOJI_TYPE = re.compile(r"^([0-9a-f]{4,6}(?:-[0-9a-f]{4,6})*)_([a-z0-9]+)$", re.IGNORECASE)


def reaction_name(reaction: str) -> str:
    """The reaction's Slack name: `✅`, `:white_check_mark:`, `white_check_mark` and Teams'
    `2705_whiteheavycheckmark` alike."""
    teams = _TEAMS_EMOJI_TYPE.match(reaction.strip())
    if teams is not None:
        characters = "".join(chr(int(point, 16)) for point in teams.group(1).split("-"))
        known = NAME_OF_CHARACTER.get(_LOOKS_ONLY.sub("", characters))
        return known or teams.group(2).lower()
    text = _SLACK_SKIN_TONE.sub("", reaction.strip().strip(":"))
    bare = _LOOKS_ONLY.sub("", text)
    if bare in NAME_OF_CHARACTER:
        return NAME_OF_CHARACTER[bare]
    name = bare.lower()
    return _NAME_OF_TEAMS_TYPE.get(name, name)


def reaction_shown(reaction: str) -> str:
    """How to show a configured reaction to people: `✅` for `white_check_mark`, else `:name:`."""
    name = reaction_name(reaction)
    character = next((c for c, known in NAME_OF_CHARACTER.items() if known == name), None)
    return character or f":{name}:"


def has_emoji(text: str) -> bool:
    """True when the text holds an emoji character (one `reaction_name` could not name)."""
    return any(unicodedata.category(char) == "So" for char in text)
