"""Checking a flag form field by field before it is submitted, so each problem sits by its field."""

from __future__ import annotations

from bot.errors import UsageError
from bot.flags.models import FlagKind
from bot.flags.raising import parse_customer_refs, parse_raise, parse_severity


def form_problems(*, kind: str, summary: str, customer_refs: str, severity: str) -> dict[str, str]:
    """What is wrong with each field of a flag form, by field name; empty when it is fine.

    The same rules `dispatch.handle_form` applies, without recording anything.
    """
    problems: dict[str, str] = {}
    try:
        flag_kind = FlagKind(kind.strip().lower())
    except ValueError:
        problems["kind"] = "Choose recurring or escalate."
        flag_kind = FlagKind.RECURRING
    try:
        parse_raise(flag_kind, summary)
    except UsageError as error:
        problems["summary"] = _without_usage(error.user_message)
    try:
        parse_customer_refs(customer_refs)
    except UsageError as error:
        problems["customer_refs"] = error.user_message
    try:
        parse_severity(severity or "normal")
    except UsageError as error:
        problems["severity"] = error.user_message
    return problems


def _without_usage(message: str) -> str:
    # The command usage line helps at the prompt; next to a form field it is noise.
    return message.split(" Usage: ", 1)[0]
