"""The modals: the flag form (from `/flag` or "Flag this message") and the resolve note."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from typing import Any

from adapters.slack.blocks import mrkdwn, plain
from adapters.slack.payloads import ViewSubmission
from adapters.slack.text import clip, escape_typed
from bot.flags.commands import MAX_NOTE_CHARS, ThemeVerb
from bot.flags.models import FlagKind, Severity
from bot.flags.raising import MAX_SUMMARY_CHARS

FLAG_FORM = "flag_form"
RESOLVE_NOTE = "flag_resolve_note"
THEME_STATUS = "theme_status"
VIEW_CALLBACKS = (FLAG_FORM, RESOLVE_NOTE, THEME_STATUS)
INPUT = "value"  # the action id of every input element; block ids name the fields
METADATA_LIMIT = 3000
REFS_LIMIT = 500

_KIND_OPTIONS = {
    FlagKind.RECURRING: ("Recurring problem", "Customers keep hitting it; the product team hears"),
    FlagKind.ESCALATE: ("Escalation", "A customer needs help now; a manager picks it up"),
}
_SEVERITY_OPTIONS = {Severity.HIGH: "High", Severity.NORMAL: "Normal", Severity.LOW: "Low"}


@dataclass(frozen=True, slots=True)
class ModalContext:
    """Where a modal was opened from, carried in its private_metadata to the submission."""

    channel_id: str | None = None
    thread_ts: str | None = None
    message_ts: str | None = None  # the message being flagged, for its permalink
    response_url: str | None = None
    flag_number: int | None = None
    from_home: bool = False
    theme_id: int | None = None  # the theme form: which theme, and which status
    verb: str | None = None

    def encode(self) -> str:
        data = {key: value for key, value in asdict(self).items() if value not in (None, False)}
        encoded = json.dumps(data, separators=(",", ":"))
        if len(encoded) > METADATA_LIMIT:  # a response_url is the only long part; drop it
            data.pop("response_url", None)
            encoded = json.dumps(data, separators=(",", ":"))
        return encoded

    @classmethod
    def decode(cls, text: str) -> ModalContext:
        """The context stored in private_metadata (an empty one when it is unreadable)."""
        try:
            data = json.loads(text) if text else {}
        except ValueError:
            return cls()
        if not isinstance(data, dict):
            return cls()

        def text_of(key: str) -> str | None:
            value = data.get(key)
            return value if isinstance(value, str) and value else None

        number = data.get("flag_number")
        theme = data.get("theme_id")
        return cls(
            channel_id=text_of("channel_id"),
            thread_ts=text_of("thread_ts"),
            message_ts=text_of("message_ts"),
            response_url=text_of("response_url"),
            flag_number=number if isinstance(number, int) and number > 0 else None,
            from_home=data.get("from_home") is True,
            theme_id=theme if isinstance(theme, int) and theme > 0 else None,
            verb=text_of("verb"),
        )


@dataclass(frozen=True, slots=True)
class FlagFormAnswers:
    kind: str
    summary: str
    customer_refs: str
    severity: str


def flag_form(context: ModalContext, *, summary: str = "") -> dict[str, Any]:
    """The flag form; `summary` prefills it (the flagged message's text)."""
    summary_input: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": INPUT,
        "multiline": True,
        "max_length": MAX_SUMMARY_CHARS,
        "placeholder": plain("What happened, in a few words"),
    }
    if summary.strip():
        summary_input["initial_value"] = clip(summary.strip(), MAX_SUMMARY_CHARS)
    blocks: list[dict[str, Any]] = []
    if context.message_ts and context.channel_id:
        about = f"Flagging a message in <#{context.channel_id}>; the flag keeps a link back to it."
        length = len(summary.strip())
        if length > MAX_SUMMARY_CHARS:
            about += (
                f" Its text is {length:,} characters and a summary holds {MAX_SUMMARY_CHARS:,}, "
                "so *What happened* has only its beginning: the link keeps the rest."
            )
        blocks.append({"type": "context", "elements": [mrkdwn(about)]})
    blocks += [
        _input(
            "kind",
            "Kind",
            {
                "type": "radio_buttons",
                "action_id": INPUT,
                "options": [
                    {"text": plain(label), "value": kind.value, "description": plain(about)}
                    for kind, (label, about) in _KIND_OPTIONS.items()
                ],
            },
        ),
        _input("summary", "What happened", summary_input),
        _input(
            "customer_refs",
            "Customer refs",
            {
                "type": "plain_text_input",
                "action_id": INPUT,
                "max_length": REFS_LIMIT,
                "placeholder": plain("ZD-9912, #4411, a ticket URL or customer:acme"),
            },
            optional=True,
            hint="The customers waiting on this; an update clock runs while one is attached.",
        ),
        _input(
            "severity",
            "Severity",
            {
                "type": "static_select",
                "action_id": INPUT,
                "initial_option": _severity_option(Severity.NORMAL),
                "options": [_severity_option(severity) for severity in _SEVERITY_OPTIONS],
            },
        ),
    ]
    return {
        "type": "modal",
        "callback_id": FLAG_FORM,
        "title": plain("Flag an issue", 24),
        "submit": plain("Flag", 24),
        "close": plain("Cancel", 24),
        "private_metadata": context.encode(),
        "blocks": blocks,
    }


