"""How flags read in chat: the escalation post, one-line summaries and the timeline."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo

from bot.actions import ActionId
from bot.config.models import FrontlineConfig, TicketsConfig
from bot.durations import after, ago, format_duration, span
from bot.flags.models import (
    CustomerRef,
    CustomerRefKind,
    EventKind,
    Flag,
    FlagKind,
    FlagStatus,
    Severity,
    TimelineEvent,
)
from bot.flags.text import USAGE
from bot.messages import Button, ButtonStyle, Field, Message
from bot.reactions import reaction_shown
from bot.silence.wording import due_words, local_time, standing_words

__all__ = ["local_time"]  # re-exported: where flags' times are formatted

SEVERITY_LABEL = {Severity.HIGH: "🔴 high", Severity.NORMAL: "🟠 normal", Severity.LOW: "⚪ low"}
KIND_WORD = {FlagKind.ESCALATE: "Escalation", FlagKind.RECURRING: "Recurring problem"}


def customer_refs_text(refs: Sequence[CustomerRef], tickets: TicketsConfig) -> str:
    """Customer refs, each linked to its ticket when a URL template is configured.

    A customer named with `customer:acme` reads "acme"; a ticket URL is shown once, as a link.
    """
    parts = []
    for ref in refs:
        url = tickets.url_for(ref)
        if ref.kind is CustomerRefKind.CUSTOMER:
            parts.append(ref.value)
        elif url == ref.value:
            parts.append(f"<{url}>")
        else:
            parts.append(f"<{url}|{ref.label}>" if url else ref.label)
    return ", ".join(parts) if parts else "none"


def live_time(at: datetime, tz: tzinfo) -> str:
    """A time that stays true after posting: Slack renders "… 6 minutes ago" for each reader."""
    epoch = int(at.timestamp())
    return f"<!date^{epoch}^{{date_short_pretty}} {{time}} ({{ago}})|{local_time(at, tz)}>"


def status_line(flag: Flag) -> str:
    """One line saying where the flag stands and who owns it."""
    if flag.status is FlagStatus.RESOLVED and flag.resolved_at and flag.resolved_by:
        took = after(flag.resolved_at - flag.created_at)
        note = f": {flag.resolution_note}" if flag.resolution_note else ""
        return f"✔️ Resolved by {flag.resolved_by.mention} {took}{note}"
    if flag.acknowledged_by and flag.acknowledged_at:
        took = after(flag.acknowledged_at - flag.created_at)
        return f"✅ Acknowledged by {flag.acknowledged_by.mention} {took}"
    if flag.kind is FlagKind.ESCALATE:
        return "⏳ Waiting for acknowledgement"
    return "Open"


def escalation_post(
    flag: Flag, now: datetime, config: FrontlineConfig, *, affected: int | None = None
) -> Message:
    """The escalation as posted (and later updated in place) in the escalation channel.

    `affected`: customers affected across a burst of escalations joined to this one.
    """
    headline = f"*{flag.key} · Escalation:* {flag.summary}"
    if affected is not None:
        reports = flag.joined_count + 1
        headline += f"\n*{affected} customers affected* ({reports} escalations, see the thread)"
    fields = [
        Field("Reporter", flag.reporter.mention),
        Field("Customer", customer_refs_text(flag.customer_refs, config.tickets)),
        Field("Severity", SEVERITY_LABEL[flag.severity]),
        Field("Raised", live_time(flag.created_at, config.tz)),
        Field("Status", status_line(flag)),
    ]
    fields.extend(_deadline_fields(flag, now, config))
    return Message(
        text=headline,
        fields=tuple(fields),
        buttons=flag_buttons(flag),
        footer=_post_footer(flag, config),
    )


UPDATE_CLOCK = "Customer update"  # the clock a snooze holds


def _running_clocks(flag: Flag) -> list[tuple[str, datetime]]:
    """The flag's clocks that still run: (which, when due)."""
    if not flag.is_open:
        return []
    clocks = []
    if flag.ack_due_at and flag.acknowledged_by is None and flag.kind is FlagKind.ESCALATE:
        clocks.append(("Acknowledgement", flag.ack_due_at))
    if flag.update_due_at:
        clocks.append((UPDATE_CLOCK, flag.update_due_at))
    return clocks


