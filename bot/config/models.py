"""The typed, frozen shape of frontline.yml; every section is optional and has a usable default."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, time, timedelta
from functools import cached_property
from typing import Any, Literal, TypeVar
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails

from bot.business_time import BusinessCalendar, Deadlines
from bot.config.fields import (
    ClockTime,
    DeveloperName,
    Duration,
    DurationOrOff,
    Holiday,
    HttpsPage,
    LowerText,
    PlatformKey,
    Reaction,
    RegexPattern,
    RuleName,
    SeverityKey,
    Text,
    TicketPrefix,
    UrlTemplate,
    Weekday,
    describe,
    rule_name,
)
from bot.flags.models import CustomerRef, CustomerRefKind, Severity

DEFAULT_SEVERITIES: dict[str, dict[str, Any]] = {
    "high": {"ack_within": "15m", "update_every": "1h", "around_the_clock": True, "max_nudges": 3},
    "normal": {
        "ack_within": "1h",
        "update_every": "4h",
        "around_the_clock": False,
        "max_nudges": 2,
    },
    "low": {"ack_within": "4h", "update_every": "1d", "around_the_clock": False, "max_nudges": 1},
}
# The console is local-only, so its defaults stay in place whatever else is configured:
# `frontline console` and `frontline demo` must always work.
DEFAULT_CHANNELS: dict[str, dict[str, Any]] = {
    "console": {"escalations": "escalations", "triage": "triage", "support_leads": "support-leads"}
}
DEFAULT_MANAGERS: dict[str, dict[str, Any]] = {
    "console": {"group": "managers", "on_duty": ["maria"]}
}


Loc = tuple[str | int, ...]


class _Section(BaseModel):
    """A frontline.yml section: immutable, unknown keys rejected, an empty value means default."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    @model_validator(mode="wrap")
    @classmethod
    def _every_problem(cls, data: Any, handler: ModelWrapValidatorHandler[Any]) -> Any:
        # pydantic runs a check of several keys together only once every key in the section is
        # valid, which would show its problem only after the others are fixed. Checked on the
        # data as written, it is reported in the same run as everything else.
        across = cls._problems_across_keys(data) if isinstance(data, dict) else []
        try:
            section = handler(data)
        except ValidationError as exc:
            if not across:
                raise
            raise _with_problems(cls, exc.errors(include_url=False), across) from None
        if across:
            raise _with_problems(cls, [], across)
        return section

    @classmethod
    def _problems_across_keys(cls, data: dict[Any, Any]) -> list[tuple[Loc, str]]:
        """Problems of several keys together in `data` as written: (key path within, message)."""
        return []

    @model_validator(mode="before")
    @classmethod
    def _empty_means_default(cls, data: Any) -> Any:
        # `business_hours:` with nothing after it parses as None; treat it as "not given".
        if isinstance(data, dict):
            fields = cls.model_fields
            return {
                key: value
                for key, value in data.items()
                if not (value is None and key in fields and not fields[key].is_required())
            }
        return data


def _with_problems(
    section: type[BaseModel], errors: Sequence[Any], problems: list[tuple[Loc, str]]
) -> ValidationError:
    """`errors` (as pydantic lists them) and `problems`, as one ValidationError of `section`.

    Each problem comes after the other errors under the same key, so the list keeps file order.
    """
    details: list[InitErrorDetails] = [
        InitErrorDetails(
            type=error["type"], loc=error["loc"], input=error["input"], ctx=error.get("ctx", {})
        )
        for error in errors
    ]
    for loc, text in problems:
        same_key = [i + 1 for i, d in enumerate(details) if loc and d["loc"][:1] == loc[:1]]
        details.insert(
            same_key[-1] if same_key else len(details),
            InitErrorDetails(
                type="value_error", loc=loc, input=None, ctx={"error": ValueError(text)}
            ),
        )
    return ValidationError.from_exception_data(section.__name__, details)


def _given(data: dict[Any, Any], key: str) -> bool:
    """Whether `key` has a value in `data` as written (an empty one means "not given")."""
    return data.get(key) not in (None, "", [], (), {})


