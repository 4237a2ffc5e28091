"""Weekly digests in the core: what they say, when they go, and that each goes exactly once."""

from __future__ import annotations

import struct
from datetime import UTC, datetime, timedelta

from bot.actions import ActionId
from bot.config.models import FrontlineConfig
from bot.core import Core
from bot.digests.sending import send_due_digests
from bot.due import next_due_at
from tests.bot.conftest import World, make_world

CONFIG = {
    "channels": {
        "slack": {"escalations": "C-esc", "triage": "C-triage", "support_leads": "C-leads"}
    },
    "themes": {
        "rules": [{"name": "sso", "keywords": ["sso"], "owner": {"slack": "C-identity"}}],
        "threshold": {"flags": 2, "distinct": 1},
    },
}
# The world's clock starts Monday 23 November 2026 09:00 UTC (week 48).
NEXT_MONDAY_9 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def digest_world(**changes: object) -> World:
    return make_world(FrontlineConfig.model_validate({**CONFIG, **changes}))


def posts_to(world: World, channel: str) -> list[str]:
    """The digests posted in `channel` (not the theme posts routed there)."""
    return [
        s.message.text
        for s in world.chat.of_kind("post")
        if s.conversation is not None
        and s.conversation.channel_id == channel
        and s.message.text.startswith(("📊", "📈"))
    ]


def png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


async def last_week(world: World) -> None:
    """Week 48: four SSO flags (two customers), an escalation acknowledged after 10 minutes."""
    await world.flag("ana", "recurring SSO loops after reset ZD-1")
    await world.flag("bo", "recurring SSO login loop again ZD-2")
    world.clock.advance(timedelta(days=1))
    await world.flag("cy", "recurring SSO loop after password reset ZD-2")
    await world.flag("ana", "recurring SSO loop once more")
    await world.flag("ana", "escalate checkout down ZD-9")
    world.clock.advance(timedelta(minutes=10))
    await world.press("mgr", ActionId.ACKNOWLEDGE, "5")


async def test_each_owner_channel_and_the_leads_get_their_digest_on_monday(world: World) -> None:
    world = digest_world()
    await last_week(world)
    world.clock.set(NEXT_MONDAY_9 - timedelta(minutes=1))
    assert await send_due_digests(world.core) == 0  # not due yet: the digests are of week 47
    assert posts_to(world, "C-identity") == []

    world.clock.set(NEXT_MONDAY_9)
    assert await send_due_digests(world.core) == 2

    [product] = posts_to(world, "C-identity")
    assert product.startswith("📊 *Product digest: week 48, 23\N{EN DASH}29 Nov 2026*")
    assert "4 flags this week on your theme (0 last week)." in product
    line = "*#sso — SSO loops after reset* · 4 flags (0 last week ↑) · 2 customers · open"
    assert line in product
    assert "> SSO loop once more — F-4" in product  # the latest quotes first
    assert "> SSO loop after password reset — F-3" in product
    assert "🆕 New this week" in product and "⏳ Routed here, not acknowledged yet" in product
    [flow] = [s.message for s in world.chat.of_kind("post") if s.message.text.startswith("📈")]
    fields = {f.label: f.value for f in flow.fields}
    assert flow.text == "📈 *Flow digest: week 48, 23\N{EN DASH}29 Nov 2026*"
    assert fields["Flags raised"] == (
        "1 escalation, 4 recurring; last week: 0 escalations, 0 recurring"
    )
    assert fields["Time to acknowledge"].startswith("median 10 min, 90% within 10 min")
    # The first flag made the theme; the other three joined it.
    assert fields["Recurrence"].startswith("75% of 4 recurring flags joined an existing theme")
    assert "mgr" not in str(flow) and "ana" not in str(flow)  # team figures only

    # The chart, in the product digest's thread: a PNG of 800 by 400.
    [chart] = [s for s in world.chat.of_kind("reply") if s.message.image is not None]
    assert chart.ref is not None and chart.ref.thread_id is not None
    image = chart.message.image
    assert image is not None and png_size(image.png) == (800, 400)
    assert image.title == "Flags per week, the 8 weeks to week 48, 23\N{EN DASH}29 Nov 2026"
    assert "#sso — SSO loops after reset: 0, 0, 0, 0, 0, 0, 0, 4" in image.alt


async def test_a_digest_goes_once_across_runs_and_restarts() -> None:
    world = digest_world()
    await last_week(world)
    world.clock.set(NEXT_MONDAY_9)
    assert await send_due_digests(world.core) == 2
    assert await send_due_digests(world.core) == 0
    restarted = Core(uow=world.store, clock=world.clock, config=world.core.config)
    world.clock.advance(timedelta(hours=3))
    assert await send_due_digests(restarted) == 0
    assert len(posts_to(world, "C-identity")) == 1
    assert len(posts_to(world, "C-leads")) == 1
    # A week later, the next one.
    world.clock.set(NEXT_MONDAY_9 + timedelta(days=7))
    assert await send_due_digests(world.core) == 2
    quiet = posts_to(world, "C-identity")[-1]
    assert "week 49" in quiet and "No flags on your themes this week." in quiet
    assert "⏳ Routed here, not acknowledged yet" in quiet  # still waiting: still said


