"""The commented example frontline.yml that `frontline init` writes."""

from __future__ import annotations

from pathlib import Path

EXAMPLE_CONFIG = """\
# frontline.yml — how Frontline works for your support team.
#
# Every section is optional: leave one out and Frontline uses the default shown here.
# Check your edits with `frontline check-config` before restarting `frontline serve`.
# Secrets (tokens, passwords) never go in this file; they come from environment variables
# such as SLACK_BOT_TOKEN and MICROSOFT_APP_PASSWORD.

# Time zone for business hours, holidays and digest schedules: an IANA name such as
# Europe/Berlin, America/New_York or Asia/Tokyo. Default: UTC.
timezone: UTC

# When clocks run for severities that are not around the clock. Weekdays are written
# mon, tue, wed, thu, fri, sat, sun; times as HH:MM on a 24-hour clock, end after start.
business_hours:
  days: [mon, tue, wed, thu, fri]
  start: "09:00"
  end: "17:00"

# Days off: non-24/7 clocks pause for the whole day. Dates as YYYY-MM-DD.
holidays:
  - 2025-12-25
  - 2026-01-01

# Where the bot posts, per platform (slack, teams, console). Any platform may be left out.
#   escalations    escalation posts, acknowledged in their threads by managers
#   triage         routed themes that no routing rule owns
#   support_leads  the weekly flow digest
channels:
  slack:
    # Slack channel ids (right-click the channel > View channel details > the id at the
    # bottom, e.g. C0123ABCDEF), not #names: ids survive renames. Invite the bot to each.
    escalations: C0123ESCAL
    triage: C0123TRIAGE
    support_leads: C0123LEADS
  teams:
    # Teams channel ids look like 19:abc123…@thread.tacv2 (channel menu > Get link to
    # channel; the id is in the link). Quote them: they contain a colon.
    escalations: "19:escalations0000000000000000@thread.tacv2"
    triage: "19:triage000000000000000000000@thread.tacv2"
    support_leads: "19:supportleads00000000000000@thread.tacv2"
  console:
    # The local console (`frontline console`, `frontline demo`) uses plain names.
    escalations: escalations
    triage: triage
    support_leads: support-leads

# How fast each severity must be acknowledged (ack_within) and how often the customer must
# hear from us while the flag is open (update_every). Durations: 30s, 15m, 4h, 2d, 1h30m.
# around_the_clock: true runs the clocks 24/7; false only during business hours.
# max_nudges: reminders per stage (thread nudge, then DMs to on-duty managers), 0 to 20.
# A severity you leave out (or only partly write) keeps these defaults.
severities:
  high:
    ack_within: 15m
    update_every: 1h
    around_the_clock: true
    max_nudges: 3
  normal:
    ack_within: 1h
    update_every: 4h
    around_the_clock: false
    max_nudges: 2
  low:
    ack_within: 4h
    update_every: 1d
    around_the_clock: false
    max_nudges: 1

# Who is nudged when an escalation waits: `group` is mentioned in the thread, `on_duty`
# people get a direct message. Slack: a user-group id (S0123…) and user ids (U0123…);
# Teams: the group's name and the managers' Azure AD object ids.
managers:
  slack:
    group: S0123MANAGERS
    on_duty: [U0123MARIA, U0456DEV]
  teams:
    group: Support managers
    on_duty: ["00000000-0000-0000-0000-00000000abcd"]
  console:
    group: managers
    on_duty: [maria]

# What acknowledges an escalation in its thread, besides the Acknowledge button:
# a reply made only of one of these words, or one of these reactions on the root message.
# who may acknowledge, snooze, record a customer update or resolve a flag. anyone (the
# default): its reporter, its owner, the on-duty managers above and everyone in the escalation
# channel or in the conversation where the flag was raised. People are trusted: every change
# is on the flag's timeline, and a resolve tells its reporter and its owner. managers narrows
# it to the reporter, the owner and the on-duty managers.
acknowledgement:
  words: [ack, on it, mine]
  reactions: [white_check_mark, eyes]
  who: anyone

# Recurring problems are grouped into themes. A theme is posted once to its owner's
# channel when it reaches the threshold: `flags` flags from at least `distinct` agents
# or customers within `within`. similarity (0 to 1) is how alike a flag's text must be to an
# open theme to join it when no rule matches; higher means stricter.
themes:
  threshold:
    flags: 3
    distinct: 2
    within: 7d
  similarity: 0.5
  # Who may set a theme's status (Acknowledge, Planned, Fixed, Won't fix, Not ours, merge):
  # owner-channel (people in the channel that owns it, and the managers) or anyone.
  who: owner-channel
  # A routed theme that nobody in its channel acknowledged within nudge_after (business
  # time) gets one reminder in its thread. off turns this off.
  nudge_after: 2d
  # An escalation about the same problem as an open one raised within coalesce_within joins
  # it: one post ("3 customers affected") and a thread line per joined flag, instead of a post
  # each; acknowledging the post acknowledges them all. off turns this off.
  coalesce_within: 30m
  rules:
    # A flag whose text has one of the keywords or matches one of the regular expressions
    # joins the theme `name` (lowercase letters, digits and dashes; agents can write
    # #sso-login). Regular expressions are Python's; start one with (?i) to ignore case.
    - name: sso-login
      keywords: [sso, single sign-on, login loop]
      patterns: ['(?i)password (reset|change).*(log ?in|sign.?in)']
      owner:
        slack: C0123IDENTITY
        teams: "19:identity00000000000000000000@thread.tacv2"
        console: identity-team
    - name: eu-card-payments
      keywords: [sepa, 3ds, card declined]
      patterns: ['(?i)\\b(eu|european) cards?\\b']
      owner:
        slack: C0123PAYMENTS
        console: payments-team
      # A rule can have its own threshold: payment problems reach the team sooner.
      threshold:
        flags: 2
        distinct: 2
        within: 3d

# Customer refs in flags (ZD-9912, #4411) become links. Placeholders: {ref} the whole ref,
# {number} its number, {prefix} its letters. `prefixes` gives a template per ticket system,
# overriding url_template for refs with that prefix. Leave out to show refs as plain text.
tickets:
  url_template: https://acme.zendesk.com/agent/tickets/{number}
  prefixes:
    JIRA: https://acme.atlassian.net/browse/{ref}

# When the weekly digests go out, in the time zone above; each reports on the week before
# (Monday to Sunday). The product digest goes to each channel that owns themes (routing rule
# owners, channels themes were moved to, triage), the flow digest to support_leads.
# skip_empty: true sends nothing for a week without flags (default: one line saying so).
# product.channels gives a channel its own day and time. Default: Monday 09:00.
digests:
  product:
    day: mon
    time: "09:00"
    skip_empty: false
    channels:
      C0123PAYMENTS: {day: tue, time: "10:00"}
  flow:
    day: mon
    time: "09:00"

# Only for Teams: who publishes the app. `frontline teams-package` writes these into the app
# package and Teams shows them to everyone who installs it, so they are your organisation's:
# its name (at most 32 characters) and https pages, like https://intranet.acme.com/frontline,
# https://www.acme.com/privacy and https://www.acme.com/terms. Fill them in before packaging,
# or give the options of the same names (--developer-name, --website-url, --privacy-url,
# --terms-of-use-url); the package is not written while one is missing.
teams_app:
  developer_name:
  website_url:
  privacy_url:
  terms_of_use_url:
"""


def write_example(path: Path, *, overwrite: bool = False) -> None:
    """Write the example config to `path`; FileExistsError if it exists and not `overwrite`."""
    with path.open("w" if overwrite else "x", encoding="utf-8") as stream:
        stream.write(EXAMPLE_CONFIG)
