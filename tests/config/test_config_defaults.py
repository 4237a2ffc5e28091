"""The configuration with no file, and the example `frontline init` writes."""

from __future__ import annotations

from datetime import time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.config import (
    EXAMPLE_CONFIG,
    FrontlineConfig,
    ManagerGroup,
    PlatformChannels,
    check_config,
    parse_config,
    write_example,
)
from bot.flags.models import CustomerRef, CustomerRefKind, Severity


def test_defaults_are_a_usable_configuration() -> None:
    config = FrontlineConfig()

    assert config.timezone == "UTC"
    assert config.tz == ZoneInfo("UTC")
    assert config.business_hours.days == (0, 1, 2, 3, 4)
    assert (config.business_hours.start, config.business_hours.end) == (time(9), time(17))
    assert config.holidays == ()
    assert config.channels_for("console") == PlatformChannels(
        escalations="escalations", triage="triage", support_leads="support-leads"
    )
    assert config.managers_for("console") == ManagerGroup(group="managers", on_duty=("maria",))
    assert config.acknowledgement.words == ("ack", "on it", "mine")
    assert config.acknowledgement.reactions == ("white_check_mark", "eyes")
    assert config.acknowledgement.who == "anyone"
    assert config.themes.threshold.flags == 3
    assert config.themes.threshold.distinct == 2
    assert config.themes.threshold.within == timedelta(days=7)
    assert config.themes.similarity == 0.5
    assert config.themes.rules == ()
    assert config.tickets.url_template is None
    assert config.tickets.prefixes == {}
    for schedule in (config.digests.product, config.digests.flow):
        assert (schedule.day, schedule.time) == (0, time(9))


@pytest.mark.parametrize(
    ("severity", "ack_within", "update_every", "around_the_clock", "max_nudges"),
    [
        (Severity.HIGH, timedelta(minutes=15), timedelta(hours=1), True, 3),
        (Severity.NORMAL, timedelta(hours=1), timedelta(hours=4), False, 2),
        (Severity.LOW, timedelta(hours=4), timedelta(days=1), False, 1),
    ],
)
def test_default_severities(
    severity: Severity,
    ack_within: timedelta,
    update_every: timedelta,
    around_the_clock: bool,
    max_nudges: int,
) -> None:
    policy = FrontlineConfig().severity(severity)

    assert policy.ack_within == ack_within
    assert policy.update_every == update_every
    assert policy.around_the_clock is around_the_clock
    assert policy.max_nudges == max_nudges


@pytest.mark.parametrize("text", ["", "\n", "# only a comment\n", "---\n", "~\n"])
def test_an_empty_file_gives_the_defaults(text: str) -> None:
    assert parse_config(text) == FrontlineConfig()


def test_empty_sections_mean_their_defaults() -> None:
    text = "business_hours:\nseverities:\n  high:\nthemes:\n  threshold:\ntickets:\n"

    assert parse_config(text) == FrontlineConfig()


def test_platforms_without_an_entry_get_empty_channels_and_managers() -> None:
    config = FrontlineConfig()

    assert config.channels_for("slack") == PlatformChannels()
    assert config.channels_for("slack").escalations is None
    assert config.managers_for("teams") == ManagerGroup()
    assert config.managers_for("teams").on_duty == ()


def test_config_is_frozen() -> None:
    config = FrontlineConfig()

    with pytest.raises(ValueError, match="frozen"):
        config.timezone = "Europe/Berlin"


def test_the_example_loads_without_problems(tmp_path: Path) -> None:
    path = tmp_path / "frontline.yml"
    path.write_text(EXAMPLE_CONFIG, encoding="utf-8")

    assert check_config(path) == []


def test_the_example_shows_the_defaults_where_it_shows_defaults() -> None:
    example = parse_config(EXAMPLE_CONFIG)
    defaults = FrontlineConfig()

    assert example.timezone == defaults.timezone
    assert example.business_hours == defaults.business_hours
    assert example.severities == defaults.severities
    assert example.channels_for("console") == defaults.channels_for("console")
    assert example.managers_for("console") == defaults.managers_for("console")
    assert example.acknowledgement == defaults.acknowledgement
    assert example.themes.threshold == defaults.themes.threshold
    assert example.themes.similarity == defaults.themes.similarity
    # The example shows one channel with its own schedule; the rest are the defaults.
    assert example.digests.flow == defaults.digests.flow
    assert example.digests.product.model_copy(update={"channels": {}}) == defaults.digests.product
    assert set(example.digests.product.channels) == {"C0123PAYMENTS"}


def test_the_example_covers_every_section() -> None:
    example = parse_config(EXAMPLE_CONFIG)

    assert set(example.channels) == {"slack", "teams", "console"}
    assert set(example.managers) == {"slack", "teams", "console"}
    assert example.holidays
    assert [rule.name for rule in example.themes.rules] == ["sso-login", "eu-card-payments"]
    assert example.themes.rules[1].threshold is not None
    assert example.channels_for("teams").escalations is not None
    assert example.channels_for("teams").escalations.startswith("19:")  # type: ignore[union-attr]
    ticket = CustomerRef(CustomerRefKind.TICKET, "ZD-9912")
    assert example.tickets.url_for(ticket) == "https://acme.zendesk.com/agent/tickets/9912"
    for key in FrontlineConfig.model_fields:
        assert f"\n{key}:" in EXAMPLE_CONFIG, key


def test_example_patterns_match_what_they_describe() -> None:
    sso, payments = parse_config(EXAMPLE_CONFIG).themes.rules

    assert sso.compiled_patterns[0].search("Password reset sends them back to log in")
    assert payments.compiled_patterns[0].search("All EU cards are declined")
    assert not payments.compiled_patterns[0].search("Neutral cardsharks")


def test_write_example_writes_and_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "frontline.yml"

    write_example(path)
    assert path.read_text(encoding="utf-8") == EXAMPLE_CONFIG

    path.write_text("timezone: Europe/Berlin\n", encoding="utf-8")
    with pytest.raises(FileExistsError):
        write_example(path)
    assert path.read_text(encoding="utf-8") == "timezone: Europe/Berlin\n"

    write_example(path, overwrite=True)
    assert path.read_text(encoding="utf-8") == EXAMPLE_CONFIG


def _comment_above(section: str) -> str:
    lines = EXAMPLE_CONFIG[: EXAMPLE_CONFIG.index(f"\n{section}:")].splitlines()
    comment: list[str] = []
    for line in reversed(lines):
        if not line.startswith("#"):
            break
        comment.insert(0, line.lstrip("# "))
    return " ".join(comment)


def test_the_example_says_resolving_is_open_by_default_and_managers_narrows_it() -> None:
    comment = _comment_above("acknowledgement")

    # As bot.access decides: `anyone` (the default) lets the people in the escalation channel
    # or where the flag was raised resolve it too; `managers` leaves its reporter, its owner
    # and the on-duty managers.
    assert FrontlineConfig().acknowledgement.who == "anyone"
    assert parse_config(EXAMPLE_CONFIG).acknowledgement.who == "anyone"
    assert "resolve a flag. anyone (the default):" in comment
    assert "everyone in the escalation channel or in the conversation where" in comment
    assert "a resolve tells its reporter and its owner" in comment
    assert "managers narrows it to the reporter, the owner and the on-duty managers" in comment


def test_the_example_leaves_the_teams_publisher_to_fill_in() -> None:
    example = parse_config(EXAMPLE_CONFIG)

    assert example.teams_app == FrontlineConfig().teams_app
    assert example.teams_app.privacy_url is None
    assert "--privacy-url" in _comment_above("teams_app")
