"""Digests in SQL: the once-per-week records, silence breaches and the figures digests report.

Every figure is aggregated by the database (counts, groups, percentiles by rank), reading the
week's rows through the indexes on (workspace, created / acknowledged / resolved / started);
nothing loads a week's flags into Python. The same statements run on SQLite and PostgreSQL,
except the two that need a dialect's own functions: durations and JSON arrays.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.digests.models import DigestKind, DigestRecord, FlowWeek, Quote, nearest_rank
from bot.flags.models import Flag, FlagKind, FlagStatus
from bot.messages import Conversation, MessageRef
from storage.repositories import _insert, customer_refs_rows
from storage.tables import (
    DigestRow,
    FlagRow,
    SilenceBreachRow,
    ThemeRow,
    UTCDateTime,
    WorkspaceCounterRow,
)

ESCALATE = FlagKind.ESCALATE.value
RECURRING = FlagKind.RECURRING.value


class SqlSilenceBreachRepository:
    """Update deadlines missed, in the `silence_breaches` table."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def start(self, flag: Flag, at: datetime) -> None:
        assert flag.id is not None
        ongoing = exists().where(
            SilenceBreachRow.flag_id == flag.id, SilenceBreachRow.ended_at.is_(None)
        )
        if await self._session.scalar(select(ongoing)):
            return
        self._session.add(
            SilenceBreachRow(
                flag_id=flag.id,
                workspace_id=flag.workspace_id,
                severity=flag.severity.value,
                started_at=at,
            )
        )

    async def end(self, flag_id: int, at: datetime) -> None:
        await self._session.flush()
        await self._session.execute(
            update(SilenceBreachRow)
            .where(SilenceBreachRow.flag_id == flag_id, SilenceBreachRow.ended_at.is_(None))
            .values(ended_at=at)
            .execution_options(synchronize_session=False)
        )


