"""Value types for frontline.yml: durations, weekdays, clock times, names and platform keys.

Each type parses what people write in YAML and raises a ValueError whose message is the problem
as the admin will read it after the key path (see `bot.config.problems`).
"""

from __future__ import annotations

import contextlib
import re
import unicodedata
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from datetime import date, datetime, time, timedelta
from string import Formatter
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import BeforeValidator

from bot.durations import parse_duration
from bot.flags.models import Severity
from bot.reactions import has_emoji, reaction_name

PLATFORMS = ("console", "slack", "teams")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_WEEKDAYS = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)
_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_RULE_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_TICKET_PREFIX = re.compile(r"^[A-Z][A-Z0-9]*$")
MAX_RULE_NAME_LENGTH = 64
MAX_TEXT_LENGTH = 200


class PathProblem(ValueError):
    """A validation problem that belongs to a key below the one being validated."""

    def __init__(self, problems: Iterable[tuple[tuple[str | int, ...], str]]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(message for _, message in self.problems))


class UnreadableValue:
    """A YAML value the reader could not take as written (`2025-13-45`, `!!int lots`).

    The reader keeps going with this in its place, so that validation reports `problem` at the
    value's key path together with every other problem in the file; no field accepts it.
    """

    __slots__ = ("problem", "text")

    def __init__(self, text: str, problem: str) -> None:
        self.text = text
        self.problem = problem

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"UnreadableValue({self.text!r})"


# Set while environment variables are validated: their values may be secrets (a token pasted
# into the wrong variable), so error messages never repeat them.
_VALUES_HIDDEN: ContextVar[bool] = ContextVar("frontline_values_hidden", default=False)
HIDDEN_VALUE = "the value set"


@contextlib.contextmanager
def values_hidden() -> Iterator[None]:
    """While inside, `describe` never shows a value."""
    token = _VALUES_HIDDEN.set(True)
    try:
        yield
    finally:
        _VALUES_HIDDEN.reset(token)


def describe(value: Any) -> str:
    """A short, safe rendering of a YAML value for an error message."""
    if _VALUES_HIDDEN.get():
        return HIDDEN_VALUE
    if value is None:
        return "an empty value"
    if isinstance(value, UnreadableValue):
        value = value.text
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        shown = value if len(value) <= 60 else value[:57] + "..."
        return repr(shown)
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple | set):
        return "a list"
    return f"a {type(value).__name__}"


def _invisible(text: str) -> str | None:
    """The first control or invisible formatting character in `text`, as U+XXXX, if any."""
    for char in text:
        if unicodedata.category(char) in ("Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"):
            return f"U+{ord(char):04X}"
    return None