def _snoozed(flag: Flag, now: datetime, config: FrontlineConfig) -> str | None:
    if flag.snoozed_until and flag.snoozed_until > now:
        return f"snoozed until {local_time(flag.snoozed_until, config.tz)}"
    return None


def _deadline_fields(flag: Flag, now: datetime, config: FrontlineConfig) -> list[Field]:
    """The post's clocks, in words that stay true until the post is next updated."""
    fields = []
    for name, due in _running_clocks(flag):
        words = standing_words(due, now, config.tz)
        snoozed = _snoozed(flag, now, config) if name == UPDATE_CLOCK else None
        fields.append(Field(name, f"{words} · {snoozed}" if snoozed else words))
    return fields


def _post_footer(flag: Flag, config: FrontlineConfig) -> str:
    timeline = f"Timeline: `/flag show {flag.key}`"
    if flag.is_open and flag.acknowledged_by is None:
        return f"{_ways_to_acknowledge(config)} {timeline}"
    return timeline


def _ways_to_acknowledge(config: FrontlineConfig) -> str:
    """`To acknowledge: press *Acknowledge*, reply `ack` or `on it`, or react ✅.`, as set up."""
    ways = ["press *Acknowledge*"]
    words = config.acknowledgement.words[:2]
    if words:
        ways.append("reply " + " or ".join(f"`{word}`" for word in words))
    reactions = config.acknowledgement.reactions[:1]
    if reactions:
        ways.append(f"react {reaction_shown(reactions[0])}")
    listed = ", ".join(ways[:-1]) + f", or {ways[-1]}" if len(ways) > 1 else ways[0]
    return f"To acknowledge: {listed}."


def flag_buttons(flag: Flag) -> tuple[Button, ...]:
    """The actions that make sense for the flag as it stands."""
    if not flag.is_open:
        return ()
    value = str(flag.number)
    buttons = []
    if flag.acknowledged_by is None and flag.kind is FlagKind.ESCALATE:
        buttons.append(Button("Acknowledge", ActionId.ACKNOWLEDGE, value, ButtonStyle.PRIMARY))
    if flag.has_customer:
        buttons.append(Button("Customer updated", ActionId.CUSTOMER_UPDATED, value))
        buttons.append(Button("Snooze 1h", ActionId.SNOOZE, value))
    buttons.append(Button("Resolve", ActionId.RESOLVE, value, ButtonStyle.DANGER))
    return tuple(buttons)


def flag_line(flag: Flag, now: datetime, config: FrontlineConfig) -> str:
    """A flag in one line, for lists like `/flag mine`."""
    parts = [f"*{flag.key}* {KIND_WORD[flag.kind].lower()}", flag.summary]
    if flag.customer_refs:
        parts.append(customer_refs_text(flag.customer_refs, config.tickets))
    parts.append(status_line(flag))
    parts.extend(deadline_phrases(flag, now, config))
    return " · ".join(parts)


def deadline_phrases(flag: Flag, now: datetime, config: FrontlineConfig) -> list[str]:
    """`acknowledgement due Mon 10:15`, `customer update overdue by 25 min`, as of now."""
    phrases = []
    for name, due in _running_clocks(flag):
        phrase = f"{name.lower()} {due_words(due, now, config.tz)}"
        snoozed = _snoozed(flag, now, config) if name == UPDATE_CLOCK else None
        phrases.append(f"{phrase} ({snoozed})" if snoozed else phrase)
    return phrases


_EVENT_VERB = {
    EventKind.FLAGGED: "flagged",
    EventKind.POSTED: "posted to the escalation channel",
    EventKind.THEMED: "grouped into a theme",
    EventKind.ROUTED: "theme sent to the owning team",
    EventKind.THEME_STATUS: "theme status changed",
    EventKind.ACKNOWLEDGED: "acknowledged",
    EventKind.ACK_REPEATED: "also acknowledged",
    EventKind.CUSTOMER_UPDATED: "customer updated",
    EventKind.ACK_OVERDUE: "acknowledgement overdue",
    EventKind.UPDATE_OVERDUE: "customer update overdue",
    EventKind.REMINDED: "reminded",
    EventKind.NUDGED: "nudged",
    EventKind.SNOOZED: "snoozed",
    EventKind.RESOLVED: "resolved",
    EventKind.REOPENED: "reopened",
    EventKind.JOINED: "joined",
    EventKind.DELIVERY_FAILED: "delivery failed",
}