class SqlDigestRepository:
    """The `digests` table, and the figures of a week read from flags, themes and breaches."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    @property
    def _dialect(self) -> str:
        return self._session.get_bind().dialect.name

    async def claim(self, record: DigestRecord) -> int | None:
        conversation = record.conversation
        statement = (
            _insert(self._session, DigestRow)
            .values(
                kind=record.kind.value,
                platform=conversation.platform,
                workspace_id=conversation.workspace_id,
                channel_id=conversation.channel_id,
                period=record.period,
                due_at=record.due_at,
                claimed_at=record.claimed_at,
                late=record.late,
                sent=record.sent,
            )
            .on_conflict_do_nothing(
                index_elements=["kind", "platform", "workspace_id", "channel_id", "period"]
            )
            .returning(DigestRow.id)
        )
        return await self._session.scalar(statement)

    async def is_claimed(self, kind: DigestKind, conversation: Conversation, period: str) -> bool:
        query = select(
            exists().where(
                DigestRow.kind == kind.value,
                DigestRow.platform == conversation.platform,
                DigestRow.workspace_id == conversation.workspace_id,
                DigestRow.channel_id == conversation.channel_id,
                DigestRow.period == period,
            )
        )
        return bool(await self._session.scalar(query))

    async def get(self, digest_id: int) -> DigestRecord | None:
        row = await self._session.get(DigestRow, digest_id)
        if row is None:
            return None
        conversation = Conversation(row.platform, row.workspace_id, row.channel_id)
        return DigestRecord(
            kind=DigestKind(row.kind),
            conversation=conversation,
            period=row.period,
            due_at=row.due_at,
            claimed_at=row.claimed_at,
            late=row.late,
            sent=row.sent,
            post=MessageRef(conversation, row.post_message_id) if row.post_message_id else None,
            id=row.id,
        )

    async def save_post(self, digest_id: int, ref: MessageRef) -> None:
        await self._session.execute(
            update(DigestRow)
            .where(DigestRow.id == digest_id)
            .values(post_message_id=ref.message_id)
            .execution_options(synchronize_session=False)
        )

    async def workspaces(self) -> list[tuple[str, str]]:
        found = []
        for workspace_id in await self._session.scalars(select(WorkspaceCounterRow.workspace_id)):
            query = select(FlagRow.platform).where(FlagRow.workspace_id == workspace_id).limit(1)
            platform = await self._session.scalar(query)
            if platform is not None:
                found.append((platform, workspace_id))
        return sorted(found)

    async def first_flag_at(self, workspace_id: str) -> datetime | None:
        query = select(func.min(FlagRow.created_at)).where(FlagRow.workspace_id == workspace_id)
        return await self._session.scalar(query)

    async def theme_weeks(
        self, workspace_id: str, bounds: Sequence[datetime]
    ) -> dict[int, list[int]]:
        weeks = len(bounds) - 1
        if weeks < 1:
            return {}
        bucket = case(
            *((FlagRow.created_at < bounds[i + 1], i) for i in range(weeks - 1)),
            else_=weeks - 1,
        )
        query = (
            select(FlagRow.theme_id, bucket, func.count())
            .where(
                FlagRow.workspace_id == workspace_id,
                FlagRow.created_at >= bounds[0],
                FlagRow.created_at < bounds[-1],
                FlagRow.theme_id.is_not(None),
            )
            .group_by(FlagRow.theme_id, bucket)
        )
        counts: dict[int, list[int]] = defaultdict(lambda: [0] * weeks)
        for theme_id, index, count in await self._session.execute(query):
            counts[int(theme_id)][int(index)] = int(count)
        return dict(counts)

    async def theme_customers(
        self, workspace_id: str, start: datetime, end: datetime
    ) -> dict[int, int]:
        refs = customer_refs_rows(self._dialect)
        query = (
            select(FlagRow.theme_id, func.count(refs.c.value.distinct()))
            .select_from(FlagRow)
            .join(refs, literal(True))
            .where(_in_week(workspace_id, FlagRow.created_at, start, end))
            .where(FlagRow.theme_id.is_not(None))
            .group_by(FlagRow.theme_id)
        )
        rows = await self._session.execute(query)
        return {int(t): int(n) for t, n in rows if t is not None}

    async def theme_quotes(
        self, theme_ids: Sequence[int], start: datetime, end: datetime, per_theme: int
    ) -> dict[int, list[Quote]]:
        if not theme_ids or per_theme < 1:
            return {}
        rank = (
            func.row_number()
            .over(
                partition_by=FlagRow.theme_id,
                order_by=(FlagRow.created_at.desc(), FlagRow.id.desc()),
            )
            .label("rank")
        )
        latest = (
            select(FlagRow.theme_id, FlagRow.number, FlagRow.summary, rank)
            .where(
                FlagRow.theme_id.in_(list(theme_ids)),
                FlagRow.created_at >= start,
                FlagRow.created_at < end,
                FlagRow.origin_private.is_(False),
            )
            .subquery()
        )
        query = (
            select(latest.c.theme_id, latest.c.number, latest.c.summary)
            .where(latest.c.rank <= per_theme)
            .order_by(latest.c.theme_id, latest.c.rank)
        )
        quotes: dict[int, list[Quote]] = defaultdict(list)
        for theme_id, number, summary in await self._session.execute(query):
            quotes[int(theme_id)].append(Quote(int(theme_id), int(number), str(summary)))
        return dict(quotes)

    async def flow(self, workspace_id: str, start: datetime, end: datetime) -> FlowWeek:
        raised = await self._raised(workspace_id, start, end)
        acknowledged, median, p90 = await self._ack_times(workspace_id, start, end)
        breaches, longest = await self._breaches(workspace_id, start, end)
        fixed, closed = await self._themes_closed(workspace_id, start, end)
        return FlowWeek(
            escalations=raised["escalations"],
            acknowledged=acknowledged,
            ack_median=median,
            ack_p90=p90,
            breaches=breaches,
            longest_breach=longest,
            open_at_end=await self._open_at(workspace_id, end),
            bursts=raised["bursts"],
            joined=raised["joined"],
            recurring=raised["recurring"],
            on_known_themes=await self._on_known_themes(workspace_id, start, end),
            themes_fixed=fixed,
            loops_closed=closed,
        )

    async def _raised(self, workspace_id: str, start: datetime, end: datetime) -> dict[str, int]:
        escalation = FlagRow.kind == ESCALATE
        query = select(
            func.count(case((escalation, 1))),
            func.count(case((FlagRow.kind == RECURRING, 1))),
            func.count(case((and_(escalation, FlagRow.joined_to_id.is_not(None)), 1))),
            func.count(FlagRow.joined_to_id.distinct()),
        ).where(_in_week(workspace_id, FlagRow.created_at, start, end))
        row = (await self._session.execute(query)).one()
        escalations, recurring, joined, bursts = (int(value or 0) for value in row)
        return {
            "escalations": escalations,
            "recurring": recurring,
            "joined": joined,
            "bursts": bursts,
        }

    async def _ack_times(
        self, workspace_id: str, start: datetime, end: datetime
    ) -> tuple[int, float | None, float | None]:
        """How many were acknowledged, and the median and 90th percentile of their times."""
        took = func.coalesce(
            FlagRow.ack_seconds, self._seconds(FlagRow.created_at, FlagRow.acknowledged_at)
        )
        criteria = (
            _in_week(workspace_id, FlagRow.acknowledged_at, start, end),
            FlagRow.kind == ESCALATE,
            FlagRow.joined_to_id.is_(None),  # a burst is one acknowledgement
        )
        count = int(await self._session.scalar(select(func.count()).where(*criteria)) or 0)
        if not count:
            return 0, None, None
        values = []
        for fraction in (0.5, 0.9):
            query = (
                select(took)
                .where(*criteria)
                .order_by(took)
                .offset(nearest_rank(count, fraction))
                .limit(1)
            )
            value = await self._session.scalar(query)
            values.append(float(value) if value is not None else None)
        return count, values[0], values[1]

    async def _breaches(
        self, workspace_id: str, start: datetime, end: datetime
    ) -> tuple[int, float | None]:
        until = func.coalesce(SilenceBreachRow.ended_at, literal(end, UTCDateTime()))
        query = select(
            func.count(), func.max(self._seconds(SilenceBreachRow.started_at, until))
        ).where(
            SilenceBreachRow.workspace_id == workspace_id,
            SilenceBreachRow.started_at >= start,
            SilenceBreachRow.started_at < end,
        )
        count, longest = (await self._session.execute(query)).one()
        return int(count or 0), float(longest) if longest is not None else None

    async def _open_at(self, workspace_id: str, end: datetime) -> int:
        """Escalations raised before `end` and not resolved by then."""
        escalations_before = (
            FlagRow.workspace_id == workspace_id,
            FlagRow.kind == ESCALATE,
            FlagRow.created_at < end,
        )
        still_open = select(func.count()).where(
            *escalations_before, FlagRow.status != FlagStatus.RESOLVED.value
        )
        resolved_later = select(func.count()).where(*escalations_before, FlagRow.resolved_at >= end)
        open_now = await self._session.scalar(still_open) or 0
        return int(open_now) + int(await self._session.scalar(resolved_later) or 0)

    async def _on_known_themes(self, workspace_id: str, start: datetime, end: datetime) -> int:
        """Recurring flags of the week that joined a theme an earlier flag had started."""
        earlier = aliased(FlagRow)
        started_before = exists().where(
            earlier.theme_id == FlagRow.theme_id, earlier.id < FlagRow.id
        )
        query = select(func.count()).where(
            _in_week(workspace_id, FlagRow.created_at, start, end),
            FlagRow.kind == RECURRING,
            FlagRow.theme_id.is_not(None),
            started_before,
        )
        return int(await self._session.scalar(query) or 0)

    async def _themes_closed(
        self, workspace_id: str, start: datetime, end: datetime
    ) -> tuple[int, int]:
        fixed = and_(ThemeRow.fixed_at >= start, ThemeRow.fixed_at < end)
        closed = and_(ThemeRow.loop_closed_at >= start, ThemeRow.loop_closed_at < end)
        query = select(func.count(case((fixed, 1))), func.count(case((closed, 1)))).where(
            ThemeRow.workspace_id == workspace_id, ThemeRow.merged_into_id.is_(None)
        )
        fixed_count, closed_count = (await self._session.execute(query)).one()
        return int(fixed_count or 0), int(closed_count or 0)

    def _seconds(self, start: Any, end: Any) -> ColumnElement[Any]:
        """`end - start` in seconds, in the database's own arithmetic."""
        if self._dialect == "postgresql":
            return func.extract("epoch", end - start)
        return cast((func.julianday(end) - func.julianday(start)) * 86400.0, Float)


def _in_week(workspace_id: str, column: Any, start: datetime, end: datetime) -> Any:
    return and_(FlagRow.workspace_id == workspace_id, column >= start, column < end)