def clean_text(value: Any) -> str:
    """A non-empty, stripped single-line string; numbers are taken as text (ids like 12345)."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise ValueError(f"expected text, found {describe(value)}")
    text = value.strip()
    if not text:
        raise ValueError("is empty; write a value or remove the key")
    if len(text) > MAX_TEXT_LENGTH:
        raise ValueError(f"is {len(text)} characters long; at most {MAX_TEXT_LENGTH} are allowed")
    hidden = _invisible(text)
    if hidden:
        raise ValueError(
            f"{describe(text)} contains an invisible or control character ({hidden}); retype it"
        )
    return text


def _lower_text(value: Any) -> str:
    return clean_text(value).lower()


def _reaction(value: Any) -> str:
    # People write reactions as Slack shows them (`:eyes:`), as the character (👀) or as Teams
    # names them (`like`); all are kept as the name Slack reports (`eyes`, `+1`). Named before
    # the text is checked: emoji like 🙋‍♀️ hold an invisible joiner.
    name = reaction_name(value) if isinstance(value, str) else ""
    if has_emoji(name):
        raise ValueError(
            f"{describe(value)} is an emoji Frontline cannot name; write its name, like eyes"
        )
    name = clean_text(name or value).strip(":").lower()
    if not name:
        raise ValueError(f"{describe(value)} is not a reaction name; write it like eyes")
    return name


def _duration(value: Any) -> timedelta:
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError(
            f"{value!r} has no unit; write a number and a unit, like 30s, 15m, 4h or 2d"
        )
    if not isinstance(value, str):
        raise ValueError(
            f"{describe(value)} is not a duration; "
            "write a number and a unit, like 30s, 15m, 4h or 2d"
        )
    return parse_duration(value)


def _duration_or_off(value: Any) -> timedelta | None:
    """A duration, or `off` (YAML's `off` and `false` arrive as False) for "never"."""
    if value is False or (isinstance(value, str) and value.strip().lower() in ("off", "never")):
        return None
    try:
        return _duration(value)
    except ValueError as exc:
        raise ValueError(f"{exc}, or off") from None


def _weekday(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 6:
        return value  # 0 = Monday, as Python's date.weekday()
    if isinstance(value, str):
        name = value.strip().lower()
        if name in WEEKDAYS:
            return WEEKDAYS.index(name)
        if name in _FULL_WEEKDAYS:
            return _FULL_WEEKDAYS.index(name)
    raise ValueError(
        f"{describe(value)} is not a weekday; expected mon, tue, wed, thu, fri, sat or sun"
    )


def _clock_time(value: Any) -> time:
    if isinstance(value, time):
        return value
    if isinstance(value, str):
        match = _CLOCK.match(value.strip())
        if match:
            return time(int(match.group(1)), int(match.group(2)))
    raise ValueError(
        f"{describe(value)} is not a time of day; write it as HH:MM on a 24-hour clock, like 09:00"
    )


def _platform(value: Any) -> str:
    if isinstance(value, str) and value.strip().lower() in PLATFORMS:
        return value.strip().lower()
    raise ValueError(f"unknown platform; expected one of {', '.join(PLATFORMS)}")


def _severity(value: Any) -> Severity:
    if isinstance(value, Severity):
        return value
    if isinstance(value, str) and value.strip().lower() in {s.value for s in Severity}:
        return Severity(value.strip().lower())
    raise ValueError(f"unknown severity; expected one of {', '.join(s.value for s in Severity)}")


def _holiday(value: Any) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _DATE.match(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"{describe(value)} is not a date; write it as YYYY-MM-DD, like 2025-12-25")


def rule_name(value: Any) -> str:
    """A routing rule's name: lowercase letters, digits and dashes, as agents write `#sso-login`."""
    name = clean_text(value)
    if len(name) > MAX_RULE_NAME_LENGTH or not _RULE_NAME.match(name):
        raise ValueError(
            f"{describe(name)} is not a rule name; use lowercase letters, digits and dashes "
            f"(at most {MAX_RULE_NAME_LENGTH}), like sso-login"
        )
    return name


def _regex(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"expected a regular expression, found {describe(value)}")
    if len(value) > 1000:
        raise ValueError(f"the regular expression is {len(value)} characters; at most 1000")
    try:
        re.compile(value)
    except (re.error, RecursionError, OverflowError, ValueError) as exc:
        raise ValueError(f"invalid regular expression {describe(value)}: {exc}") from None
    return value


def _ticket_prefix(value: Any) -> str:
    prefix = clean_text(value).upper()
    if not _TICKET_PREFIX.match(prefix):
        raise ValueError(
            f"{describe(value)} is not a ticket prefix; write the letters before the dash of a "
            "ticket id, like ZD for ZD-9912"
        )
    return prefix


URL_PLACEHOLDERS = ("ref", "number", "prefix")


def _url_template(value: Any) -> str:
    template = clean_text(value)
    if not template.startswith(("https://", "http://")):
        raise ValueError(
            f"{describe(template)} is not a web address; start it with https://, like "
            "https://acme.zendesk.com/agent/tickets/{number}"
        )
    try:
        fields = [(name, spec, conv) for _, name, spec, conv in Formatter().parse(template)]
    except ValueError as exc:
        raise ValueError(
            f"{describe(template)} has unbalanced braces ({exc}); "
            "write placeholders like {number}"
        ) from None
    for name, spec, conversion in fields:
        if name is None:
            continue
        if name not in URL_PLACEHOLDERS or spec or conversion:
            shown = "{" + name + (f"!{conversion}" if conversion else "")
            shown += (f":{spec}" if spec else "") + "}"
            raise ValueError(
                f"unknown placeholder {shown} in {describe(template)}; "
                "expected {ref}, {number} or {prefix}"
            )
    return template


# Hosts reserved for examples and tests (RFC 2606, RFC 6761): a page there is a placeholder.
_EXAMPLE_DOMAINS = ("example.com", "example.net", "example.org")
_EXAMPLE_TLDS = ("example", "test", "invalid", "localhost")
MAX_DEVELOPER_NAME_LENGTH = 32  # Teams shows no more (app manifest `developer.name`)


def _https_page(value: Any) -> str:
    url = clean_text(value)
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower().rstrip(".")
    except ValueError:
        host = ""
    if not url.lower().startswith("https://") or not host:
        raise ValueError(
            f"{describe(url)} is not an https web address; write the full address of the page, "
            "like https://www.acme.com/privacy"
        )
    if (
        host in _EXAMPLE_DOMAINS
        or host.endswith(tuple(f".{domain}" for domain in _EXAMPLE_DOMAINS))
        or host.rsplit(".", 1)[-1] in _EXAMPLE_TLDS
    ):
        raise ValueError(
            f"{describe(url)} is an example address; write the address of your organisation's page"
        )
    return url


def _developer_name(value: Any) -> str:
    name = clean_text(value)
    if len(name) > MAX_DEVELOPER_NAME_LENGTH:
        raise ValueError(
            f"is {len(name)} characters long; Teams shows at most {MAX_DEVELOPER_NAME_LENGTH}, "
            "so write a shorter name, like your organisation's"
        )
    return name


Duration = Annotated[timedelta, BeforeValidator(_duration)]
DurationOrOff = Annotated[timedelta | None, BeforeValidator(_duration_or_off)]
Weekday = Annotated[int, BeforeValidator(_weekday)]
ClockTime = Annotated[time, BeforeValidator(_clock_time)]
Text = Annotated[str, BeforeValidator(clean_text)]
LowerText = Annotated[str, BeforeValidator(_lower_text)]
Reaction = Annotated[str, BeforeValidator(_reaction)]
PlatformKey = Annotated[str, BeforeValidator(_platform)]
SeverityKey = Annotated[Severity, BeforeValidator(_severity)]
UrlTemplate = Annotated[str, BeforeValidator(_url_template)]
Holiday = Annotated[date, BeforeValidator(_holiday)]
RuleName = Annotated[str, BeforeValidator(rule_name)]
RegexPattern = Annotated[str, BeforeValidator(_regex)]
TicketPrefix = Annotated[str, BeforeValidator(_ticket_prefix)]
HttpsPage = Annotated[str, BeforeValidator(_https_page)]
DeveloperName = Annotated[str, BeforeValidator(_developer_name)]