def resolve_note_form(context: ModalContext, flag_key: str) -> dict[str, Any]:
    """Asks for an optional note before resolving a flag."""
    return {
        "type": "modal",
        "callback_id": RESOLVE_NOTE,
        "title": plain(f"Resolve {flag_key}", 24),
        "submit": plain("Resolve", 24),
        "close": plain("Cancel", 24),
        "private_metadata": context.encode(),
        "blocks": [
            {
                "type": "section",
                "text": mrkdwn(
                    f"Resolving *{flag_key}*: its clocks stop and the reporter is told."
                ),
            },
            _input(
                "note",
                "Note (optional)",
                {
                    "type": "plain_text_input",
                    "action_id": INPUT,
                    "multiline": True,
                    "max_length": MAX_NOTE_CHARS,
                    "placeholder": plain("What fixed it, or what the customer was told"),
                },
                optional=True,
            ),
        ],
    }


_THEME_FORMS = {
    # verb: (title, submit, what it does, the input's label, optional, multiline)
    ThemeVerb.FIXED: (
        "Fixed",
        "Mark fixed",
        "Every agent who flagged it is told, with their customers.",
        "Release or note (optional)",
        True,
        False,
    ),
    ThemeVerb.WONT_FIX: (
        "Won't fix",
        "Won't fix",
        "Every agent who flagged it gets your reason, "
        "word for word, to pass on to their customers.",
        "Reason",
        False,
        True,
    ),
    ThemeVerb.OWNER: (
        "Not ours",
        "Move it",
        "The theme is posted in the channel you choose; this thread says where it went.",
        "Channel that owns it",
        False,
        False,
    ),
}
THEME_FORM_VERBS = frozenset(_THEME_FORMS)


def theme_status_form(context: ModalContext, verb: ThemeVerb) -> dict[str, Any]:
    """Asks for what a status needs: a release (Fixed), a reason (Won't fix), a channel."""
    title, submit, effect, label, optional, multiline = _THEME_FORMS[verb]
    if verb is ThemeVerb.OWNER:
        element: dict[str, Any] = {
            "type": "conversations_select",
            "action_id": INPUT,
            "filter": {"include": ["public", "private"], "exclude_bot_users": True},
            "placeholder": plain("Pick a channel"),
        }
    else:
        element = {
            "type": "plain_text_input",
            "action_id": INPUT,
            "multiline": multiline,
            "max_length": MAX_NOTE_CHARS,
        }
    return {
        "type": "modal",
        "callback_id": THEME_STATUS,
        "title": plain(title, 24),
        "submit": plain(submit, 24),
        "close": plain("Cancel", 24),
        "private_metadata": replace(context, verb=verb.value).encode(),
        "blocks": [
            {"type": "section", "text": mrkdwn(effect)},
            _input("words", label, element, optional=optional),
        ],
    }


def theme_form_words(submission: ViewSubmission) -> str:
    """What the theme form was given: the release, the reason, or the channel's id."""
    return escape_typed(submission.value("words")).strip()


def flag_form_answers(submission: ViewSubmission) -> FlagFormAnswers:
    """The submitted flag form, escaped like Slack escapes typed text."""
    return FlagFormAnswers(
        kind=submission.value("kind"),
        summary=escape_typed(submission.value("summary")),
        customer_refs=escape_typed(submission.value("customer_refs")),
        severity=submission.value("severity") or Severity.NORMAL.value,
    )


def resolve_note(submission: ViewSubmission) -> str | None:
    return escape_typed(submission.value("note")).strip() or None


def _input(
    block_id: str,
    label: str,
    element: dict[str, Any],
    *,
    optional: bool = False,
    hint: str | None = None,
) -> dict[str, Any]:
    block: dict[str, Any] = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label, 2000),
        "element": element,
        "optional": optional,
    }
    if hint:
        block["hint"] = plain(hint, 2000)
    return block


def _severity_option(severity: Severity) -> dict[str, Any]:
    return {"text": plain(_SEVERITY_OPTIONS[severity]), "value": severity.value}
