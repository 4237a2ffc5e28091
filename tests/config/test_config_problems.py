"""Every kind of mistake in frontline.yml is reported with its key path and what to write."""

from __future__ import annotations

import pytest

from bot.config import parse_config
from bot.errors import ConfigError


def problems_of(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, source="frontline.yml")
    assert caught.value.source == "frontline.yml"
    return caught.value.problems


def only_problem(text: str) -> str:
    problems = problems_of(text)
    assert len(problems) == 1, problems
    return problems[0]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "severities:\n  high:\n    ack_within: soon\n",
            "severities.high.ack_within: 'soon' is not a duration; write a number and a unit, "
            "like 30s, 15m, 4h or 2d",
        ),
        (
            "themes:\n  rules:\n"
            "    - {name: a, keywords: [x], owner: {slack: C1}}\n"
            "    - {name: b, patterns: ['('], owner: {slack: C1}}\n",
            "themes.rules[1].patterns[0]: invalid regular expression '(': "
            "missing ), unterminated subpattern at position 0",
        ),
        (
            "channels:\n  slak:\n    escalations: C1\n",
            "channels.slak: unknown platform; expected one of console, slack, teams",
        ),
        (
            "business_hours:\n  days: [mon, tue, funday]\n",
            "business_hours.days[2]: 'funday' is not a weekday; "
            "expected mon, tue, wed, thu, fri, sat or sun",
        ),
    ],
)
def test_the_documented_messages(text: str, expected: str) -> None:
    assert only_problem(text) == expected


