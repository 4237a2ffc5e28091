"""The words of reminders and nudges: to the owner of the promise, and to the managers.

Plain, adult and about the flag: a reminder says what is due and the one step that settles it;
a nudge to managers says which flag waits and since when, never who let it wait.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from bot.actions import ActionId
from bot.config.models import FrontlineConfig
from bot.durations import format_duration
from bot.flags.models import Flag
from bot.flags.rendering import customer_refs_text
from bot.messages import Button, ButtonStyle, Message
from bot.outbox.models import POST_LINK
from bot.silence.ladder import ClockKind
from bot.silence.wording import local_time


@dataclass(frozen=True, slots=True)
class Step:
    """One due step of one flag's ladder, as a message needs it."""

    flag: Flag
    clock: ClockKind
    due: datetime  # the deadline that was missed
    late_since: datetime | None  # set when the step itself is sent late (Frontline was down)
    position: tuple[int, int] = (1, 1)  # nudge n of m in its stage


def late_note(step: Step, tz: tzinfo) -> str:
    if step.late_since is None:
        return ""
    return f"\n_This was due at {local_time(step.late_since, tz)}, while Frontline was down._"


def _customer(flag: Flag, config: FrontlineConfig) -> str:
    return customer_refs_text(flag.customer_refs, config.tickets)


def _update_buttons(flag: Flag, prefix: str = "") -> tuple[Button, ...]:
    value = str(flag.number)
    return (
        Button(f"{prefix}Customer updated", ActionId.CUSTOMER_UPDATED, value, ButtonStyle.PRIMARY),
        Button(f"{prefix}Snooze 1h", ActionId.SNOOZE, value),
    )


def _ack_button(flag: Flag, prefix: str = "") -> tuple[Button, ...]:
    return (
        Button(f"{prefix}Acknowledge", ActionId.ACKNOWLEDGE, str(flag.number), ButtonStyle.PRIMARY),
    )


def _buttons(step: Step, prefix: str = "") -> tuple[Button, ...]:
    """What settles the step: an acknowledgement, or the customer's update (or a snooze)."""
    if step.clock is ClockKind.ACK:
        return _ack_button(step.flag, prefix)
    return _update_buttons(step.flag, prefix)


def owner_reminder(step: Step, config: FrontlineConfig, *, in_thread: bool) -> Message:
    """To the owner of one flag: the customer is due an update."""
    flag, tz = step.flag, config.tz
    since = flag.last_customer_update_at or flag.created_at
    greeting = f"{flag.owner.mention} " if in_thread else ""
    text = (
        f"⏰ {greeting}The customer on *{flag.key}* ({_customer(flag, config)}) has not heard "
        f"from us since {local_time(since, tz)}; an update was due {local_time(step.due, tz)}. "
        f"Update them, then press *Customer updated* (or `/flag update {flag.key}`). "
        "Need more time? *Snooze 1h*, or `/flag snooze "
        f"{flag.key} 4h`.{late_note(step, tz)}"
    )
    return Message(text, buttons=_update_buttons(flag))


def grouped_owner_reminder(steps: Sequence[Step], config: FrontlineConfig) -> Message:
    """To one owner with several customers due an update: one message, not a burst."""
    tz = config.tz
    lines = [
        f"• *{s.flag.key}* {s.flag.summary} ({_customer(s.flag, config)}): update was due "
        f"{local_time(s.due, tz)}"
        for s in steps
    ]
    late = next((s for s in steps if s.late_since is not None), None)
    text = (
        f"⏰ {len(steps)} customers are waiting for an update from you:\n"
        + "\n".join(lines)
        + "\nUpdate each one, then press that flag's *Customer updated* "
        + f"(or `/flag update {steps[0].flag.key}`, and so on)."
        + (late_note(late, tz) if late else "")
    )
    buttons = tuple(b for s in steps for b in _update_buttons(s.flag, f"{s.flag.key}: "))
    return Message(text, buttons=buttons)


def _what_waits(step: Step, config: FrontlineConfig) -> str:
    flag, tz = step.flag, config.tz
    policy = config.severity(flag.severity)
    if step.clock is ClockKind.ACK:
        return (
            f"is still waiting for a manager: it was due to be acknowledged by "
            f"{local_time(step.due, tz)} (target {format_duration(policy.ack_within)})"
        )
    return (
        f"has a customer ({_customer(flag, config)}) due an update since "
        f"{local_time(step.due, tz)} (promise: every {format_duration(policy.update_every)}); "
        "its owner was reminded"
    )


def _count(step: Step) -> str:
    number, of = step.position
    return f" (nudge {number} of {of})" if of > 1 else ""


def thread_nudge(step: Step, group: str | None, config: FrontlineConfig) -> Message:
    """In the flag's thread, for the managers group."""
    flag = step.flag
    who = f"{group} " if group else ""
    ask = "Can someone take it?" if step.clock is ClockKind.ACK else "Can someone help?"
    text = (
        f"⏰ {who}*{flag.key}* {_what_waits(step, config)}. {ask}{_count(step)}"
        f"{late_note(step, config.tz)}"
    )
    return Message(text, buttons=_buttons(step))


def manager_message(steps: Sequence[Step], config: FrontlineConfig) -> Message:
    """A direct message to one on-duty manager, about one flag or several at once."""
    tz = config.tz
    if len(steps) == 1:
        step = steps[0]
        flag = step.flag
        where = f"It is in {POST_LINK}; " if flag.post is not None else ""
        text = (
            f"⏰ *{flag.key}* ({flag.summary}) {_what_waits(step, config)}. {where}"
            f"`/flag show {flag.key}` has its timeline.{_count(step)}"
            f"{late_note(step, tz)}"
        )
        return Message(text, buttons=_buttons(step))
    # One count in the heading when every flag is at the same nudge, else one per line.
    same = len({s.position for s in steps}) == 1
    lines = [
        f"• *{s.flag.key}* ({s.flag.summary}) {_what_waits(s, config)}"
        + ("" if same else _count(s))
        for s in steps
    ]
    late = next((s for s in steps if s.late_since is not None), None)
    text = (
        f"⏰ {len(steps)} flags need a manager{_count(steps[0]) if same else ''}:\n"
        + "\n".join(lines)
        + f"\nEach one's timeline: `/flag show {steps[0].flag.key}`, and so on."
        + (late_note(late, tz) if late else "")
    )
    buttons = tuple(b for s in steps for b in _buttons(s, f"{s.flag.key}: "))
    return Message(text, buttons=buttons)


def group_mention(platform: str, group: str | None) -> str | None:
    """How to mention the managers group: a Slack user group by id, else its name."""
    if not group:
        return None
    if platform == "slack" and group.startswith("S") and group.isalnum():
        return f"<!subteam^{group}>"
    return f"*@{group}*"