def timeline_message(
    flag: Flag, events: Sequence[TimelineEvent], now: datetime, config: FrontlineConfig
) -> Message:
    """The flag's end-to-end trail ("staple yourself to the flag"): who did what when, and each
    wait against its target, so it tells at a glance where the flag waited."""
    lines = []
    waits = _Waits(flag, config)
    for event in events:
        who = f" by {event.actor.mention}" if event.actor else ""
        detail = f" — {event.detail}" if event.detail else ""
        wait = waits.after(event)
        wait = f" · _{wait}_" if wait else ""
        lines.append(
            f"`{local_time(event.at, config.tz)}` {_EVENT_VERB[event.kind]}{who}{detail}{wait}"
        )
    if flag.is_open and events:
        lines.append(f"_…open; the last step was {ago(now - events[-1].at)}_")
    fields = [
        Field("Status", status_line(flag)),
        Field("Customer", customer_refs_text(flag.customer_refs, config.tickets)),
    ]
    phrases = deadline_phrases(flag, now, config)
    if phrases:
        fields.append(Field("Clocks", "; ".join(phrases)))
    return Message(
        text=f"*{flag.key} · {KIND_WORD[flag.kind]}:* {flag.summary}\n" + "\n".join(lines),
        fields=tuple(fields),
    )


class _Waits:
    """How long the customer or the flag waited before an event, against the promise."""

    def __init__(self, flag: Flag, config: FrontlineConfig) -> None:
        self._flag = flag
        self._policy = config.severity(flag.severity)
        self._heard = flag.created_at  # when the customer last heard from us
        self._acknowledged = False

    def after(self, event: TimelineEvent) -> str | None:
        flag = self._flag
        if event.kind is EventKind.ACKNOWLEDGED and not self._acknowledged:
            self._acknowledged = True
            target = format_duration(self._policy.ack_within)
            return f"{after(event.at - flag.created_at)} — target {target}"
        if event.kind is EventKind.CUSTOMER_UPDATED and flag.has_customer:
            waited, self._heard = event.at - self._heard, event.at
            promise = format_duration(self._policy.update_every)
            return f"the customer waited {span(waited)} for it — promise {promise}"
        if event.kind is EventKind.RESOLVED:
            return after(event.at - flag.created_at)
        return None


def withheld_line(flag: Flag, config: FrontlineConfig) -> str:
    """A flag for someone who may not read its words: where it stands, not what it says."""
    parts = [f"*{flag.key}* was raised in a conversation you are not in"]
    if flag.acknowledged_by is not None and flag.acknowledged_at is not None:
        when = local_time(flag.acknowledged_at, config.tz)
        parts.append(f"owner {flag.acknowledged_by.mention}, acknowledged {when}")
    elif flag.kind is FlagKind.ESCALATE and flag.is_open:
        parts.append("waiting for acknowledgement")
    if not flag.is_open:
        parts.append("resolved")
    return "; ".join(parts) + "."


def help_message() -> Message:
    """Every `/flag` command with one line on what it does."""
    what = {
        "recurring": "a problem customers keep hitting; grouped into a theme for the product team",
        "escalate": "a customer needs help now; posted to the escalation channel for a manager",
        "update": "you updated the customer: restarts the update clock",
        "resolve": "close the flag: clocks stop, the post is updated, the reporter is told",
        "snooze": "hold the customer update reminders for a while",
        "show": "the flag's timeline: who did what when, and where it waited",
        "mine": "your open flags and when their customers are next due an update",
        "themes": "the recurring themes and how often they were flagged this week",
        "move": "your recurring flag is in the wrong theme: move it, or start a new one",
        "theme": "for the owning team: set a routed theme's status, re-route it, merge two",
        "stats": "team-level figures for this week",
        "help": "this list",
    }
    lines = [f"`{USAGE[name]}` — {text}" for name, text in what.items()]
    lines.append(
        "Customer refs: ticket ids like `ZD-9912`, `#4411`, ticket URLs, `customer:acme`. "
        "`/flag` alone opens a form."
    )
    return Message(text="*Frontline — /flag commands*\n" + "\n".join(lines))
