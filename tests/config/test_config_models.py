"""Parsing and behaviour of individual sections: severities, hours, tickets, rules."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from bot.config import (
    BusinessHours,
    FrontlineConfig,
    ManagerGroup,
    PlatformChannels,
    RoutingRule,
    TicketsConfig,
    parse_config,
)
from bot.errors import ConfigError
from bot.flags.models import CustomerRef, CustomerRefKind, Severity


def test_a_partial_severity_merges_with_its_defaults() -> None:
    config = parse_config("severities:\n  high:\n    ack_within: 5m\n  Low:\n    max_nudges: 0\n")

    high = config.severity(Severity.HIGH)
    assert high.ack_within == timedelta(minutes=5)
    assert high.update_every == timedelta(hours=1)
    assert high.around_the_clock is True
    assert high.max_nudges == 3
    low = config.severity(Severity.LOW)
    assert low.max_nudges == 0
    assert low.ack_within == timedelta(hours=4)
    assert config.severity(Severity.NORMAL) == FrontlineConfig().severity(Severity.NORMAL)
    assert set(config.severities) == set(Severity)


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("30s", timedelta(seconds=30)),
        ("15m", timedelta(minutes=15)),
        ("4h", timedelta(hours=4)),
        ("2d", timedelta(days=2)),
        ("1h30m", timedelta(hours=1, minutes=30)),
    ],
)
def test_durations_as_people_write_them(written: str, expected: timedelta) -> None:
    config = parse_config(f"severities:\n  normal:\n    update_every: {written}\n")

    assert config.severity(Severity.NORMAL).update_every == expected


def test_business_hours_parse_names_and_times() -> None:
    config = parse_config(
        "timezone: Europe/Berlin\n"
        "business_hours:\n  days: [Sun, MON, wed, mon, friday]\n  start: 8:30\n  end: '18:00'\n"
    )

    hours = config.business_hours
    assert hours.days == (0, 2, 4, 6)  # sorted, duplicates dropped, 0 = Monday
    assert hours.start == time(8, 30)  # unquoted 8:30 stays a time, not YAML 1.1's 510
    assert hours.end == time(18, 0)
    assert config.tz.key == "Europe/Berlin"


def test_business_hours_from_python_values() -> None:
    hours = BusinessHours(days=(5, 6), start=time(10), end=time(14))

    assert hours.days == (5, 6)
    with pytest.raises(ValueError, match="not after start"):
        BusinessHours(start=time(10), end=time(10))


def test_holidays_are_dates_sorted_and_unique() -> None:
    config = parse_config("holidays: [2026-01-01, '2025-12-25', 2026-01-01]\n")

    assert config.holidays == (date(2025, 12, 25), date(2026, 1, 1))


def test_acknowledgement_words_and_reactions_are_normalised() -> None:
    config = parse_config(
        "acknowledgement:\n  words: ['  On It ', MINE]\n  reactions: [':eyes:', Thumbsup]\n"
        "  who: managers\n"
    )

    assert config.acknowledgement.words == ("on it", "mine")
    assert config.acknowledgement.reactions == ("eyes", "thumbsup")
    assert config.acknowledgement.who == "managers"


def test_yaml_1_1_words_and_ids_stay_as_written() -> None:
    config = parse_config(
        "acknowledgement:\n  words: [on, yes, 'no']\n"
        "managers:\n  slack:\n    group: 0123\n    on_duty: [12345, U1]\n"
    )

    assert config.acknowledgement.words == ("on", "yes", "no")
    assert config.managers_for("slack") == ManagerGroup(group="0123", on_duty=("12345", "U1"))


def test_channels_merge_with_the_console_defaults() -> None:
    config = parse_config(
        "channels:\n  slack:\n    escalations: C0123\n  console:\n    triage: bugs\n"
    )

    assert config.channels_for("slack") == PlatformChannels(escalations="C0123")
    assert config.channels_for("console") == PlatformChannels(
        escalations="escalations", triage="bugs", support_leads="support-leads"
    )


def test_managers_for_a_configured_platform() -> None:
    config = parse_config("managers:\n  Slack:\n    group: S0123\n    on_duty: [U1, U2]\n")

    assert config.managers_for("slack") == ManagerGroup(group="S0123", on_duty=("U1", "U2"))
    assert config.managers_for("console").on_duty == ("maria",)


def test_routing_rules_and_their_thresholds() -> None:
    config = parse_config(
        "themes:\n  threshold: {flags: 4}\n  rules:\n"
        "    - name: sso-login\n      keywords: [' sso ']\n      patterns: ['(?i)log ?in loop']\n"
        "      owner: {slack: C1, Teams: 'channel:19'}\n"
        "    - name: billing\n      keywords: [invoice]\n      owner: {console: billing}\n"
        "      threshold: {flags: 2, distinct: 1, within: 3d}\n"
    )

    sso, billing = config.themes.rules
    assert sso.keywords == ("sso",)
    assert sso.owner == {"slack": "C1", "teams": "channel:19"}
    assert sso.compiled_patterns[0].search("stuck in a LOGIN loop")
    assert config.themes.threshold_for(sso).flags == 4
    assert config.themes.threshold_for(sso).distinct == 2  # the rest keeps its defaults
    assert config.themes.threshold_for(billing).within == timedelta(days=3)
    assert config.themes.threshold_for(None).flags == 4


def test_a_rule_needs_keywords_or_patterns() -> None:
    with pytest.raises(ValueError, match="matches nothing"):
        RoutingRule(name="x", owner={"slack": "C1"})


TICKETS = TicketsConfig(
    url_template="https://acme.zendesk.com/agent/tickets/{number}",
    prefixes={"jira": "https://acme.atlassian.net/browse/{ref}?p={prefix}"},
)


@pytest.mark.parametrize(
    ("ref", "url"),
    [
        (
            CustomerRef(CustomerRefKind.TICKET, "ZD-9912"),
            "https://acme.zendesk.com/agent/tickets/9912",
        ),
        (
            CustomerRef(CustomerRefKind.NUMBER, "#4411"),
            "https://acme.zendesk.com/agent/tickets/4411",
        ),
        (
            CustomerRef(CustomerRefKind.TICKET, "JIRA-12"),
            "https://acme.atlassian.net/browse/JIRA-12?p=JIRA",
        ),
        (
            CustomerRef(CustomerRefKind.TICKET, "jira-12"),
            "https://acme.atlassian.net/browse/jira-12?p=JIRA",
        ),
        (
            CustomerRef(CustomerRefKind.URL, "https://support.example.com/tickets/4411"),
            "https://support.example.com/tickets/4411",
        ),
        (CustomerRef(CustomerRefKind.URL, "javascript:alert(1)"), None),
        (CustomerRef(CustomerRefKind.CUSTOMER, "acme"), None),
    ],
)
def test_ticket_urls_for_each_kind_of_ref(ref: CustomerRef, url: str | None) -> None:
    assert TICKETS.url_for(ref) == url


def test_prefixes_are_stored_upper_case() -> None:
    assert set(TICKETS.prefixes) == {"JIRA"}


def test_without_a_template_only_url_refs_link() -> None:
    tickets = TicketsConfig()

    assert tickets.url_for(CustomerRef(CustomerRefKind.TICKET, "ZD-1")) is None
    assert tickets.url_for(CustomerRef(CustomerRefKind.NUMBER, "#1")) is None
    assert tickets.url_for(CustomerRef(CustomerRefKind.URL, "https://t/1")) == "https://t/1"


def test_a_prefix_template_alone_links_only_that_prefix() -> None:
    tickets = parse_config("tickets:\n  prefixes:\n    zd: https://z/{prefix}/{number}\n").tickets

    assert tickets.url_for(CustomerRef(CustomerRefKind.TICKET, "ZD-7")) == "https://z/ZD/7"
    assert tickets.url_for(CustomerRef(CustomerRefKind.TICKET, "JIRA-7")) is None


def test_ref_values_are_escaped_inside_the_url() -> None:
    tickets = TicketsConfig(url_template="https://t/{ref}")

    url = tickets.url_for(CustomerRef(CustomerRefKind.TICKET, "ZD-1/../admin?x=1"))

    assert url == "https://t/ZD-1%2F..%2Fadmin%3Fx%3D1"


def test_digest_schedules() -> None:
    digests = parse_config(
        "digests:\n  product: {day: fri, time: '16:30'}\n  flow: {day: tue}\n"
    ).digests

    assert (digests.product.day, digests.product.time) == (4, time(16, 30))
    assert (digests.flow.day, digests.flow.time) == (1, time(9, 0))


def test_a_severity_given_twice_in_different_case_is_a_problem() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config("severities:\n  high: 5\n  ' High ': {max_nudges: 1}\n")

    assert caught.value.problems == [
        "severities: high is given twice, as 'high' and ' High '; keep one"
    ]


def test_blank_platform_keys_are_refused_not_merged() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config("channels:\n  '': ~\n  \"\\r\": {}\n")

    assert caught.value.problems == [
        "channels['']: unknown platform; expected one of console, slack, teams",
        "channels['\\r']: unknown platform; expected one of console, slack, teams",
    ]
