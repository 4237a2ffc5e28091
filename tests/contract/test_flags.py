"""FlagRepository contract, on every backend."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, timedelta, timezone

import pytest

from bot.flags.models import Flag, FlagKind, FlagStatus
from bot.messages import MessageRef
from bot.ports import UnitOfWorkFactory
from tests.contract.builders import T0, WORKSPACE, channel, full_flag, make_flag, make_theme, person


async def store(uow_factory: UnitOfWorkFactory, *flags: Flag) -> list[Flag]:
    """Add `flags` in one committed unit of work; returns them with ids."""
    async with uow_factory() as uow:
        added = [await uow.flags.add(flag) for flag in flags]
        await uow.commit()
    return added


def numbers(flags: Iterable[Flag]) -> list[int]:
    return [flag.number for flag in flags]


async def test_a_fully_populated_flag_round_trips(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        theme = await uow.themes.add(make_theme("sso-login-loops"))
        flag = full_flag(7, theme_id=theme.id)
        added = await uow.flags.add(flag)
        await uow.commit()
    assert added.id is not None and flag.id == added.id

    async with uow_factory() as uow:
        by_number = await uow.flags.get(WORKSPACE, 7)
        by_id = await uow.flags.get_by_id(added.id)

    assert by_number == added
    assert by_id == added
    assert by_number is not None
    for name in ("created_at", "acknowledged_at", "resolved_at", "update_due_at"):
        value = getattr(by_number, name)
        assert value.utcoffset() == timedelta(0), name
    assert by_number.created_at == T0.replace(hour=10, minute=30, second=15, microsecond=123456)
    assert by_number.created_at.tzinfo == UTC


async def test_a_minimal_flag_round_trips_with_empty_optionals(
    uow_factory: UnitOfWorkFactory,
) -> None:
    (added,) = await store(uow_factory, make_flag(1))
    async with uow_factory() as uow:
        loaded = await uow.flags.get(WORKSPACE, 1)
    assert loaded == added
    assert loaded is not None
    assert loaded.post is None and loaded.acknowledged_by is None and loaded.customer_refs == ()


async def test_save_stores_every_change(uow_factory: UnitOfWorkFactory) -> None:
    await store(uow_factory, make_flag(1))
    async with uow_factory() as uow:
        flag = await uow.flags.get(WORKSPACE, 1)
        assert flag is not None
        changed = full_flag(1)
        changed.id = flag.id
        await uow.flags.save(changed)
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.flags.get(WORKSPACE, 1) == changed

    async with uow_factory() as uow:
        flag = await uow.flags.get(WORKSPACE, 1)
        assert flag is not None
        flag.post = None
        flag.acknowledged_by = None
        flag.customer_refs = ()
        await uow.flags.save(flag)
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.flags.get(WORKSPACE, 1) == flag


async def test_mutating_a_flag_without_save_changes_nothing(
    uow_factory: UnitOfWorkFactory,
) -> None:
    (added,) = await store(uow_factory, make_flag(1))
    added.summary = "changed after add"
    async with uow_factory() as uow:
        loaded = await uow.flags.get(WORKSPACE, 1)
        assert loaded is not None
        loaded.summary = "changed after get"
        again = await uow.flags.get(WORKSPACE, 1)
        await uow.commit()
    assert again is not None and again.summary == "customer problem 1"


async def test_unknown_flags_are_none(uow_factory: UnitOfWorkFactory) -> None:
    await store(uow_factory, make_flag(1))
    async with uow_factory() as uow:
        assert await uow.flags.get(WORKSPACE, 2) is None
        assert await uow.flags.get("T-OTHER", 1) is None
        assert await uow.flags.get_by_id(987654) is None


async def test_saving_a_flag_that_was_never_added_fails(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        with pytest.raises(ValueError):
            await uow.flags.save(make_flag(1))
        with pytest.raises(LookupError):
            await uow.flags.save(make_flag(1, id=987654))


async def test_a_workspace_number_is_unique(uow_factory: UnitOfWorkFactory) -> None:
    await store(uow_factory, make_flag(1), make_flag(1, workspace_id="T-OTHER"))
    async with uow_factory() as uow:
        with pytest.raises(ValueError):
            await uow.flags.add(make_flag(1, summary="a second F-1"))
        await uow.rollback()
    async with uow_factory() as uow:
        assert numbers(await uow.flags.list_open(WORKSPACE)) == [1]
        flag = await uow.flags.get(WORKSPACE, 1)
        assert flag is not None and flag.summary == "customer problem 1"


async def test_next_number_counts_per_workspace(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        first = [await uow.flags.next_number(WORKSPACE) for _ in range(3)]
        other = await uow.flags.next_number("T-OTHER")
        await uow.commit()
    async with uow_factory() as uow:
        later = await uow.flags.next_number(WORKSPACE)
        await uow.commit()
    assert first == [1, 2, 3]
    assert other == 1
    assert later == 4


async def test_find_by_post_matches_conversation_and_message(
    uow_factory: UnitOfWorkFactory,
) -> None:
    post = MessageRef(channel("C-ESC"), "1700.1")
    await store(
        uow_factory,
        make_flag(1, post=post),
        make_flag(2, post=MessageRef(channel("C-ESC"), "1700.2")),
        make_flag(3),
    )
    async with uow_factory() as uow:
        found = await uow.flags.find_by_post(channel("C-ESC"), "1700.1")
        elsewhere = await uow.flags.find_by_post(channel("C-OTHER"), "1700.1")
        other_workspace = await uow.flags.find_by_post(channel("C-ESC", "T-OTHER"), "1700.1")
    assert found is not None and found.number == 1
    assert elsewhere is None
    assert other_workspace is None


async def test_list_open_for_person_covers_reported_and_acknowledged(
    uow_factory: UnitOfWorkFactory,
) -> None:
    me, other = person("U-ME"), person("U-OTHER")
    await store(
        uow_factory,
        make_flag(5, reporter=me),  # reported, open
        make_flag(2, reporter=other, acknowledged_by=me, status=FlagStatus.ACKNOWLEDGED),
        make_flag(3, reporter=me, status=FlagStatus.RESOLVED),  # resolved: excluded
        make_flag(4, reporter=other),  # not mine
        make_flag(1, reporter=me, workspace_id="T-OTHER"),  # another workspace
        make_flag(6, reporter=me, created_at=T0 - timedelta(days=1)),  # oldest
    )
    async with uow_factory() as uow:
        mine = await uow.flags.list_open_for_person(WORKSPACE, "U-ME")
    assert numbers(mine) == [6, 2, 5]


async def test_list_awaiting_ack_is_open_unacknowledged_escalations(
    uow_factory: UnitOfWorkFactory,
) -> None:
    await store(
        uow_factory,
        make_flag(3),
        make_flag(1),
        make_flag(2, kind=FlagKind.RECURRING),
        make_flag(4, acknowledged_by=person("U2"), status=FlagStatus.ACKNOWLEDGED),
        make_flag(5, status=FlagStatus.RESOLVED),
        make_flag(6, workspace_id="T-OTHER"),
    )
    async with uow_factory() as uow:
        assert numbers(await uow.flags.list_awaiting_ack(WORKSPACE)) == [1, 3]


async def test_list_for_theme_lists_every_flag_of_the_theme(
    uow_factory: UnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        theme = await uow.themes.add(make_theme("sso"))
        other = await uow.themes.add(make_theme("billing"))
        await uow.commit()
    assert theme.id is not None and other.id is not None
    await store(
        uow_factory,
        make_flag(2, theme_id=theme.id, status=FlagStatus.RESOLVED),
        make_flag(1, theme_id=theme.id),
        make_flag(3, theme_id=other.id),
        make_flag(4),
    )
    async with uow_factory() as uow:
        assert numbers(await uow.flags.list_for_theme(theme.id)) == [1, 2]


async def test_count_by_theme_since_counts_only_later_flags_of_each_theme(
    uow_factory: UnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        theme = await uow.themes.add(make_theme("sso"))
        other = await uow.themes.add(make_theme("billing"))
        await uow.commit()
    assert theme.id is not None and other.id is not None
    await store(
        uow_factory,
        make_flag(1, theme_id=theme.id, created_at=T0),
        make_flag(2, theme_id=theme.id, created_at=T0 + timedelta(minutes=1)),
        make_flag(3, theme_id=theme.id, created_at=T0 + timedelta(minutes=2)),
        make_flag(4, theme_id=other.id, created_at=T0 + timedelta(minutes=2)),
    )
    async with uow_factory() as uow:
        assert await uow.flags.count_by_theme_since([theme.id, other.id], T0) == {
            theme.id: 2,
            other.id: 1,
        }
        assert (await uow.flags.count_by_theme_since([theme.id], T0 - timedelta(days=1))) == {
            theme.id: 3
        }
        assert await uow.flags.count_by_theme_since([other.id], T0 + timedelta(hours=1)) == {
            other.id: 0
        }
        assert await uow.flags.count_by_theme_since([], T0) == {}


async def test_list_created_between_is_half_open(uow_factory: UnitOfWorkFactory) -> None:
    start, end = T0 + timedelta(minutes=2), T0 + timedelta(minutes=4)
    await store(
        uow_factory,
        *(make_flag(n) for n in range(1, 6)),
        make_flag(9, workspace_id="T-OTHER", created_at=start),
        make_flag(7, created_at=start - timedelta(microseconds=1)),
        make_flag(8, created_at=end - timedelta(microseconds=1)),
    )
    async with uow_factory() as uow:
        between = await uow.flags.list_created_between(WORKSPACE, start, end)
        # The same instants written in another timezone select the same flags.
        plus_two = timezone(timedelta(hours=2))
        shifted = await uow.flags.list_created_between(
            WORKSPACE, start.astimezone(plus_two), end.astimezone(plus_two)
        )
    assert numbers(between) == [2, 3, 8]
    assert numbers(shifted) == [2, 3, 8]


async def test_list_open_excludes_resolved_oldest_first(uow_factory: UnitOfWorkFactory) -> None:
    await store(
        uow_factory,
        make_flag(2, status=FlagStatus.ACKNOWLEDGED, acknowledged_by=person("U2")),
        make_flag(1, kind=FlagKind.RECURRING),
        make_flag(3, status=FlagStatus.RESOLVED),
        make_flag(4, workspace_id="T-OTHER"),
    )
    async with uow_factory() as uow:
        assert numbers(await uow.flags.list_open(WORKSPACE)) == [1, 2]
