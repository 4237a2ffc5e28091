"""Digest records and figures: the same seeded weeks give the same numbers on every backend."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.clock import FakeClock
from bot.config.models import FrontlineConfig
from bot.core import Core
from bot.digests.models import DigestKind, DigestRecord
from bot.digests.sending import send_due_digests
from bot.flags.models import CustomerRef, CustomerRefKind, FlagKind, FlagStatus
from bot.messages import MessageRef, Where
from bot.ports import UnitOfWorkFactory
from bot.themes.models import ThemeStatus
from tests.contract.builders import T0, WORKSPACE, channel, make_flag, make_theme, person

# The week under test: [START, END). T0 is Monday 2 March 2026 09:00 UTC.
START = T0 - timedelta(hours=9)
END = START + timedelta(days=7)
LEADS = channel("C-LEADS")


def ticket(number: int) -> tuple[CustomerRef, ...]:
    return (CustomerRef(CustomerRefKind.TICKET, f"ZD-{number}"),)


async def seed(uow_factory: UnitOfWorkFactory) -> dict[str, int]:
    """Two themes, a week of flags around them, and one flag on each side of the week."""
    async with uow_factory() as uow:
        old = await uow.themes.add(make_theme("sso", created_at=START - timedelta(days=30)))
        new = await uow.themes.add(
            make_theme(
                "export",
                created_at=START + timedelta(days=1),
                status=ThemeStatus.FIXED,
                fixed_at=START + timedelta(days=5),
                status_changed_at=START + timedelta(days=5),
                loop_closed_at=START + timedelta(days=5),
            )
        )
        assert old.id is not None and new.id is not None
        recurring = FlagKind.RECURRING
        flags = [
            # the week before: one flag on "sso"
            make_flag(1, kind=recurring, theme_id=old.id, created_at=START - timedelta(hours=1)),
            # this week: three on "sso" (two customers, one flag private), two on "export"
            make_flag(2, kind=recurring, theme_id=old.id, customer_refs=ticket(1)),
            make_flag(3, kind=recurring, theme_id=old.id, customer_refs=ticket(1) + ticket(2)),
            make_flag(
                4,
                kind=recurring,
                theme_id=old.id,
                origin=Where(channel("D-PRIVATE"), private=True),
                summary="words said in a DM",
            ),
            make_flag(5, kind=recurring, theme_id=new.id, created_at=START + timedelta(days=2)),
            make_flag(6, kind=recurring, theme_id=new.id, created_at=START + timedelta(days=3)),
            # escalations: acknowledged after 10 and 50 business minutes; one joined the first
            make_flag(
                7,
                acknowledged_by=person("U2"),
                acknowledged_at=T0 + timedelta(minutes=17),
                ack_seconds=600.0,
                status=FlagStatus.ACKNOWLEDGED,
            ),
            make_flag(8, acknowledged_at=T0 + timedelta(hours=2), ack_seconds=3000.0),
            make_flag(9, joined_to=7),
            # raised last week, resolved after this week ended: open at the week's end
            make_flag(
                10,
                created_at=START - timedelta(days=2),
                status=FlagStatus.RESOLVED,
                resolved_at=END + timedelta(hours=1),
            ),
            # raised and resolved within the week: not open at its end
            make_flag(11, status=FlagStatus.RESOLVED, resolved_at=T0 + timedelta(hours=3)),
            # next week: outside
            make_flag(12, kind=recurring, theme_id=old.id, created_at=END),
        ]
        ids = {}
        for flag in flags:
            await uow.flags.next_number(WORKSPACE)  # as raising a flag does
            stored = await uow.flags.add(flag)
            assert stored.id is not None
            ids[f"F-{flag.number}"] = stored.id
        breached = flags[6]
        await uow.breaches.start(breached, T0 + timedelta(hours=1))
        await uow.breaches.start(breached, T0 + timedelta(hours=2))  # already ongoing: ignored
        await uow.breaches.end(ids["F-7"], T0 + timedelta(hours=4))
        await uow.breaches.start(flags[7], START + timedelta(days=6))  # still ongoing at END
        await uow.commit()
    return {"sso": old.id, "export": new.id, **ids}


async def test_flow_figures_of_a_seeded_week(uow_factory: UnitOfWorkFactory) -> None:
    await seed(uow_factory)
    async with uow_factory() as uow:
        week = await uow.digests.flow(WORKSPACE, START, END)
        before = await uow.digests.flow(WORKSPACE, START - timedelta(days=7), START)
    assert (week.escalations, week.recurring, week.joined, week.bursts) == (4, 5, 1, 1)
    assert week.acknowledged == 2  # the joined one is part of its burst's acknowledgement
    assert (week.ack_median, week.ack_p90) == (600.0, 3000.0)
    assert week.breaches == 2
    assert week.longest_breach == pytest.approx((END - (START + timedelta(days=6))).total_seconds())
    assert week.open_at_end == 4  # 7, 8, 9 still open, 10 resolved only after the week
    assert week.on_known_themes == 4  # F-2, F-3, F-4 after F-1 on "sso"; F-6 after F-5
    assert (week.themes_fixed, week.loops_closed) == (1, 1)
    assert (before.recurring, before.escalations, before.open_at_end) == (1, 1, 1)
    assert before.ack_median is None and before.breaches == 0


async def test_product_figures_of_a_seeded_week(uow_factory: UnitOfWorkFactory) -> None:
    ids = await seed(uow_factory)
    bounds = [START - timedelta(days=7), START, END]
    async with uow_factory() as uow:
        weeks = await uow.digests.theme_weeks(WORKSPACE, bounds)
        customers = await uow.digests.theme_customers(WORKSPACE, START, END)
        quotes = await uow.digests.theme_quotes([ids["sso"], ids["export"]], START, END, 2)
        workspaces = await uow.digests.workspaces()
        first = await uow.digests.first_flag_at(WORKSPACE)
    assert weeks == {ids["sso"]: [1, 3], ids["export"]: [0, 2]}
    assert customers == {ids["sso"]: 2}
    # The latest quotable flags first; the one raised in a DM is never quoted.
    assert [q.number for q in quotes[ids["sso"]]] == [3, 2]
    assert [q.number for q in quotes[ids["export"]]] == [6, 5]
    assert all("DM" not in q.summary for q in quotes[ids["sso"]])
    assert workspaces == [("slack", WORKSPACE)]
    assert first == START - timedelta(days=2)


async def test_a_digest_is_claimed_once_and_remembers_its_post(
    uow_factory: UnitOfWorkFactory,
) -> None:
    record = DigestRecord(DigestKind.FLOW, LEADS, "2026-W10", END, END, late=False)
    async with uow_factory() as uow:
        first = await uow.digests.claim(record)
        await uow.commit()
    async with uow_factory() as uow:
        again = await uow.digests.claim(record)
        other_week = await uow.digests.claim(
            DigestRecord(DigestKind.FLOW, LEADS, "2026-W11", END, END, late=True)
        )
        other_kind = await uow.digests.claim(
            DigestRecord(DigestKind.PRODUCT, LEADS, "2026-W10", END, END, late=False)
        )
        assert first is not None
        await uow.digests.save_post(first, MessageRef(LEADS, "1700.1"))
        claimed = await uow.digests.is_claimed(DigestKind.FLOW, LEADS, "2026-W10")
        await uow.commit()
    assert again is None
    assert other_week is not None and other_kind is not None
    assert claimed
    async with uow_factory() as uow:
        stored = await uow.digests.get(first)
    assert stored is not None and stored.post == MessageRef(LEADS, "1700.1")
    assert (stored.kind, stored.period, stored.late) == (DigestKind.FLOW, "2026-W10", False)


async def test_replicas_claiming_one_digest_at_once_send_it_once(
    database_uow_factory: UnitOfWorkFactory,
) -> None:
    record = DigestRecord(DigestKind.PRODUCT, channel("C-OWNERS"), "2026-W10", END, END, False)

    async def replica() -> bool:
        async with database_uow_factory() as uow:
            claimed = await uow.digests.claim(record)
            await asyncio.sleep(0.01)  # both transactions are open together
            await uow.commit()
        return claimed is not None

    results = await asyncio.gather(*(replica() for _ in range(5)))
    assert results.count(True) == 1


async def test_two_replicas_sending_the_digests_at_once_record_each_once(
    database_uow_factory: UnitOfWorkFactory,
) -> None:
    config = FrontlineConfig.model_validate(
        {
            "channels": {"slack": {"support_leads": "C-LEADS"}},
            "themes": {
                "rules": [{"name": "sso", "keywords": ["sso"], "owner": {"slack": "C-OWNERS"}}]
            },
        }
    )
    await seed(database_uow_factory)
    due = END + timedelta(hours=9)  # Monday 09:00 after the seeded week
    replicas = [
        Core(uow=database_uow_factory, clock=FakeClock(due), config=config) for _ in range(2)
    ]
    sent = await asyncio.gather(*(send_due_digests(core) for core in replicas))
    assert sorted(sent) in ([0, 2], [1, 1])  # each digest recorded by one replica or the other
    async with database_uow_factory() as uow:
        stuck = await uow.outbox.list_stuck(100)
    digests = [d for d in stuck if d.purpose.endswith(" digest")]
    assert sorted(d.purpose for d in digests) == ["flow digest", "product digest"]
