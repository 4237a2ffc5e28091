"""The /flag grammar: every text is a command or a specific usage message."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.errors import UsageError
from bot.flags.commands import (
    ListMine,
    ListThemes,
    OpenForm,
    RecordUpdate,
    Resolve,
    ShowFlag,
    ShowHelp,
    ShowStats,
    Snooze,
    parse_command,
)
from bot.flags.models import CustomerRef, CustomerRefKind, FlagKind, Severity
from bot.flags.raising import RaiseFlag, parse_customer_refs
from bot.flags.text import clean_text


def test_escalate_with_ticket_and_severity() -> None:
    command = parse_command("escalate checkout fails for all EU cards ZD-9912 sev:high")
    assert command == RaiseFlag(
        FlagKind.ESCALATE,
        "checkout fails for all EU cards",
        (CustomerRef(CustomerRefKind.TICKET, "ZD-9912"),),
        Severity.HIGH,
    )


def test_recurring_with_every_kind_of_customer_ref_and_theme() -> None:
    command = parse_command(
        "recurring SSO loops after reset, ZD-1201, #4411 customer:acme "
        "<https://help.example.com/tickets/7> #sso-login"
    )
    assert isinstance(command, RaiseFlag)
    assert command.summary == "SSO loops after reset"
    assert [r.kind for r in command.customer_refs] == [
        CustomerRefKind.TICKET,
        CustomerRefKind.NUMBER,
        CustomerRefKind.CUSTOMER,
        CustomerRefKind.URL,
    ]
    assert command.customer_refs[3].value == "https://help.example.com/tickets/7"
    assert command.theme_slug == "sso-login"
    assert command.severity is Severity.NORMAL


def test_a_ref_inside_the_sentence_stays_in_the_summary() -> None:
    command = parse_command("escalate refund stuck for ZD-77 since Monday customer:acme")
    assert isinstance(command, RaiseFlag)
    assert command.summary == "refund stuck for ZD-77 since Monday"
    assert [ref.label for ref in command.customer_refs] == ["ZD-77", "customer:acme"]
    dangling = parse_command("escalate payment page throws 500 errors for ZD-101")
    assert isinstance(dangling, RaiseFlag) and dangling.summary == "payment page throws 500 errors"
    leading = parse_command("escalate ZD-5 #88 checkout broken again")
    assert isinstance(leading, RaiseFlag) and leading.summary == "checkout broken again"


def test_duplicate_refs_are_kept_once() -> None:
    command = parse_command("recurring login broken ZD-1 ZD-1")
    assert isinstance(command, RaiseFlag)
    assert len(command.customer_refs) == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", OpenForm()),
        ("   ", OpenForm()),
        ("help", ShowHelp()),
        ("HELP", ShowHelp()),
        ("mine", ListMine()),
        ("themes", ListThemes()),
        ("stats", ShowStats()),
        ("update F-12", RecordUpdate(12, None)),
        ("update f12 told them ETA friday", RecordUpdate(12, "told them ETA friday")),
        ("resolve F-3 fixed in 4.2", Resolve(3, "fixed in 4.2")),
        ("resolve F-3", Resolve(3, None)),
        ("snooze F-7 2h", Snooze(7, timedelta(hours=2))),
        ("snooze F-7 1h30m", Snooze(7, timedelta(minutes=90))),
        ("show F-40", ShowFlag(40)),
        (
            "esc payments down sev:low",
            RaiseFlag(FlagKind.ESCALATE, "payments down", (), Severity.LOW),
        ),
    ],
)
def test_subcommands(text: str, expected: object) -> None:
    assert parse_command(text) == expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("frob", "`frob` is not a /flag command"),
        ("escalat payments down", "Did you mean `escalate`?"),
        ("escalate", "Say what happened"),
        ("recurring ZD-12 sev:high", "Say what happened"),
        ("escalate x sev:urgent", "`urgent` is not a severity"),
        ("escalate x sev:high sev:low", "Give the severity once"),
        ("update", "Say which flag"),
        ("resolve twelve", "`twelve` is not a flag id"),
        ("show F-1 extra", "takes only a flag id"),
        ("snooze F-1", "Say for how long, from 1m to 14d. Usage:"),
        ("snooze F-1 forever", "`forever` is not a duration; snooze for 1m to 14d. Usage:"),
        ("snooze F-1 0m", "A snooze of `0m` holds nothing; snooze for 1m to 14d. Usage:"),
        ("snooze F-1 30s", "`30s` is shorter than a minute; snooze for 1m to 14d. Usage:"),
        ("move F-1", "Usage: `/flag move F-12 #tag|new`"),
        ("snooze F-1 30d", "at most 14d"),
        ("mine please", "takes no arguments"),
        ("escalate " + "x" * 1200, "keep it under 1000"),
        ("x" * 5000, "keep it under 4000"),
    ],
)
def test_usage_errors_are_specific(text: str, fragment: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_command(text)
    assert fragment in caught.value.user_message


def test_usage_error_shows_the_usage_line() -> None:
    with pytest.raises(UsageError) as caught:
        parse_command("snooze F-1")
    assert "Usage: `/flag snooze F-12" in caught.value.user_message


def test_odd_unicode_is_cleaned() -> None:
    command = parse_command("recurring\u200b caf\u0065\u0301 crashes\x00\n on start ZD-5")
    assert isinstance(command, RaiseFlag)
    assert command.summary == "café crashes on start"
    assert clean_text("a\u202eb") == "ab"


def test_form_refs_field_rejects_garbage() -> None:
    assert parse_customer_refs("ZD-1, #2 customer:acme") == (
        CustomerRef(CustomerRefKind.TICKET, "ZD-1"),
        CustomerRef(CustomerRefKind.NUMBER, "#2"),
        CustomerRef(CustomerRefKind.CUSTOMER, "acme"),
    )
    with pytest.raises(UsageError, match="`banana` is not a customer ref"):
        parse_customer_refs("ZD-1 banana")


@given(st.text(max_size=300))
def test_any_text_is_a_command_or_a_usage_error(text: str) -> None:
    try:
        command = parse_command(text)
    except UsageError as error:
        assert error.user_message
    else:
        assert command is not None


@given(
    st.sampled_from(["recurring", "escalate", "update", "resolve", "snooze", "show", "mine"]),
    st.text(max_size=200),
)
def test_any_arguments_to_a_subcommand_parse_or_explain(name: str, rest: str) -> None:
    try:
        command = parse_command(f"{name} {rest}")
    except UsageError as error:
        assert "Usage:" in error.user_message or "not a" in error.user_message
    else:
        if isinstance(command, RaiseFlag):
            assert command.summary.strip() == command.summary and command.summary


def test_hashtags_stay_in_escalations_and_only_the_trailing_theme_tag_is_taken_out() -> None:
    escalation = parse_command("escalate checkout broken for the #enterprise plan ZD-4")
    assert isinstance(escalation, RaiseFlag)
    assert escalation.summary == "checkout broken for the #enterprise plan"
    assert escalation.theme_slug is None
    recurring = parse_command("recurring login fails on #mobile and #web")
    assert isinstance(recurring, RaiseFlag)
    assert recurring.summary == "login fails on #mobile and #web"
    assert recurring.theme_slug == "mobile"
    tagged = parse_command("recurring SSO loops #sso ZD-1 sev:low")
    assert isinstance(tagged, RaiseFlag)
    assert (tagged.summary, tagged.theme_slug) == ("SSO loops", "sso")
