"""TimelineRepository and ThemeRepository contracts, on every backend."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.flags.models import CustomerRef, CustomerRefKind, EventKind, TimelineEvent
from bot.messages import MessageRef
from bot.ports import UnitOfWorkFactory
from bot.themes.models import ThemeActivity, ThemeStatus
from tests.contract.builders import T0, WORKSPACE, channel, make_flag, make_theme, person


async def test_timeline_lists_a_flags_events_in_time_order(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        flag = await uow.flags.add(make_flag(1))
        other = await uow.flags.add(make_flag(2))
        assert flag.id is not None and other.id is not None
        events = [
            TimelineEvent(flag.id, T0, EventKind.FLAGGED, person("U1", "Ana"), "raised"),
            TimelineEvent(flag.id, T0 + timedelta(minutes=1), EventKind.POSTED),
            # Same instant as the next one: insertion order breaks the tie.
            TimelineEvent(flag.id, T0 + timedelta(minutes=5), EventKind.ACKNOWLEDGED, person("U2")),
            TimelineEvent(flag.id, T0 + timedelta(minutes=5), EventKind.ACK_REPEATED, person("U3")),
        ]
        late = TimelineEvent(flag.id, T0 + timedelta(hours=1), EventKind.RESOLVED, detail="done")
        await uow.timeline.add(late)  # added first, happened last
        for event in events:
            await uow.timeline.add(event)
        await uow.timeline.add(TimelineEvent(other.id, T0, EventKind.FLAGGED))
        await uow.commit()

    async with uow_factory() as uow:
        stored = await uow.timeline.list_for(flag.id)
        nothing = await uow.timeline.list_for(987654)
    assert list(stored) == [*events, late]
    assert all(event.id is not None for event in stored)
    assert stored[0].actor == person("U1", "Ana")
    assert stored[1].actor is None and stored[1].detail == ""
    assert list(nothing) == []


async def test_a_fully_populated_theme_round_trips(uow_factory: UnitOfWorkFactory) -> None:
    theme = make_theme(
        "sso-login-loops",
        status=ThemeStatus.PLANNED,
        owner_channel=channel("C-IDENTITY"),
        post=MessageRef(channel("C-IDENTITY"), "1700.5", "1700.1"),
        status_note="fix planned for 4.3",
        status_changed_at=T0 + timedelta(days=1),
        rule="sso-login",
        routed_at=T0 + timedelta(hours=2),
        fixed_at=T0 + timedelta(hours=3),
        fixed_in="4.2",
        merged_into=41,
        title_private=True,
    )
    async with uow_factory() as uow:
        added = await uow.themes.add(theme)
        await uow.commit()
    assert added.id is not None and theme.id == added.id

    async with uow_factory() as uow:
        assert await uow.themes.get(added.id) == added
        assert await uow.themes.get_by_slug(WORKSPACE, "sso-login-loops") == added
        assert await uow.themes.get_by_slug("T-OTHER", "sso-login-loops") is None
        assert await uow.themes.get(987654) is None


async def test_theme_save_stores_changes(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        theme = await uow.themes.add(make_theme("billing", owner_channel=channel("C-BILL")))
        await uow.commit()
    assert theme.id is not None
    async with uow_factory() as uow:
        loaded = await uow.themes.get(theme.id)
        assert loaded is not None
        loaded.status = ThemeStatus.WONT_FIX
        loaded.owner_channel = None
        loaded.status_note = "working as designed"
        await uow.themes.save(loaded)
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.themes.get(theme.id) == loaded


async def test_a_workspace_slug_is_unique(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        await uow.themes.add(make_theme("billing"))
        await uow.commit()
    async with uow_factory() as uow:
        with pytest.raises(ValueError):
            await uow.themes.add(make_theme("billing"))


async def test_list_all_is_newest_first_per_workspace(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        for slug, days in (("b", 2), ("a", 1), ("c", 3)):
            await uow.themes.add(make_theme(slug, created_at=T0 + timedelta(days=days)))
        other = make_theme("d")
        other.workspace_id = "T-OTHER"
        await uow.themes.add(other)
        await uow.commit()
    async with uow_factory() as uow:
        assert [t.slug for t in await uow.themes.list_all(WORKSPACE)] == ["c", "b", "a"]


async def test_embedded_flags_are_listed_after_an_id_in_order(
    uow_factory: UnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        theme = await uow.themes.add(make_theme("exports"))
        assert theme.id is not None
        await uow.flags.add(make_flag(1, theme_id=theme.id, embedding=b"\x01\x02"))
        await uow.flags.add(make_flag(2, theme_id=theme.id))  # no vector: not listed
        await uow.flags.add(make_flag(3, embedding=b"\x03\x04"))  # no theme: not listed
        await uow.flags.add(make_flag(4, theme_id=theme.id, embedding=b"\x05\x06"))
        await uow.flags.add(
            make_flag(5, workspace_id="T-OTHER", theme_id=theme.id, embedding=b"\x07\x08")
        )
        await uow.commit()
    async with uow_factory() as uow:
        rows = await uow.flags.list_embedded_after(WORKSPACE, 0, 10)
        assert [(t, e) for _, t, e in rows] == [(theme.id, b"\x01\x02"), (theme.id, b"\x05\x06")]
        first_id = rows[0][0]
        assert [e for _, _, e in await uow.flags.list_embedded_after(WORKSPACE, first_id, 10)] == [
            b"\x05\x06"
        ]
        assert len(await uow.flags.list_embedded_after(WORKSPACE, 0, 1)) == 1


async def test_due_theme_nudges_are_claimed_earliest_first(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        for slug, minutes in (("a", 30), ("b", None), ("c", 10), ("d", 90)):
            at = T0 + timedelta(minutes=minutes) if minutes is not None else None
            await uow.themes.add(make_theme(slug, nudge_at=at))
        await uow.commit()
    async with uow_factory() as uow:
        due = await uow.themes.claim_due_nudges(T0 + timedelta(minutes=30), 10)
        assert [t.slug for t in due] == ["c", "a"]
        assert [t.slug for t in await uow.themes.claim_due_nudges(T0, 10)] == []
        assert await uow.themes.next_nudge_at() == T0 + timedelta(minutes=10)


async def test_no_theme_nudge_means_no_next_one(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        await uow.themes.add(make_theme("quiet"))
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.themes.next_nudge_at() is None


async def test_each_themes_first_flag(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        a = await uow.themes.add(make_theme("a"))
        b = await uow.themes.add(make_theme("b"))
        assert a.id is not None and b.id is not None
        for number, theme in ((1, b), (2, a), (3, b), (4, a)):
            await uow.flags.add(make_flag(number, theme_id=theme.id))
        await uow.commit()
    async with uow_factory() as uow:
        firsts = await uow.flags.first_of_themes([a.id, b.id])
        assert {t: f.number for t, f in firsts.items()} == {a.id: 2, b.id: 1}
        assert await uow.flags.first_of_themes([]) == {}


async def test_a_themes_recent_activity_is_counted_by_the_database(
    uow_factory: UnitOfWorkFactory,
) -> None:
    acme, globex = (
        CustomerRef(CustomerRefKind.TICKET, "ZD-1"),
        CustomerRef(CustomerRefKind.TICKET, "ZD-2"),
    )
    async with uow_factory() as uow:
        theme = await uow.themes.add(make_theme("a"))
        other = await uow.themes.add(make_theme("b"))
        assert theme.id is not None and other.id is not None
        flags = [
            make_flag(1, theme_id=theme.id, customer_refs=(acme,)),  # before the window
            make_flag(2, theme_id=theme.id, customer_refs=(acme, globex)),
            make_flag(3, theme_id=theme.id, customer_refs=(acme,), reporter=person("U2", "Bo")),
            make_flag(4, theme_id=theme.id),
            make_flag(5, theme_id=other.id, customer_refs=(globex,), reporter=person("U3", "Cy")),
        ]
        for flag in flags:
            await uow.flags.add(flag)
        await uow.commit()
    async with uow_factory() as uow:
        recent = await uow.flags.theme_activity(theme.id, T0 + timedelta(minutes=1))
        assert recent == ThemeActivity(flags=3, agents=2, customers=2)
        assert await uow.flags.theme_activity(other.id, T0 + timedelta(minutes=5)) == (
            ThemeActivity(0, 0, 0)
        )