def _merge_defaults(given: Any, defaults: dict[str, dict[str, Any]]) -> Any:
    """Merge a mapping of partial sections key by key over `defaults`; leave anything else."""
    if given is None:
        given = {}
    if not isinstance(given, dict):
        return given
    merged: dict[Any, Any] = {name: dict(values) for name, values in defaults.items()}
    given_as: dict[str, Any] = {}
    for key, value in given.items():
        name = key.strip().lower() if isinstance(key, str) else key
        if name in given_as:
            raise ValueError(f"{name} is given twice, as {given_as[name]!r} and {key!r}; keep one")
        if name in defaults:
            given_as[name] = key
        if name not in defaults:
            merged[key] = value  # validation reports the unknown key
        elif isinstance(value, dict) and isinstance(merged[name], dict):
            given_values = {k: v for k, v in value.items() if v is not None}
            merged[name] = {**merged[name], **given_values}
        elif value is not None:
            merged[name] = value
    return merged


SectionT = TypeVar("SectionT", bound=_Section)


class SeverityPolicy(_Section):
    """How fast a severity must be acknowledged and the customer updated, and how hard to nudge."""

    ack_within: Duration
    update_every: Duration
    around_the_clock: bool
    max_nudges: int = Field(ge=0, le=20)


class PlatformChannels(_Section):
    """Where the bot posts on one platform (channel ids, or names on the console)."""

    escalations: Text | None = None
    triage: Text | None = None
    support_leads: Text | None = None


class ManagerGroup(_Section):
    """Who gets nudged when an escalation waits: a group to mention and on-duty people to DM."""

    group: Text | None = None
    on_duty: tuple[Text, ...] = ()


class BusinessHours(_Section):
    """When non-24/7 clocks run: weekdays (0 = Monday) and a daily window in the time zone."""

    days: tuple[Weekday, ...] = (0, 1, 2, 3, 4)
    start: ClockTime = time(9, 0)
    end: ClockTime = time(17, 0)

    @field_validator("days")
    @classmethod
    def _some_days(cls, days: tuple[int, ...]) -> tuple[int, ...]:
        if not days:
            # No business days would stop every non-24/7 clock for good.
            raise ValueError("give at least one weekday, like [mon, tue, wed, thu, fri]")
        return tuple(sorted(set(days)))

    @field_validator("end")
    @classmethod
    def _end_after_start(cls, end: time, info: ValidationInfo) -> time:
        start = info.data.get("start")
        if isinstance(start, time) and end <= start:
            raise ValueError(
                f"{end:%H:%M} is not after start ({start:%H:%M}); business hours must end later "
                "the same day"
            )
        return end


class AckPolicy(_Section):
    """What counts as a manager acknowledging an escalation in its thread, and who may."""

    words: tuple[LowerText, ...] = ("ack", "on it", "mine")
    reactions: tuple[Reaction, ...] = ("white_check_mark", "eyes")
    who: Literal["anyone", "managers"] = "anyone"


class ThemeThreshold(_Section):
    """When a theme is routed: `flags` flags from `distinct` agents or customers within `within`."""

    flags: int = Field(default=3, ge=1, le=1000)
    distinct: int = Field(default=2, ge=1, le=1000, validate_default=True)
    within: Duration = timedelta(days=7)

    @field_validator("distinct")
    @classmethod
    def _reachable(cls, distinct: int, info: ValidationInfo) -> int:
        flags = info.data.get("flags")
        if isinstance(flags, int) and distinct > flags:
            raise ValueError(
                f"{distinct} distinct agents or customers cannot come from "
                f"{flags} flag{'' if flags == 1 else 's'}: each flag has one agent and usually "
                f"one customer, so `flags: {flags}` would never be the threshold; write "
                f"distinct: {flags} or less, or flags: {distinct} or more"
            )
        return distinct


class RoutingRule(_Section):
    """Flags matching these keywords or patterns belong to theme `name`, owned by `owner`."""

    name: RuleName
    keywords: tuple[Text, ...] = ()
    patterns: tuple[RegexPattern, ...] = ()
    owner: dict[PlatformKey, Text]
    threshold: ThemeThreshold | None = None

    @field_validator("owner")
    @classmethod
    def _some_owner(cls, owner: dict[str, str]) -> dict[str, str]:
        if not owner:
            raise ValueError("give the owning channel for at least one platform, like slack: C0123")
        return owner

    @classmethod
    def _problems_across_keys(cls, data: dict[Any, Any]) -> list[tuple[Loc, str]]:
        if _given(data, "keywords") or _given(data, "patterns"):
            return []
        try:
            rule = f"rule {rule_name(data.get('name'))!r}"
        except ValueError:
            rule = "this rule"
        return [((), f"{rule} matches nothing; give keywords or patterns (or both)")]

    @cached_property
    def compiled_patterns(self) -> tuple[re.Pattern[str], ...]:
        """The patterns, compiled as written (use `(?i)` in a pattern to ignore case)."""
        return tuple(re.compile(pattern) for pattern in self.patterns)

    @cached_property
    def keyword_pattern(self) -> re.Pattern[str] | None:
        if not self.keywords:
            return None
        words = "|".join(re.escape(keyword) for keyword in self.keywords)
        return re.compile(rf"(?<!\w)(?:{words})(?!\w)", re.IGNORECASE)

    def matches(self, text: str) -> bool:
        """One of the keywords as a whole word or phrase (any case), or one of the patterns."""
        keywords = self.keyword_pattern
        if keywords is not None and keywords.search(text):
            return True
        return any(pattern.search(text) for pattern in self.compiled_patterns)


