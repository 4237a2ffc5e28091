"""UnitOfWork contract: nothing is stored until commit, on every backend."""

from __future__ import annotations

import pytest

from bot.flags.models import EventKind, TimelineEvent
from bot.ports import UnitOfWork, UnitOfWorkFactory
from tests.contract.builders import T0, WORKSPACE, make_flag, make_theme


async def _nothing_stored(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        assert await uow.flags.get(WORKSPACE, 1) is None
        assert list(await uow.flags.list_open(WORKSPACE)) == []
        assert await uow.themes.get_by_slug(WORKSPACE, "sso") is None
        assert await uow.conversations.get("teams", "c1") is None
        assert await uow.idempotency.claim("k1", T0) is True


async def _write_everything(work: UnitOfWork) -> None:
    """Write through every repository, checking the writes are visible to the writer."""
    flag = await work.flags.add(make_flag(await work.flags.next_number(WORKSPACE)))
    assert flag.id is not None
    await work.timeline.add(TimelineEvent(flag.id, T0, EventKind.FLAGGED))
    await work.themes.add(make_theme("sso"))
    await work.conversations.put("teams", "c1", {"id": "c1"}, T0)
    assert await work.idempotency.claim("k1", T0) is True
    assert await work.flags.get(WORKSPACE, 1) is not None
    assert await work.themes.get_by_slug(WORKSPACE, "sso") is not None
    assert await work.conversations.get("teams", "c1") == {"id": "c1"}


async def test_rollback_discards_everything(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        await _write_everything(uow)
        await uow.rollback()
        assert await uow.flags.get(WORKSPACE, 1) is None
    await _nothing_stored(uow_factory)


async def test_leaving_without_commit_discards_everything(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        await _write_everything(uow)
    await _nothing_stored(uow_factory)


async def test_an_error_inside_the_block_discards_everything(
    uow_factory: UnitOfWorkFactory,
) -> None:
    with pytest.raises(RuntimeError, match="handler failed"):
        async with uow_factory() as uow:
            await _write_everything(uow)
            raise RuntimeError("handler failed")
    await _nothing_stored(uow_factory)


async def test_committed_work_is_visible_to_later_units_of_work(
    uow_factory: UnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        await _write_everything(uow)
        await uow.commit()
    async with uow_factory() as uow:
        flag = await uow.flags.get(WORKSPACE, 1)
        assert flag is not None and flag.id is not None
        assert [e.kind for e in await uow.timeline.list_for(flag.id)] == [EventKind.FLAGGED]
        assert await uow.themes.get_by_slug(WORKSPACE, "sso") is not None
        assert await uow.conversations.get("teams", "c1") == {"id": "c1"}
        assert await uow.idempotency.claim("k1", T0) is False


async def test_a_unit_of_work_keeps_working_after_commit(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        await uow.flags.add(make_flag(1))
        await uow.commit()
        await uow.flags.add(make_flag(2))
        # Leaving without a second commit discards only the second flag.
    async with uow_factory() as uow:
        assert [f.number for f in await uow.flags.list_open(WORKSPACE)] == [1]


async def test_a_failed_add_can_be_rolled_back_and_the_work_retried(
    uow_factory: UnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        await uow.flags.add(make_flag(1))
        await uow.commit()
    async with uow_factory() as uow:
        with pytest.raises(ValueError):
            await uow.flags.add(make_flag(1))
        await uow.rollback()
        await uow.flags.add(make_flag(2))
        await uow.commit()
    async with uow_factory() as uow:
        assert [f.number for f in await uow.flags.list_open(WORKSPACE)] == [1, 2]


async def test_after_commit_a_unit_of_work_sees_newer_commits(
    uow_factory: UnitOfWorkFactory,
) -> None:
    async with uow_factory() as long_lived:
        await long_lived.flags.add(make_flag(1))
        await long_lived.commit()

        async with uow_factory() as other:
            flag = await other.flags.get(WORKSPACE, 1)
            assert flag is not None
            flag.summary = "changed elsewhere"
            await other.flags.save(flag)
            await other.commit()

        again = await long_lived.flags.get(WORKSPACE, 1)
        assert again is not None and again.summary == "changed elsewhere"
