"""The product digest: what hurt the customers of one owner channel's themes this week."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from bot.config.models import FrontlineConfig
from bot.digests.chart import TOP_THEMES, Series, weekly_chart
from bot.digests.models import ThemeWeek
from bot.digests.periods import Week
from bot.digests.targets import theme_owner
from bot.digests.wording import week_words
from bot.messages import Conversation, Message
from bot.ports import UnitOfWork
from bot.themes.models import Theme, ThemeStatus
from bot.themes.rendering import status_sentence, theme_title
from bot.words import plural

WEEKS_CHARTED = 8
QUOTES_PER_THEME = 2
LISTED = 8  # themes listed in full; busier weeks name the rest in one line


@dataclass
class WorkspaceWeek:
    """What every owner channel of one workspace shares for one week, read once."""

    themes: Sequence[Theme]
    weekly: dict[int, list[int]]  # flags per theme per week, the digest's week last
    customers: dict[int, int]  # distinct customers per theme, the digest's week


@dataclass(frozen=True)
class ProductDigest:
    conversation: Conversation
    week: Week
    themes: tuple[ThemeWeek, ...]  # with flags this week, busiest first
    owned: int  # every theme the channel owns
    new: tuple[Theme, ...] = ()
    regressions: tuple[Theme, ...] = ()
    unacknowledged: tuple[Theme, ...] = ()
    closed: tuple[Theme, ...] = ()
    chart: tuple[Series, ...] = field(default=())  # the top themes over WEEKS_CHARTED weeks

    @property
    def flags(self) -> int:
        return sum(theme.this_week for theme in self.themes)

    @property
    def is_empty(self) -> bool:
        """Nothing to tell: no flags, nothing new, reopened, waiting or closed."""
        return not (
            self.themes or self.new or self.regressions or self.unacknowledged or self.closed
        )


def charted_weeks(week: Week, tz: tzinfo) -> list[datetime]:
    """The bounds of the WEEKS_CHARTED weeks ending with `week`: one more than the weeks."""
    weeks = [week.shifted(offset) for offset in range(1 - WEEKS_CHARTED, 1)]
    return [w.bounds(tz)[0] for w in weeks] + [week.bounds(tz)[1]]


async def workspace_week(
    uow: UnitOfWork, workspace_id: str, week: Week, tz: tzinfo
) -> WorkspaceWeek:
    start, end = week.bounds(tz)
    return WorkspaceWeek(
        themes=await uow.themes.list_all(workspace_id),
        weekly=await uow.digests.theme_weeks(workspace_id, charted_weeks(week, tz)),
        customers=await uow.digests.theme_customers(workspace_id, start, end),
    )


async def gather_product(
    uow: UnitOfWork,
    config: FrontlineConfig,
    conversation: Conversation,
    week: Week,
    shared: WorkspaceWeek,
) -> ProductDigest:
    """The channel's digest of `week`, from the workspace's figures and the channel's quotes."""
    start, end = week.bounds(config.tz)
    owned = [
        t for t in shared.themes if theme_owner(config, t, conversation.platform) == conversation
    ]
    empty = [0] * WEEKS_CHARTED
    active = [
        ThemeWeek(t, tuple(shared.weekly.get(t.id or 0, empty)), shared.customers.get(t.id or 0, 0))
        for t in owned
    ]
    busy = sorted(
        (t for t in active if t.this_week), key=lambda t: (-t.this_week, -t.last_week, t.theme.slug)
    )
    quotes = await uow.digests.theme_quotes(
        [t.theme.id for t in busy[:LISTED] if t.theme.id is not None], start, end, QUOTES_PER_THEME
    )
    listed = tuple(
        ThemeWeek(t.theme, t.weekly, t.customers, tuple(quotes.get(t.theme.id or 0, ())))
        for t in busy
    )
    top = sorted((t for t in active if sum(t.weekly)), key=lambda t: -sum(t.weekly))[:TOP_THEMES]

    def within(at: datetime | None) -> bool:
        return at is not None and start <= at < end

    return ProductDigest(
        conversation=conversation,
        week=week,
        themes=listed,
        owned=len(owned),
        new=tuple(t for t in owned if within(t.created_at)),
        regressions=tuple(t for t in owned if within(t.regressed_at)),
        unacknowledged=tuple(
            t for t in owned if t.status is ThemeStatus.OPEN and t.routed_at is not None
        ),
        closed=tuple(t for t in owned if within(t.loop_closed_at)),
        chart=tuple(Series(theme_title(t.theme), t.weekly) for t in top),
    )


