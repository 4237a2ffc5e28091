"""What a theme looks like where it is routed, and the lines about it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.actions import ActionId
from bot.config.models import FrontlineConfig
from bot.flags.models import Flag
from bot.flags.rendering import customer_refs_text, live_time
from bot.messages import Button, ButtonStyle, Field, Message
from bot.themes.models import Theme, ThemeStatus

QUOTES = 3
JOINED = "\N{HEAVY PLUS SIGN}"  # a thread line: a flag joined the theme
STATUS_LABEL = {
    ThemeStatus.OPEN: "open",
    ThemeStatus.ACKNOWLEDGED: "acknowledged",
    ThemeStatus.PLANNED: "planned",
    ThemeStatus.FIXED: "fixed",
    ThemeStatus.WONT_FIX: "won't fix",
}


def theme_title(theme: Theme) -> str:
    """`#slug — Title`; a theme named from a private flag shows its tag only."""
    if theme.title_private:
        return f"#{theme.slug}"
    return f"#{theme.slug} — {theme.name}"


def quotable(flag: Flag) -> bool:
    """A flag raised in a DM, a group chat or a private channel is counted, never quoted."""
    return not flag.origin.private


def distinct_customers(flags: Sequence[Flag]) -> int:
    return len({ref for flag in flags for ref in flag.customer_refs})


def status_sentence(theme: Theme) -> str:
    """`fixed in 4.2`, `won't fix: <reason>`, `planned: <note>`, `acknowledged`."""
    words = STATUS_LABEL[theme.status]
    if theme.status_note:
        joiner = " in " if theme.status is ThemeStatus.FIXED else ": "
        words += f"{joiner}{theme.status_note}"
    return words


def status_words(theme: Theme) -> str:
    """The status sentence starting a line: `Fixed in 4.2`."""
    words = status_sentence(theme)
    return words[:1].upper() + words[1:]


def theme_post(
    theme: Theme, flags: Sequence[Flag], now: datetime, config: FrontlineConfig
) -> Message:
    """The theme as posted (and updated in place) in its owner channel."""
    week = [f for f in flags if (now - f.created_at).days < 7]
    first = min((f.created_at for f in flags), default=theme.created_at)
    agents = len({f.reporter.user_id for f in flags})
    fields = [
        Field("Flags", f"{len(flags)} ({len(week)} in the last 7 days)"),
        Field("Customers", str(distinct_customers(flags))),
        Field("Agents", str(agents)),
        Field("First seen", live_time(first, config.tz)),
        Field("Status", status_words(theme)),
    ]
    quotes = [f for f in reversed(flags) if quotable(f)][:QUOTES]
    lines = [f"🔁 *Theme {theme_title(theme)}*"]
    lines.extend(f"> {f.summary} — {f.key}" for f in quotes)
    hidden = sum(1 for f in flags if not quotable(f))
    if hidden:
        lines.append(
            f"_{hidden} flag{'s' if hidden != 1 else ''} raised in private conversations "
            f"{'are' if hidden != 1 else 'is'} counted, not quoted._"
        )
    return Message(
        text="\n".join(lines),
        fields=tuple(fields),
        buttons=theme_buttons(theme),
        footer="*Planned*, *Fixed* and *Won't fix* are told to every agent who flagged this "
        "theme, with their customers.",
    )


def theme_buttons(theme: Theme) -> tuple[Button, ...]:
    assert theme.id is not None
    value = str(theme.id)
    buttons = []
    if theme.status is ThemeStatus.OPEN:
        buttons.append(
            Button("Acknowledge", ActionId.THEME_ACKNOWLEDGE, value, ButtonStyle.PRIMARY)
        )
    if theme.status is not ThemeStatus.PLANNED:
        buttons.append(Button("Planned", ActionId.THEME_PLANNED, value))
    if theme.status is not ThemeStatus.FIXED:
        buttons.append(Button("Fixed", ActionId.THEME_FIXED, value))
    if theme.status is not ThemeStatus.WONT_FIX:
        buttons.append(Button("Won't fix", ActionId.THEME_WONT_FIX, value, ButtonStyle.DANGER))
    buttons.append(Button("Not ours", ActionId.THEME_NOT_OURS, value))
    return tuple(buttons)


def thread_line(flag: Flag, config: FrontlineConfig) -> Message:
    """One line in the theme's thread for a flag that joined it after it was routed."""
    if not quotable(flag):
        return Message(
            f"{JOINED} *{flag.key}* from {flag.reporter.mention}, raised in a private conversation"
        )
    refs = customer_refs_text(flag.customer_refs, config.tickets)
    customers = f" · customer: {refs}" if flag.customer_refs else ""
    return Message(f"{JOINED} *{flag.key}* from {flag.reporter.mention}: {flag.summary}{customers}")
