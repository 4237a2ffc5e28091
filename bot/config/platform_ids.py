"""Slack channels in frontline.yml must be written as ids: a `#name` never reaches Slack.

Checked on the file as written, beside validation, so that a name is reported in the same run
as every other problem. Configurations built in code are not checked: only an admin's file is.
"""

from __future__ import annotations

import re
from typing import Any

from bot.config.fields import clean_text, describe

Loc = tuple[str | int, ...]
# Public and private channels (C…, older private ones G…) and direct messages (D…).
SLACK_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]+$")
_CHANNEL_KEYS = ("escalations", "triage", "support_leads")


def slack_channel_problem(value: Any) -> str | None:
    """What is wrong with `value` as a Slack channel id; None when it is one or is not text."""
    try:
        channel = clean_text(value)
    except ValueError:
        return None  # validation says what is wrong with it
    if SLACK_CHANNEL_ID.match(channel):
        return None
    return (
        f"{describe(channel)} is not a Slack channel id; Slack needs the id, not the name: open "
        "the channel's details in Slack (click its name at the top) and copy the Channel ID "
        "shown at the bottom, like C0123ABCD"
    )


def _slack_entry(mapping: Any) -> tuple[Any, Any] | None:
    """The key and value of the `slack` entry of a per-platform mapping, as written."""
    if not isinstance(mapping, dict):
        return None
    for key, value in mapping.items():
        if isinstance(key, str) and key.strip().lower() == "slack":
            return key, value
    return None


def slack_id_problems(document: Any) -> list[tuple[Loc, str]]:
    """Slack channels written as something other than an id: `channels.slack.*`, rule owners."""
    if not isinstance(document, dict):
        return []
    problems: list[tuple[Loc, str]] = []
    slack = _slack_entry(document.get("channels"))
    if slack is not None and isinstance(slack[1], dict):
        for name in _CHANNEL_KEYS:
            problem = slack_channel_problem(slack[1].get(name))
            if problem is not None:
                problems.append((("channels", slack[0], name), problem))
    themes = document.get("themes")
    rules = themes.get("rules") if isinstance(themes, dict) else None
    for index, rule in enumerate(rules if isinstance(rules, list) else []):
        owner = _slack_entry(rule.get("owner")) if isinstance(rule, dict) else None
        problem = slack_channel_problem(owner[1]) if owner is not None else None
        if owner is not None and problem is not None:
            problems.append((("themes", "rules", index, "owner", owner[0]), problem))
    return problems
