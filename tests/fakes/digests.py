"""In-memory digest records, silence breaches and digest figures, for unit tests of the core.

The figures are computed in Python from the working state: the same definitions as the SQL in
`storage/digests.py` (the contract tests hold both to the same seeded weeks).
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from bot.digests.models import DigestKind, DigestRecord, FlowWeek, Quote, nearest_rank
from bot.flags.models import Flag, FlagKind, FlagStatus
from bot.messages import Conversation, MessageRef

if TYPE_CHECKING:
    from tests.fakes.memory import InMemoryUnitOfWork


@dataclasses.dataclass
class Breach:
    flag_id: int
    workspace_id: str
    started_at: datetime
    ended_at: datetime | None = None


def digest_key(record: DigestRecord) -> tuple[str, Conversation, str]:
    return (record.kind.value, record.conversation, record.period)


class InMemorySilenceBreachRepository:
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow

    async def start(self, flag: Flag, at: datetime) -> None:
        state, changes = self._uow.begin()
        assert flag.id is not None
        if any(b.flag_id == flag.id and b.ended_at is None for b in state.breaches):
            return
        state.breaches.append(Breach(flag.id, flag.workspace_id, at))
        changes.queues = True

    async def end(self, flag_id: int, at: datetime) -> None:
        state, changes = self._uow.begin()
        for breach in state.breaches:
            if breach.flag_id == flag_id and breach.ended_at is None:
                breach.ended_at = at
                changes.queues = True


class InMemoryDigestRepository:
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow

    async def claim(self, record: DigestRecord) -> int | None:
        state, changes = self._uow.begin()
        committed = self._uow.store.committed.digests.values()
        key = digest_key(record)
        if any(digest_key(d) == key for d in (*state.digests.values(), *committed)):
            return None
        digest_id = self._uow.store.next_id()
        state.digests[digest_id] = dataclasses.replace(record, id=digest_id)
        changes.queues = True
        return digest_id

    async def is_claimed(self, kind: DigestKind, conversation: Conversation, period: str) -> bool:
        key = (kind.value, conversation, period)
        return any(digest_key(d) == key for d in self._uow.begin()[0].digests.values())

    async def get(self, digest_id: int) -> DigestRecord | None:
        return self._uow.begin()[0].digests.get(digest_id)

    async def save_post(self, digest_id: int, ref: MessageRef) -> None:
        state, changes = self._uow.begin()
        state.digests[digest_id] = dataclasses.replace(state.digests[digest_id], post=ref)
        changes.queues = True

    async def workspaces(self) -> list[tuple[str, str]]:
        return sorted({(f.platform, f.workspace_id) for f in self._flags()})

    async def first_flag_at(self, workspace_id: str) -> datetime | None:
        times = [f.created_at for f in self._flags() if f.workspace_id == workspace_id]
        return min(times) if times else None

    async def theme_weeks(
        self, workspace_id: str, bounds: Sequence[datetime]
    ) -> dict[int, list[int]]:
        weeks = len(bounds) - 1
        counts: dict[int, list[int]] = defaultdict(lambda: [0] * weeks)
        for flag in self._flags():
            if flag.workspace_id != workspace_id or flag.theme_id is None:
                continue
            for index in range(weeks):
                if bounds[index] <= flag.created_at < bounds[index + 1]:
                    counts[flag.theme_id][index] += 1
        return dict(counts)

    async def theme_customers(
        self, workspace_id: str, start: datetime, end: datetime
    ) -> dict[int, int]:
        refs: dict[int, set[str]] = defaultdict(set)
        for flag in self._week(workspace_id, start, end):
            if flag.theme_id is not None and flag.customer_refs:
                refs[flag.theme_id].update(ref.encode() for ref in flag.customer_refs)
        return {theme_id: len(found) for theme_id, found in refs.items()}

    async def theme_quotes(
        self, theme_ids: Sequence[int], start: datetime, end: datetime, per_theme: int
    ) -> dict[int, list[Quote]]:
        quotes: dict[int, list[Quote]] = defaultdict(list)
        flags = [
            f
            for f in self._flags()
            if f.theme_id in theme_ids and start <= f.created_at < end and not f.origin.private
        ]
        for flag in sorted(flags, key=lambda f: (f.created_at, f.id or 0), reverse=True):
            assert flag.theme_id is not None
            if len(quotes[flag.theme_id]) < per_theme:
                quotes[flag.theme_id].append(Quote(flag.theme_id, flag.number, flag.summary))
        return dict(quotes)

    async def flow(self, workspace_id: str, start: datetime, end: datetime) -> FlowWeek:
        state = self._uow.begin()[0]
        week = self._week(workspace_id, start, end)
        escalations = [f for f in week if f.kind is FlagKind.ESCALATE]
        recurring = [f for f in week if f.kind is FlagKind.RECURRING]
        acked = sorted(
            f.ack_seconds
            if f.ack_seconds is not None
            else (f.acknowledged_at - f.created_at).total_seconds()
            for f in self._flags()
            if f.workspace_id == workspace_id
            and f.kind is FlagKind.ESCALATE
            and f.joined_to is None
            and f.acknowledged_at is not None
            and start <= f.acknowledged_at < end
        )
        breaches = [
            b
            for b in state.breaches
            if b.workspace_id == workspace_id and start <= b.started_at < end
        ]
        themes = [
            t
            for t in state.themes.values()
            if t.workspace_id == workspace_id and t.merged_into is None
        ]
        return FlowWeek(
            escalations=len(escalations),
            acknowledged=len(acked),
            ack_median=acked[nearest_rank(len(acked), 0.5)] if acked else None,
            ack_p90=acked[nearest_rank(len(acked), 0.9)] if acked else None,
            breaches=len(breaches),
            longest_breach=max(
                ((b.ended_at or end) - b.started_at).total_seconds() for b in breaches
            )
            if breaches
            else None,
            open_at_end=sum(
                1
                for f in self._flags()
                if f.workspace_id == workspace_id
                and f.kind is FlagKind.ESCALATE
                and f.created_at < end
                and (
                    f.status is not FlagStatus.RESOLVED
                    or (f.resolved_at is not None and f.resolved_at >= end)
                )
            ),
            bursts=len({f.joined_to for f in week if f.joined_to is not None}),
            joined=sum(1 for f in escalations if f.joined_to is not None),
            recurring=len(recurring),
            on_known_themes=sum(
                1
                for f in recurring
                if any(
                    other.theme_id == f.theme_id and (other.id or 0) < (f.id or 0)
                    for other in self._flags()
                )
                and f.theme_id is not None
            ),
            themes_fixed=sum(1 for t in themes if t.fixed_at and start <= t.fixed_at < end),
            loops_closed=sum(
                1 for t in themes if t.loop_closed_at and start <= t.loop_closed_at < end
            ),
        )

    def _flags(self) -> list[Flag]:
        return list(self._uow.begin()[0].flags.values())

    def _week(self, workspace_id: str, start: datetime, end: datetime) -> list[Flag]:
        return [
            f
            for f in self._flags()
            if f.workspace_id == workspace_id and start <= f.created_at < end
        ]
