"""The words of a new flag: its summary, customer refs, severity and theme tag."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.errors import UsageError
from bot.flags.models import CustomerRef, CustomerRefKind, FlagKind, Severity
from bot.flags.text import TRAILING_PUNCT, clean_text, clip, usage

MAX_SUMMARY_CHARS = 1000

_TICKET = re.compile(r"^[A-Z][A-Z0-9]{1,9}-\d{1,12}$")
_NUMBER = re.compile(r"^#\d{1,12}$")
THEME_TAG = re.compile(r"^#([a-z][a-z0-9_-]{0,59})$", re.IGNORECASE)
_URL = re.compile(r"^<?(https?://[^\s|<>]+)(?:\|[^>]*)?>?$", re.IGNORECASE)
_CUSTOMER = re.compile(r"^customer:(\S{1,100})$", re.IGNORECASE)
_SEVERITY = re.compile(r"^(?:sev|severity):(\S*)$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class RaiseFlag:
    kind: FlagKind
    summary: str
    customer_refs: tuple[CustomerRef, ...] = ()
    severity: Severity = Severity.NORMAL
    theme_slug: str | None = None


def normalise_tag(tag: str) -> str:
    """`#Billing_PDF` and `#billing-pdf` are one tag: `billing-pdf`."""
    return re.sub(r"[-_]+", "-", tag.lower()).strip("-")


TRAILING_JOINERS = ",;:\N{EN DASH}\N{EM DASH}-"
# Only words that lead to a ref, never ones that end a phrasal verb ("log in", "sign on").
LEADS_TO_REF = frozenset("for from about re see ticket customer".split())


def parse_raise(kind: FlagKind, text: str) -> RaiseFlag:
    """Split the words of a new flag into summary, customer refs, severity and theme.

    A recurring flag's first `#theme` tag names its theme; it is taken out of the summary when it
    ends the text, and otherwise stays part of what happened, like every other hashtag. Customer
    refs are taken out where they begin or end the text; in the middle of a sentence ("refund
    stuck for ZD-77 since Monday") they stay in it too, so no words are lost.
    """
    refs: list[CustomerRef] = []
    severity: Severity | None = None
    theme_slug: str | None = None
    words: list[tuple[str, bool, bool]] = []  # (word, is it the theme tag, is it a ref)
    for raw in clean_text(text).split(" "):
        if not raw:
            continue
        token = raw.rstrip(TRAILING_PUNCT) or raw
        sev = _SEVERITY.match(token)
        if sev:
            if severity is not None:
                raise usage(kind.value, "Give the severity once.")
            severity = _severity(kind, sev.group(1))
            continue
        ref = parse_customer_ref(token)
        if ref is not None:
            if ref not in refs:
                refs.append(ref)
            words.append((raw, False, True))
            continue
        theme = THEME_TAG.match(token) if kind is FlagKind.RECURRING else None
        is_theme_tag = theme is not None and theme_slug is None
        if theme and is_theme_tag:
            theme_slug = normalise_tag(theme.group(1))
        words.append((raw, is_theme_tag, False))
    trailing_ref = False
    while words and (words[-1][1] or words[-1][2]):
        trailing_ref = trailing_ref or words[-1][2]
        words.pop()
    # "500 errors for ZD-101": the ref is gone, so is the word that led to it.
    if trailing_ref and len(words) > 1 and words[-1][0].lower() in LEADS_TO_REF:
        words.pop()
    while words and words[0][2]:
        words.pop(0)
    # "SSO loops after reset, ZD-1": the comma went with the ref.
    summary = " ".join(word for word, _, _ in words).strip().rstrip(TRAILING_JOINERS).rstrip()
    if not summary:
        raise usage(kind.value, "Say what happened, in a few words.")
    if len(summary) > MAX_SUMMARY_CHARS:
        raise usage(
            kind.value,
            f"The summary is {len(summary)} characters; keep it under {MAX_SUMMARY_CHARS} "
            "and put the details in the ticket.",
        )
    return RaiseFlag(kind, summary, tuple(refs), severity or Severity.NORMAL, theme_slug)


def parse_customer_ref(token: str) -> CustomerRef | None:
    """A ticket id (`ZD-9912`), ticket number (`#4411`), ticket URL or `customer:acme`."""
    if _TICKET.match(token) and not token.startswith("F-"):
        return CustomerRef(CustomerRefKind.TICKET, token)
    if _NUMBER.match(token):
        return CustomerRef(CustomerRefKind.NUMBER, token)
    url = _URL.match(token)
    if url:
        return CustomerRef(CustomerRefKind.URL, url.group(1))
    customer = _CUSTOMER.match(token)
    if customer:
        return CustomerRef(CustomerRefKind.CUSTOMER, customer.group(1).strip("\"'"))
    return None


def parse_customer_refs(text: str) -> tuple[CustomerRef, ...]:
    """Customer refs from a free-form field (the form's "customer refs" box)."""
    refs: list[CustomerRef] = []
    for raw in clean_text(text).replace(",", " ").split(" "):
        token = raw.rstrip(TRAILING_PUNCT)
        if not token:
            continue
        ref = parse_customer_ref(token)
        if ref is None:
            raise UsageError(
                f"`{clip(token)}` is not a customer ref. Use a ticket id like ZD-9912, "
                "a ticket number like #4411, a ticket URL, or customer:acme."
            )
        if ref not in refs:
            refs.append(ref)
    return tuple(refs)


def parse_severity(text: str) -> Severity:
    """`high`, `normal` or `low` (any case); raise UsageError otherwise."""
    try:
        return Severity(text.strip().lower())
    except ValueError:
        raise UsageError(f"`{clip(text)}` is not a severity; use high, normal or low.") from None


def _severity(kind: FlagKind, value: str) -> Severity:
    try:
        return parse_severity(value)
    except UsageError as error:
        raise usage(kind.value, error.user_message) from None