def product_message(digest: ProductDigest, now: datetime, late: str | None) -> Message:
    """The digest as the owner channel reads it."""
    lines = [f"📊 *Product digest: {week_words(digest.week)}*"]
    if late:
        lines.append(f"_{late}_")
    if digest.is_empty:
        lines.append("No flags on your themes this week, and no theme changed. A quiet week.")
        return Message("\n".join(lines))
    busy = len(digest.themes)
    if busy == digest.owned:
        spread = "your theme" if busy == 1 else f"your {busy} themes"
    else:
        spread = f"{busy} of your {plural(digest.owned, 'theme')}"
    lines.append(
        f"{plural(digest.flags, 'flag')} this week on {spread} "
        f"({_last_week_total(digest)} last week)."
        if busy
        else "No flags on your themes this week."
    )
    for theme_week in digest.themes[:LISTED]:
        lines.append("")
        lines.extend(_theme_lines(theme_week, now))
    more = digest.themes[LISTED:]
    if more:
        named = ", ".join(f"#{t.theme.slug} ({t.this_week})" for t in more)
        lines.append(f"\nAlso flagged this week: {named}.")
    sections = (
        ("🆕 New this week", digest.new, _new_line),
        ("⚠️ Regressions (flagged again after a fix)", digest.regressions, _regression_line),
        ("⏳ Routed here, not acknowledged yet", digest.unacknowledged, _waiting_line(now)),
        ("✅ Loops closed (every agent who flagged was told)", digest.closed, _closed_line),
    )
    for title, themes, line in sections:
        if themes:
            lines.append(f"\n*{title}*")
            lines.extend(f"• {line(theme)}" for theme in themes)
    quiet = digest.owned - busy
    if quiet:
        lines.append(f"\n_{plural(quiet, 'other theme')} had no flags this week._")
    return Message("\n".join(lines))


def product_chart(digest: ProductDigest) -> bytes | None:
    """The chart PNG of the channel's top themes; None when they had no flags in 8 weeks."""
    if not digest.chart:
        return None
    labels = [f"W{digest.week.shifted(o).number:02d}" for o in range(1 - WEEKS_CHARTED, 1)]
    title = "Flags per week, your top themes"
    return weekly_chart(title, labels, digest.chart)


def chart_alt(digest: ProductDigest) -> str:
    """The chart in words, for screen readers and for anyone whose client hides images."""
    parts = [f"{s.label}: {', '.join(str(c) for c in s.counts)}" for s in digest.chart]
    return f"Flags per week over {WEEKS_CHARTED} weeks, oldest first. " + "; ".join(parts)


def _theme_lines(theme_week: ThemeWeek, now: datetime) -> list[str]:
    theme = theme_week.theme
    customers = f" · {plural(theme_week.customers, 'customer')}" if theme_week.customers else ""
    line = (
        f"*{theme_title(theme)}* · {plural(theme_week.this_week, 'flag')} "
        f"({theme_week.last_week} last week{_trend(theme_week)}){customers} · "
        f"{status_sentence(theme)} · {_age(theme, now)}"
    )
    return [line, *(f"> {q.summary} — F-{q.number}" for q in theme_week.quotes)]


def _trend(theme_week: ThemeWeek) -> str:
    if theme_week.this_week > theme_week.last_week:
        return " ↑"
    if theme_week.this_week < theme_week.last_week:
        return " ↓"
    return ", the same"


def _age(theme: Theme, now: datetime) -> str:
    days = (now - theme.created_at).days
    if days < 1:
        return "first seen today"
    return f"first seen {plural(days, 'day')} ago"


def _last_week_total(digest: ProductDigest) -> int:
    return sum(t.last_week for t in digest.themes)


def _new_line(theme: Theme) -> str:
    return theme_title(theme)


def _regression_line(theme: Theme) -> str:
    release = f" (was fixed in {theme.fixed_in})" if theme.fixed_in else ""
    return f"{theme_title(theme)}{release}"


def _waiting_line(now: datetime) -> Callable[[Theme], str]:
    def line(theme: Theme) -> str:
        assert theme.routed_at is not None
        days = (now - theme.routed_at).days
        since = "today" if days < 1 else f"{plural(days, 'day')} ago"
        return f"{theme_title(theme)} · routed here {since}"

    return line


def _closed_line(theme: Theme) -> str:
    closed, regressed = theme.loop_closed_at, theme.regressed_at
    if closed is not None and regressed is not None and regressed >= closed:
        release = f" in {theme.fixed_in}" if theme.fixed_in else ""
        now = status_sentence(theme)
        return f"{theme_title(theme)} · fixed{release}, then flagged again: {now}"
    return f"{theme_title(theme)} · {status_sentence(theme)}"