async def test_a_digest_missed_while_down_is_sent_once_marked_late() -> None:
    world = digest_world()
    await last_week(world)
    world.clock.set(NEXT_MONDAY_9 + timedelta(hours=5, minutes=30))
    assert await send_due_digests(world.core) == 2
    [product] = posts_to(world, "C-identity")
    assert "_This digest was due Mon 30 Nov 09:00, while Frontline was down._" in product
    # Only the latest week is ever sent: days later still one, not a burst of old ones.
    world.clock.set(NEXT_MONDAY_9 + timedelta(days=9))
    assert await send_due_digests(world.core) == 2
    assert len(posts_to(world, "C-identity")) == 2


async def test_quiet_weeks_say_so_in_one_line_or_are_skipped() -> None:
    world = digest_world()
    await world.flag("ana", "recurring a one-off printer problem")  # below every threshold
    world.clock.set(NEXT_MONDAY_9 + timedelta(days=7))  # week 49 had no flags at all
    assert await send_due_digests(world.core) == 2
    [product] = posts_to(world, "C-identity")  # a rule's owner hears even of a quiet week
    assert product.splitlines()[1] == (
        "No flags on your themes this week, and no theme changed. A quiet week."
    )
    [flow] = posts_to(world, "C-leads")
    assert flow.splitlines() == [
        "📈 *Flow digest: week 49, 30 Nov \N{EN DASH} 6 Dec 2026*",
        "No flags were raised, no customer update was missed and no escalation is open.",
    ]

    skipping = digest_world(digests={"product": {"skip_empty": True}, "flow": {"skip_empty": True}})
    await skipping.flag("ana", "recurring SSO once")
    skipping.clock.set(NEXT_MONDAY_9 + timedelta(days=7))
    assert await send_due_digests(skipping.core) == 0
    assert posts_to(skipping, "C-leads") == [] and posts_to(skipping, "C-identity") == []
    assert await send_due_digests(skipping.core) == 0  # claimed: not composed again


async def test_no_digest_before_frontline_was_in_use() -> None:
    world = digest_world()
    world.clock.set(NEXT_MONDAY_9)
    assert await send_due_digests(world.core) == 0
    await world.flag("ana", "recurring SSO loops")  # raised after week 48's digest fell due
    assert await send_due_digests(world.core) == 0
    assert posts_to(world, "C-leads") == [] and posts_to(world, "C-identity") == []


async def test_weeks_and_schedules_follow_the_configured_time_zone() -> None:
    world = digest_world(
        timezone="America/New_York",
        digests={
            "product": {
                "day": "tue",
                "time": "08:30",
                "channels": {"C-identity": {"day": "wed", "time": "07:00"}},
            }
        },
    )
    # Sunday 29 Nov 23:30 in New York is Monday 04:30 UTC: still week 48 there.
    world.clock.set(datetime(2026, 11, 30, 4, 30, tzinfo=UTC))
    await world.flag("ana", "recurring SSO late on Sunday")
    # The identity channel's own schedule: Wednesday 07:00 New York = 12:00 UTC.
    world.clock.set(datetime(2026, 12, 2, 11, 59, tzinfo=UTC))
    assert await next_due_at(world.core) == datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    await send_due_digests(world.core)
    assert posts_to(world, "C-identity") == []
    world.clock.set(datetime(2026, 12, 2, 12, 0, tzinfo=UTC))
    await send_due_digests(world.core)
    [product] = posts_to(world, "C-identity")
    assert "week 48" in product and "1 flag this week on your theme" in product


async def test_closed_loops_say_what_happened_since_a_fix_truly() -> None:
    world = digest_world()
    await last_week(world)
    await world.flag("mgr", "theme #sso fixed 4.2", channel="C-identity")
    await world.flag("mgr", "theme #sso planned next sprint", channel="C-identity")
    world.clock.set(NEXT_MONDAY_9)
    await send_due_digests(world.core)
    [product] = posts_to(world, "C-identity")
    assert "• #sso — SSO loops after reset · planned: next sprint" in product
    assert "flagged again" not in product


async def test_a_closed_loop_flagged_again_says_so() -> None:
    world = digest_world()
    await last_week(world)
    await world.flag("mgr", "theme #sso fixed 4.2", channel="C-identity")
    world.clock.advance(timedelta(hours=1))
    await world.flag("ana", "recurring SSO loop is back")
    world.clock.set(NEXT_MONDAY_9)
    await send_due_digests(world.core)
    [product] = posts_to(world, "C-identity")
    assert "• #sso — SSO loops after reset · fixed in 4.2, then flagged again: open" in product


async def test_planned_tells_the_agents_but_only_a_decision_closes_the_loop() -> None:
    world = digest_world()
    await last_week(world)
    await world.flag("mgr", "theme #sso planned next sprint", channel="C-identity")
    world.clock.set(NEXT_MONDAY_9)
    await send_due_digests(world.core)
    [product] = posts_to(world, "C-identity")
    assert "Loops closed" not in product
    [flow] = [s.message for s in world.chat.of_kind("post") if s.message.text.startswith("📈")]
    assert {f.label: f.value for f in flow.fields}["Loops closed"].startswith("0;")