@pytest.mark.parametrize(
    ("text", "path", "words"),
    [
        ("timezone: Mars/Olympus\n", "timezone: ", "not a known time zone"),
        ("timezone: 5\n", "timezone: ", "IANA name"),
        ("severities:\n  urgent: {ack_within: 5m}\n", "severities.urgent: ", "unknown severity"),
        ("severities:\n  high: {ack_within: 15}\n", "severities.high.ack_within: ", "no unit"),
        ("severities:\n  low: {max_nudges: 21}\n", "severities.low.max_nudges: ", "at most 20"),
        ("severities:\n  low: {max_nudges: -1}\n", "severities.low.max_nudges: ", "at least 0"),
        ("severities:\n  low: {max_nudges: many}\n", "severities.low.max_nudges: ", "whole number"),
        (
            "severities:\n  low: {around_the_clock: maybe}\n",
            "severities.low.around_the_clock: ",
            "true or false",
        ),
        (
            "severities:\n  low: {speed: fast}\n",
            "severities.low.speed: ",
            "unknown key; expected one of ack_within",
        ),
        ("severities: [high]\n", "severities: ", "expected a mapping"),
        ("business_hours:\n  start: 9am\n", "business_hours.start: ", "HH:MM"),
        (
            "business_hours:\n  start: '17:00'\n  end: '09:00'\n",
            "business_hours.end: ",
            "not after start",
        ),
        ("business_hours:\n  days: []\n", "business_hours.days: ", "at least one weekday"),
        ("business_hours:\n  days: mon\n", "business_hours.days: ", "expected a list"),
        ("holidays: [2025-12-25, christmas]\n", "holidays[1]: ", "YYYY-MM-DD"),
        ("holidays: ['2025-02-30']\n", "holidays[0]: ", "not a date"),
        (
            "channels:\n  slack:\n    escalation: C1\n",
            "channels.slack.escalation: ",
            "did you mean escalations?",
        ),
        ("channels:\n  slack:\n    escalations: ''\n", "channels.slack.escalations: ", "is empty"),
        ('channels:\n  slack:\n    triage: "C1\\u200b"\n', "channels.slack.triage: ", "U+200B"),
        (
            "managers:\n  teams:\n    on_duty: [U1, [U2]]\n",
            "managers.teams.on_duty[1]: ",
            "expected text",
        ),
        ("managers:\n  skype: {group: x}\n", "managers.skype: ", "unknown platform"),
        ("acknowledgement:\n  who: boss\n", "acknowledgement.who: ", "expected anyone or managers"),
        ("acknowledgement:\n  words: [ack, '  ']\n", "acknowledgement.words[1]: ", "is empty"),
        ("themes:\n  similarity: 1.5\n", "themes.similarity: ", "at most 1"),
        ("themes:\n  threshold: {flags: 0}\n", "themes.threshold.flags: ", "at least 1"),
        (
            "themes:\n  threshold: {flags: 1, distinct: 5}\n",
            "themes.threshold.distinct: ",
            "5 distinct agents or customers cannot come from 1 flag",
        ),
        (
            "themes:\n  threshold: {flags: 1}\n",  # distinct keeps its default, 2
            "themes.threshold.distinct: ",
            "write distinct: 1 or less, or flags: 2 or more",
        ),
        (
            "themes:\n  rules:\n    - {name: b, keywords: [x], owner: {slack: C1},\n"
            "       threshold: {flags: 2, distinct: 3}}\n",
            "themes.rules[0].threshold.distinct: ",
            "write distinct: 2 or less, or flags: 3 or more",
        ),
        (
            "themes:\n  threshold: {within: forever}\n",
            "themes.threshold.within: ",
            "not a duration",
        ),
        (
            "themes:\n  treshold: {}\n",
            "themes.treshold: ",
            "unknown key; expected one of coalesce_within, nudge_after, rules, similarity, "
            "threshold, who",
        ),
        (
            "themes:\n  rules:\n    - {name: Billing, keywords: [x], owner: {slack: C1}}\n",
            "themes.rules[0].name: ",
            "lowercase letters",
        ),
        (
            "themes:\n  rules:\n    - {name: b, owner: {slack: C1}}\n",
            "themes.rules[0]: ",
            "give keywords or patterns",
        ),
        (
            "themes:\n  rules:\n    - {name: b, keywords: [x]}\n",
            "themes.rules[0].owner: ",
            "missing",
        ),
        (
            "themes:\n  rules:\n    - {name: b, keywords: [x], owner: {}}\n",
            "themes.rules[0].owner: ",
            "at least one platform",
        ),
        (
            "themes:\n  rules:\n    - {name: b, keywords: [x], owner: {slac: C1}}\n",
            "themes.rules[0].owner.slac: ",
            "unknown platform",
        ),
        (
            "themes:\n  rules:\n"
            "    - {name: b, keywords: [x], owner: {slack: C1}, threshold: {flags: x}}\n",
            "themes.rules[0].threshold.flags: ",
            "whole number",
        ),
        (
            "themes:\n  rules:\n    - {name: b, keywords: [x], owner: {slack: C1}}\n"
            "    - {name: b, keywords: [y], owner: {slack: C2}}\n",
            "themes.rules[1].name: ",
            "already the name of rules[0]",
        ),
        (
            "tickets:\n  url_template: https://t/{id}\n",
            "tickets.url_template: ",
            "unknown placeholder {id}",
        ),
        (
            "tickets:\n  url_template: https://t/{number.real}\n",
            "tickets.url_template: ",
            "unknown placeholder",
        ),
        (
            "tickets:\n  url_template: https://t/{number!r}\n",
            "tickets.url_template: ",
            "unknown placeholder",
        ),
        (
            "tickets:\n  url_template: https://t/{}\n",
            "tickets.url_template: ",
            "unknown placeholder",
        ),
        (
            "tickets:\n  url_template: 'https://t/{number'\n",
            "tickets.url_template: ",
            "unbalanced braces",
        ),
        (
            "tickets:\n  url_template: javascript:alert(1)\n",
            "tickets.url_template: ",
            "not a web address",
        ),
        (
            "tickets:\n  prefixes: {ZD: 'https://t/{nr}'}\n",
            "tickets.prefixes.ZD: ",
            "unknown placeholder {nr}",
        ),
        (
            "tickets:\n  prefixes: {'Z D': 'https://t/{ref}'}\n",
            "tickets.prefixes['Z D']: ",
            "not a ticket prefix",
        ),
        ("digests:\n  product: {day: someday}\n", "digests.product.day: ", "not a weekday"),
        ("digests:\n  flow: {time: '25:00'}\n", "digests.flow.time: ", "HH:MM"),
        ("digest:\n  flow: {}\n", "digest: ", "did you mean digests?"),
        ("teams_app:\n  developer_name: " + "x" * 33 + "\n", "teams_app.developer_name: ", "32"),
        (
            "teams_app:\n  privacy_url: http://acme.com/privacy\n",
            "teams_app.privacy_url: ",
            "not an https web address",
        ),
        (
            "teams_app:\n  terms_of_use_url: https://www.example.com/terms\n",
            "teams_app.terms_of_use_url: ",
            "is an example address",
        ),
    ],
)
def test_each_mistake_is_reported_at_its_key_path(text: str, path: str, words: str) -> None:
    problem = only_problem(text)

    assert problem.startswith(path), problem
    assert words in problem, problem
    assert "Input should be" not in problem