class ThemesConfig(_Section):
    """How recurring flags are grouped into themes and routed to the teams that own them."""

    threshold: ThemeThreshold = Field(default_factory=ThemeThreshold)
    similarity: float = Field(default=0.5, ge=0.0, le=1.0, allow_inf_nan=False)
    rules: tuple[RoutingRule, ...] = ()
    # Who may set a routed theme's status: people in its owner channel, or anyone.
    who: Literal["owner-channel", "anyone"] = "owner-channel"
    # A routed theme nobody acknowledged within this (business time) is nudged once in its
    # thread; off: never.
    nudge_after: DurationOrOff = timedelta(days=2)
    # An escalation like an open one raised this recently joins it (one post); off: never.
    coalesce_within: DurationOrOff = timedelta(minutes=30)

    @classmethod
    def _problems_across_keys(cls, data: dict[Any, Any]) -> list[tuple[Loc, str]]:
        rules = data.get("rules")
        if not isinstance(rules, list | tuple):
            return []
        first_index: dict[str, int] = {}
        problems: list[tuple[Loc, str]] = []
        for index, rule in enumerate(rules):
            written = rule.get("name") if isinstance(rule, dict) else getattr(rule, "name", None)
            try:
                name = rule_name(written)
            except ValueError:
                continue  # the rule's own validation says what is wrong with it
            if name in first_index:
                problems.append(
                    (
                        ("rules", index, "name"),
                        f"{name!r} is already the name of rules[{first_index[name]}]; "
                        "rule names must be unique",
                    )
                )
            first_index.setdefault(name, index)
        return problems

    def rule_for(self, text: str) -> RoutingRule | None:
        """The first rule, in the order written, that the text matches."""
        return next((rule for rule in self.rules if rule.matches(text)), None)

    def rule_named(self, name: str) -> RoutingRule | None:
        return next((rule for rule in self.rules if rule.name == name), None)

    def threshold_for(self, rule: RoutingRule | None) -> ThemeThreshold:
        """The rule's own threshold, else the general one."""
        if rule is not None and rule.threshold is not None:
            return rule.threshold
        return self.threshold


class TicketsConfig(_Section):
    """How customer refs become links: one URL template, optionally one per ticket prefix."""

    url_template: UrlTemplate | None = None
    prefixes: dict[TicketPrefix, UrlTemplate] = Field(default_factory=dict)

    def url_for(self, ref: CustomerRef) -> str | None:
        """The web address of the ticket `ref` points to, or None when there is none."""
        if ref.kind is CustomerRefKind.URL:
            return ref.value if ref.value.startswith(("https://", "http://")) else None
        if ref.kind is CustomerRefKind.CUSTOMER:
            return None
        prefix = ref.prefix or ""
        template = self.prefixes.get(prefix) or self.url_template
        if template is None:
            return None
        number = ref.ticket_number or ""
        full = ref.value if ref.kind is CustomerRefKind.TICKET else number
        return template.format(
            ref=quote(full, safe=""), number=quote(number, safe=""), prefix=quote(prefix, safe="")
        )


class DigestSchedule(_Section):
    """When a weekly digest goes out: a weekday (0 = Monday) and a time in the config time zone."""

    day: Weekday = 0
    time: ClockTime = Field(default_factory=lambda: time(9, 0))


class FlowDigest(DigestSchedule):
    """The flow digest to each platform's support_leads channel."""

    # A week with no flags at all sends nothing instead of a one-line "quiet week".
    skip_empty: bool = False


class ProductDigest(FlowDigest):
    """The product digest to each owner channel; a channel may have a schedule of its own."""

    channels: dict[Text, DigestSchedule] = Field(default_factory=dict)

    def schedule_for(self, channel_id: str) -> DigestSchedule:
        """The channel's own schedule, else this one."""
        return self.channels.get(channel_id) or self


