"""The typed, frozen shape of frontline.yml; every section is optional and has a usable default."""

from __future__ import annotations

from datetime import date, time
from typing import Any, Literal
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    Field,
    ValidationInfo,
    field_validator,
)

from bot.business_time import BusinessCalendar, Deadlines
from bot.config.digests import DigestsConfig
from bot.config.fields import (
    ClockTime,
    DeveloperName,
    Duration,
    Holiday,
    HttpsPage,
    LowerText,
    PlatformKey,
    Reaction,
    SeverityKey,
    Text,
    TicketPrefix,
    UrlTemplate,
    Weekday,
    describe,
)
from bot.config.section import Section, SectionT, merge_defaults
from bot.config.themes import ThemesConfig
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


class SeverityPolicy(Section):
    """How fast a severity must be acknowledged and the customer updated, and how hard to nudge."""

    ack_within: Duration
    update_every: Duration
    around_the_clock: bool
    max_nudges: int = Field(ge=0, le=20)


class PlatformChannels(Section):
    """Where the bot posts on one platform (channel ids, or names on the console)."""

    escalations: Text | None = None
    triage: Text | None = None
    support_leads: Text | None = None


class ManagerGroup(Section):
    """Who gets nudged when an escalation waits: a group to mention and on-duty people to DM."""

    group: Text | None = None
    on_duty: tuple[Text, ...] = ()


class BusinessHours(Section):
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


class AckPolicy(Section):
    """What counts as a manager acknowledging an escalation in its thread, and who may."""

    words: tuple[LowerText, ...] = ("ack", "on it", "mine")
    reactions: tuple[Reaction, ...] = ("white_check_mark", "eyes")
    who: Literal["anyone", "managers"] = "anyone"


class TicketsConfig(Section):
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


class TeamsAppConfig(Section):
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


class FrontlineConfig(Section):
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
        return merge_defaults(value, DEFAULT_CHANNELS)

    @field_validator("managers", mode="before")
    @classmethod
    def _manager_defaults(cls, value: Any) -> Any:
        return merge_defaults(value, DEFAULT_MANAGERS)

    @field_validator("severities", mode="before")
    @classmethod
    def _severity_defaults(cls, value: Any) -> Any:
        return merge_defaults(value, DEFAULT_SEVERITIES)

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