def test_every_problem_is_reported_at_once() -> None:
    text = (
        "timezone: Nowhere/Town\n"
        "business_hours:\n  days: [mon, funday]\n"
        "severities:\n  high:\n    ack_within: soon\n"
        "channels:\n  slak: {escalations: C1}\n"
        "themes:\n  rules:\n    - {name: x, patterns: ['['], owner: {slack: C1}}\n"
    )

    problems = problems_of(text)

    assert [problem.split(":")[0] for problem in problems] == [
        "timezone",
        "business_hours.days[1]",
        "channels.slak",
        "severities.high.ack_within",
        "themes.rules[0].patterns[0]",
    ]
    with pytest.raises(ConfigError, match=r"has 5 problem"):
        parse_config(text)


def test_problems_that_used_to_hide_each_other_are_reported_in_one_run() -> None:
    text = (
        "holidays: [2025-12-25, 2025-13-45]\n"
        "digests:\n  product: {day: someday}\n"
        "themes:\n  rules:\n"
        "    - {name: sso, keywords: [sso], owner: {slack: C1}}\n"
        "    - {name: sso, keywords: [login], owner: {slack: C2}}\n"
        "    - {name: billing, owner: {slack: C3}}\n"
        "    - {name: refunds, keywords: [refund], owner: {slack: [C4]}}\n"
    )

    problems = problems_of(text)

    assert sorted(problem.split(": ")[0] for problem in problems) == [
        "digests.product.day",
        "holidays[1]",
        "themes.rules[1].name",
        "themes.rules[2]",
        "themes.rules[3].owner.slack",
    ]
    assert "holidays[1]: '2025-13-45' is not a valid date" in "\n".join(problems)
    assert any("'sso' is already the name of rules[0]" in problem for problem in problems)
    assert any("rule 'billing' matches nothing" in problem for problem in problems)


def test_a_rule_that_matches_nothing_is_reported_beside_its_other_problems() -> None:
    problems = problems_of("themes:\n  rules:\n    - {name: Bad Name, owner: {}}\n")

    assert problems == [
        "themes.rules[0].name: 'Bad Name' is not a rule name; use lowercase letters, digits and "
        "dashes (at most 64), like sso-login",
        "themes.rules[0].owner: give the owning channel for at least one platform, like slack: "
        "C0123",
        "themes.rules[0]: this rule matches nothing; give keywords or patterns (or both)",
    ]


SLACK_ID_PROBLEM = (
    "is not a Slack channel id; Slack needs the id, not the name: open the channel's details "
    "in Slack (click its name at the top) and copy the Channel ID shown at the bottom, like "
    "C0123ABCD"
)


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("channels:\n  slack:\n    escalations: '#escalations'\n", "channels.slack.escalations"),
        ("channels:\n  slack:\n    triage: product-triage\n", "channels.slack.triage"),
        ("channels:\n  Slack:\n    support_leads: c0123abcd\n", "channels.Slack.support_leads"),
        (
            "themes:\n  rules:\n    - {name: sso, keywords: [sso], owner: {slack: '#identity'}}\n",
            "themes.rules[0].owner.slack",
        ),
    ],
)
def test_a_slack_channel_written_as_a_name_is_a_problem(text: str, path: str) -> None:
    problem = only_problem(text)

    assert problem.startswith(f"{path}: ")
    assert problem.endswith(SLACK_ID_PROBLEM)