class DigestsConfig(_Section):
    """The schedules of the product digest and the flow digest."""

    product: ProductDigest = Field(default_factory=ProductDigest)
    flow: FlowDigest = Field(default_factory=FlowDigest)


class TeamsAppConfig(_Section):
    """Who publishes the Teams app (`frontline teams-package`): the manifest's `developer`."""

    developer_name: DeveloperName | None = Field(
        default=None,
        description="the name Teams shows as the app's publisher: your organisation's, "
        "at most 32 characters",
    )
    website_url: HttpsPage | None = Field(
        default=None, description="the https page where your people get help with Frontline"
    )
    privacy_url: HttpsPage | None = Field(
        default=None, description="the https address of your organisation's privacy statement"
    )
    terms_of_use_url: HttpsPage | None = Field(
        default=None, description="the https address of your organisation's terms of use"
    )


class FrontlineConfig(_Section):
    """The whole of frontline.yml."""

    timezone: str = "UTC"
    business_hours: BusinessHours = Field(default_factory=BusinessHours)
    holidays: tuple[Holiday, ...] = ()
    channels: dict[PlatformKey, PlatformChannels] = Field(
        default_factory=lambda: _validated_defaults(DEFAULT_CHANNELS, PlatformChannels)
    )
    severities: dict[SeverityKey, SeverityPolicy] = Field(
        default_factory=lambda: {
            Severity(name): SeverityPolicy.model_validate(values)
            for name, values in DEFAULT_SEVERITIES.items()
        }
    )
    managers: dict[PlatformKey, ManagerGroup] = Field(
        default_factory=lambda: _validated_defaults(DEFAULT_MANAGERS, ManagerGroup)
    )
    acknowledgement: AckPolicy = Field(default_factory=AckPolicy)
    themes: ThemesConfig = Field(default_factory=ThemesConfig)
    tickets: TicketsConfig = Field(default_factory=TicketsConfig)
    digests: DigestsConfig = Field(default_factory=DigestsConfig)
    teams_app: TeamsAppConfig = Field(default_factory=TeamsAppConfig)

    @field_validator("timezone", mode="before")
    @classmethod
    def _known_timezone(cls, value: Any) -> str:
        if isinstance(value, str) and value.strip():
            name = value.strip()
            try:
                ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError, OSError, TypeError):
                pass
            else:
                return name
        raise ValueError(
            f"{describe(value)} is not a known time zone; use an IANA name like Europe/Berlin, "
            "America/New_York or UTC"
        )

    @field_validator("holidays")
    @classmethod
    def _sorted_holidays(cls, holidays: tuple[date, ...]) -> tuple[date, ...]:
        return tuple(sorted(set(holidays)))

    @field_validator("channels", mode="before")
    @classmethod
    def _channel_defaults(cls, value: Any) -> Any:
        return _merge_defaults(value, DEFAULT_CHANNELS)

    @field_validator("managers", mode="before")
    @classmethod
    def _manager_defaults(cls, value: Any) -> Any:
        return _merge_defaults(value, DEFAULT_MANAGERS)

    @field_validator("severities", mode="before")
    @classmethod
    def _severity_defaults(cls, value: Any) -> Any:
        return _merge_defaults(value, DEFAULT_SEVERITIES)

    @property
    def tz(self) -> ZoneInfo:
        """The configured time zone, for business hours, digests and local times."""
        return ZoneInfo(self.timezone)

    def severity(self, sev: Severity) -> SeverityPolicy:
        """The policy of severity `sev` (all three are always configured)."""
        return self.severities[sev]

    @property
    def calendar(self) -> BusinessCalendar:
        """Business hours and holidays in the configured time zone."""
        hours = self.business_hours
        return BusinessCalendar(
            self.tz, frozenset(hours.days), hours.start, hours.end, frozenset(self.holidays)
        )

    def deadlines(self, sev: Severity) -> Deadlines:
        """Deadline arithmetic for severity `sev`: 24/7, or business time."""
        return Deadlines(self.calendar, self.severity(sev).around_the_clock)

    def channels_for(self, platform: str) -> PlatformChannels:
        """The channels configured for `platform`; none when it has no entry."""
        return self.channels.get(platform) or PlatformChannels()

    def managers_for(self, platform: str) -> ManagerGroup:
        """The manager group configured for `platform`; nobody when it has no entry."""
        return self.managers.get(platform) or ManagerGroup()


def _validated_defaults(
    defaults: dict[str, dict[str, Any]], section: type[SectionT]
) -> dict[str, SectionT]:
    return {name: section.model_validate(values) for name, values in defaults.items()}
