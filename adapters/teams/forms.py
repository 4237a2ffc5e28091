"""The flag form as an Adaptive Card, in a chat or in the "Flag this message" dialog."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from adapters.teams.activities import html_to_text
from adapters.teams.cards import CARD_CONTENT_TYPE, card, text_block
from bot.flags.commands import MAX_COMMAND_CHARS
from bot.flags.raising import MAX_SUMMARY_CHARS

FORM_VERB = "frontline_flag_form"
MESSAGE_ACTION_COMMAND = "flagMessage"
MESSAGE_ACTION_TITLE = "Flag this message"
_SOURCE_LINK = "source_link"
_MAX_REFS_CHARS = 500


@dataclass(frozen=True, slots=True)
class FlagForm:
    """What someone entered in the flag form (or what it is prefilled with)."""

    kind: str = "escalate"
    summary: str = ""
    customer_refs: str = ""
    severity: str = "normal"
    source_link: str | None = None


def read_form(data: Mapping[str, Any]) -> FlagForm:
    """The form's fields from submitted card data; missing or odd values become empty."""

    def field(name: str, default: str, limit: int) -> str:
        value = data.get(name)
        return value[:limit] if isinstance(value, str) else default

    link = data.get(_SOURCE_LINK)
    return FlagForm(
        kind=field("kind", "", 40),
        # Longer than a summary may be, so the core can say exactly how long it was.
        summary=field("summary", "", MAX_COMMAND_CHARS),
        customer_refs=field("customer_refs", "", _MAX_REFS_CHARS),
        severity=field("severity", "normal", 40),
        source_link=link if isinstance(link, str) and link.startswith("https://") else None,
    )


def flag_form_card(
    form: FlagForm | None = None, *, problem: str | None = None, in_dialog: bool = False
) -> dict[str, Any]:
    """The form card: kind, what happened, customer refs, severity (and a problem to fix)."""
    # In a chat it submits with Action.Execute, so the answer replaces the card in place;
    # inside a dialog it submits with Action.Submit, as Teams dialogs require.
    form = form or FlagForm()
    body: list[dict[str, Any]] = []
    if problem:
        warning = text_block(problem)
        warning.update({"color": "Attention", "weight": "Bolder"})
        body.append(warning)
    elif not in_dialog:
        title = text_block("**Flag an issue**")
        title["size"] = "Medium"
        body.append(title)
    body.extend(
        [
            {
                "type": "Input.ChoiceSet",
                "id": "kind",
                "label": "Kind",
                "style": "expanded",
                "value": form.kind if form.kind in ("recurring", "escalate") else "escalate",
                "isRequired": True,
                "errorMessage": "Pick recurring or escalate.",
                "choices": [
                    {"title": "Escalate: a customer needs help now", "value": "escalate"},
                    {"title": "Recurring: customers keep hitting this", "value": "recurring"},
                ],
            },
            {
                "type": "Input.Text",
                "id": "summary",
                "label": "What happened",
                "isMultiline": True,
                "isRequired": True,
                "errorMessage": "Say what happened, in a few words.",
                "maxLength": MAX_SUMMARY_CHARS,
                "value": form.summary[:MAX_SUMMARY_CHARS],
            },
            {
                "type": "Input.Text",
                "id": "customer_refs",
                "label": "Customer refs (optional)",
                "placeholder": "ZD-9912, #4411, a ticket URL, customer:acme",
                "maxLength": _MAX_REFS_CHARS,
                "value": form.customer_refs,
            },
            {
                "type": "Input.ChoiceSet",
                "id": "severity",
                "label": "Severity",
                "value": form.severity if form.severity in ("high", "normal", "low") else "normal",
                "choices": [
                    {"title": "High", "value": "high"},
                    {"title": "Normal", "value": "normal"},
                    {"title": "Low", "value": "low"},
                ],
            },
        ]
    )
    data: dict[str, Any] = {}
    if form.source_link:
        data[_SOURCE_LINK] = form.source_link
    submit: dict[str, Any] = {"title": "Flag it", "style": "positive", "data": data}
    if in_dialog:
        submit["type"] = "Action.Submit"
    else:
        submit.update({"type": "Action.Execute", "verb": FORM_VERB})
    return card(body, [submit])


def form_from_message(payload: Mapping[str, Any]) -> FlagForm:
    """The form prefilled from the message "Flag this message" was used on."""
    body = payload.get("body")
    content = body.get("content") if isinstance(body, dict) else None
    summary = html_to_text(content) if isinstance(content, str) else ""
    link = payload.get("linkToMessage")
    return FlagForm(
        summary=" ".join(summary.split())[:MAX_SUMMARY_CHARS],
        source_link=link if isinstance(link, str) and link.startswith("https://") else None,
    )


def dialog_response(form_card: dict[str, Any]) -> dict[str, Any]:
    """A message extension answer that opens (or keeps open) a dialog showing `form_card`."""
    return {
        "task": {
            "type": "continue",
            "value": {
                "title": MESSAGE_ACTION_TITLE,
                "width": "medium",
                "height": "large",
                "card": {"contentType": CARD_CONTENT_TYPE, "content": form_card},
            },
        }
    }


def dialog_message(text: str) -> dict[str, Any]:
    """A message extension answer that closes the dialog with a short message."""
    return {"task": {"type": "message", "value": text}}