def test_slack_ids_console_names_and_teams_ids_are_fine() -> None:
    config = parse_config(
        "channels:\n"
        "  slack: {escalations: C0ESCALAT1, triage: G0123ABCD, support_leads: D0123ABCD}\n"
        "  console: {escalations: escalations}\n"
        "  teams: {escalations: '19:abc@thread.tacv2'}\n"
        "themes:\n  rules:\n"
        "    - name: sso\n      keywords: [sso]\n"
        "      owner: {slack: C0123IDENTITY, console: identity-team, teams: '19:x@thread.tacv2'}\n"
    )

    assert config.channels_for("slack").triage == "G0123ABCD"
    assert config.themes.rules[0].owner["console"] == "identity-team"


def test_an_unknown_key_does_not_also_report_its_contents() -> None:
    problems = problems_of("severities:\n  urgent:\n    ack_within: whenever\n")

    assert problems == ["severities.urgent: unknown severity; expected one of high, normal, low"]


def test_yaml_syntax_errors_name_line_and_column() -> None:
    problem = only_problem("timezone: UTC\nchannels:\n  slack: [C1\n")

    assert problem.startswith("line 4, column 1: YAML syntax error:"), problem


def test_tabs_get_a_hint() -> None:
    problem = only_problem("channels:\n\tslack: {}\n")

    assert problem.startswith("line 2, column 1: ")
    assert "spaces, not tabs" in problem


@pytest.mark.parametrize(
    ("text", "found"),
    [("- timezone: UTC\n", "a list"), ("just words\n", "'just words'"), ("42\n", "42")],
)
def test_a_top_level_that_is_not_a_mapping(text: str, found: str) -> None:
    problem = only_problem(text)

    assert problem.startswith("(top level): expected a mapping of sections")
    assert problem.endswith(f"found {found}")


def test_duplicate_keys_are_problems_not_silently_overridden() -> None:
    problem = only_problem("severities:\n  high:\n    ack_within: 5m\n    ack_within: 1h\n")

    assert problem.startswith("line 4, column 5: the key 'ack_within' appears twice")


def test_merge_keys_are_not_duplicates() -> None:
    text = (
        "themes:\n  rules:\n"
        "    - &base {name: a, keywords: [x], owner: {slack: C1}}\n"
        "    - {<<: *base, name: b}\n"
    )

    assert [rule.name for rule in parse_config(text).themes.rules] == ["a", "b"]


@pytest.mark.parametrize(
    ("text", "expected_start"),
    [
        ("holidays: [2025-13-45]\n", "holidays[0]: '2025-13-45' is not a valid date"),
        (
            "severities:\n  low: {max_nudges: !!int lots}\n",
            "severities.low.max_nudges: 'lots' is not a whole number",
        ),
        ("timezone: \x00\n", "line 1, column 11: the character U+0000 is not allowed in YAML"),
        (
            "x: !!python/object:os.system {}\n",
            "line 1, column 4: could not determine a constructor",
        ),
        ("[" * 5000, "the YAML is nested too deeply"),
    ],
)
def test_unreadable_yaml_values_are_problems(text: str, expected_start: str) -> None:
    assert only_problem(text).startswith(expected_start)


def test_odd_unicode_in_keys_is_shown_escaped() -> None:
    problem = only_problem('channels:\n  "sla\\u202eck": {}\n')

    assert problem.startswith("channels['sla\\u202eck']: unknown platform"), problem


def test_a_file_over_one_mebibyte_is_refused_without_parsing() -> None:
    problem = only_problem("#" * (1024 * 1024 + 1))

    assert "at most 1,048,576 bytes" in problem
