"""In-memory implementations of the repository ports, with just enough transactions.

A unit of work snapshots the committed state on its first use and works on that copy; `commit`
writes back only what it changed, so other units of work see changes only once committed.
Flag numbers and row ids come from shared sequences, like database sequences: a rollback leaves
a gap, and two open units of work never get the same number.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self, TypeVar

from bot.digests.models import DigestRecord
from bot.flags.models import Flag, FlagKind, TimelineEvent
from bot.messages import Conversation
from bot.ports import (
    ConversationReferenceRepository,
    DigestRepository,
    FlagRepository,
    IdempotencyRepository,
    InboxRepository,
    OutboxRepository,
    SilenceBreachRepository,
    ThemeRepository,
    TimelineRepository,
)
from bot.themes.models import Theme, ThemeActivity
from tests.fakes.digests import (
    Breach,
    InMemoryDigestRepository,
    InMemorySilenceBreachRepository,
    digest_key,
)
from tests.fakes.queues import (
    InboxEntry,
    InMemoryInboxRepository,
    InMemoryOutboxRepository,
    OutboxEntry,
    copy_entries,
)


@dataclasses.dataclass
class _State:
    """Everything stored; one committed copy lives in the store, one working copy per UoW."""

    flags: dict[int, Flag] = dataclasses.field(default_factory=dict)
    events: list[TimelineEvent] = dataclasses.field(default_factory=list)
    themes: dict[int, Theme] = dataclasses.field(default_factory=dict)
    keys: dict[str, datetime] = dataclasses.field(default_factory=dict)
    references: dict[tuple[str, str], tuple[dict[str, Any], datetime]] = dataclasses.field(
        default_factory=dict
    )
    inbox: dict[int, InboxEntry] = dataclasses.field(default_factory=dict)
    outbox: dict[int, OutboxEntry] = dataclasses.field(default_factory=dict)
    breaches: list[Breach] = dataclasses.field(default_factory=list)
    digests: dict[int, DigestRecord] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class _Changes:
    """What one unit of work wrote, to replay onto the committed state."""

    flags: set[int] = dataclasses.field(default_factory=set)
    events: list[TimelineEvent] = dataclasses.field(default_factory=list)
    themes: set[int] = dataclasses.field(default_factory=set)
    claimed: set[str] = dataclasses.field(default_factory=set)
    purged: set[str] = dataclasses.field(default_factory=set)
    references: set[tuple[str, str]] = dataclasses.field(default_factory=set)
    queues: bool = False  # the inbox or outbox was touched (written back whole)


def _copy_flag(flag: Flag) -> Flag:
    # Every field of Flag is immutable, so a shallow copy shares nothing mutable.
    return dataclasses.replace(flag)


def _copy_theme(theme: Theme) -> Theme:
    return dataclasses.replace(theme)


def _utc(value: datetime) -> datetime:
    """Datetimes come back in UTC from the SQL repositories; the fake does the same."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value!r} cannot be stored; use an aware one")
    return value.astimezone(UTC)


_D = TypeVar("_D", Flag, Theme, TimelineEvent)


def _in_utc(item: _D) -> _D:
    """A copy of `item` with every datetime field converted to UTC."""
    changes: dict[str, Any] = {
        f.name: _utc(getattr(item, f.name))
        for f in dataclasses.fields(item)
        if isinstance(getattr(item, f.name), datetime)
    }
    return dataclasses.replace(item, **changes)


def _oldest_first(flags: Sequence[Flag]) -> list[Flag]:
    return [_copy_flag(f) for f in sorted(flags, key=lambda f: (f.created_at, f.id or 0))]


class MemoryStore:
    """The committed state shared by every in-memory unit of work."""

    def __init__(self) -> None:
        self.committed = _State()
        self.counters: dict[str, int] = {}
        self.pending_claims: dict[str, object] = {}
        self._last_id = 0
        # Unit tests of the core can deliver the outbox after each commit, like the console.
        self.after_commit: Callable[[], Awaitable[object]] | None = None
        self._in_after_commit = False

    async def run_after_commit(self) -> None:
        if self.after_commit is not None and not self._in_after_commit:
            self._in_after_commit = True
            try:
                await self.after_commit()
            finally:
                self._in_after_commit = False

    def next_id(self) -> int:
        self._last_id += 1
        return self._last_id

    def snapshot(self) -> _State:
        return _State(
            flags={i: _copy_flag(f) for i, f in self.committed.flags.items()},
            events=list(self.committed.events),
            themes={i: _copy_theme(t) for i, t in self.committed.themes.items()},
            keys=dict(self.committed.keys),
            references=copy.deepcopy(self.committed.references),
            inbox=copy_entries(self.committed.inbox),
            outbox=copy_entries(self.committed.outbox),
            breaches=[dataclasses.replace(b) for b in self.committed.breaches],
            digests=dict(self.committed.digests),
        )

    def apply(self, working: _State, changes: _Changes) -> None:
        """Write one unit of work's changes into the committed state, checking uniqueness."""
        committed = self.committed
        for flag_id in changes.flags:
            flag = working.flags[flag_id]
            _check_unique_flag(committed.flags.values(), flag)
        for theme_id in changes.themes:
            _check_unique_theme(committed.themes.values(), working.themes[theme_id])
        for flag_id in changes.flags:
            committed.flags[flag_id] = _copy_flag(working.flags[flag_id])
        for theme_id in changes.themes:
            committed.themes[theme_id] = _copy_theme(working.themes[theme_id])
        committed.events.extend(changes.events)
        for key in changes.purged:
            committed.keys.pop(key, None)
        for key in changes.claimed:
            committed.keys[key] = working.keys[key]
        for ref_key in changes.references:
            committed.references[ref_key] = copy.deepcopy(working.references[ref_key])
        if changes.queues:
            # Last writer wins, like row updates; tests of the queues run one worker at a time.
            committed.inbox = copy_entries(working.inbox)
            committed.outbox = copy_entries(working.outbox)
            committed.breaches = [dataclasses.replace(b) for b in working.breaches]
            for digest_id, digest in working.digests.items():
                if digest_id not in committed.digests and any(
                    digest_key(other) == digest_key(digest) for other in committed.digests.values()
                ):
                    raise ValueError(f"digest {digest_key(digest)} is already claimed")
                committed.digests[digest_id] = digest


def _check_unique_flag(stored: Iterable[Flag], flag: Flag) -> None:
    for other in stored:
        if (
            other.id != flag.id
            and other.workspace_id == flag.workspace_id
            and other.number == flag.number
        ):
            raise ValueError(f"flag {flag.key} in workspace {flag.workspace_id} already exists")


def _check_unique_theme(stored: Iterable[Theme], theme: Theme) -> None:
    for other in stored:
        if other.id != theme.id and (other.workspace_id, other.slug) == (
            theme.workspace_id,
            theme.slug,
        ):
            raise ValueError(f"theme {theme.slug} in workspace {theme.workspace_id} already exists")


class InMemoryFlagRepository:
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow

    async def reserve_number(self, workspace_id: str) -> int:
        return await self.next_number(workspace_id)

    async def next_number(self, workspace_id: str) -> int:
        counters = self._uow.store.counters
        counters[workspace_id] = counters.get(workspace_id, 0) + 1
        return counters[workspace_id]

    async def add(self, flag: Flag) -> Flag:
        state, changes = self._uow.begin()
        _check_unique_flag(state.flags.values(), flag)
        flag.id = self._uow.store.next_id()
        state.flags[flag.id] = _in_utc(flag)
        changes.flags.add(flag.id)
        return flag

    async def save(self, flag: Flag) -> None:
        state, changes = self._uow.begin()
        if flag.id is None:
            raise ValueError(f"flag {flag.key} was never added, so it cannot be saved")
        if flag.id not in state.flags:
            raise LookupError(f"flag id {flag.id} is not stored")
        _check_unique_flag(state.flags.values(), flag)
        state.flags[flag.id] = _in_utc(flag)
        changes.flags.add(flag.id)

    async def get(self, workspace_id: str, number: int) -> Flag | None:
        return self._first(lambda f: f.workspace_id == workspace_id and f.number == number)

    async def get_by_id(self, flag_id: int) -> Flag | None:
        flag = self._uow.begin()[0].flags.get(flag_id)
        return _copy_flag(flag) if flag is not None else None

    async def find_by_post(self, conversation: Conversation, message_id: str) -> Flag | None:
        return self._first(
            lambda f: (
                f.post is not None
                and f.post.conversation == conversation
                and f.post.message_id == message_id
            )
        )

    async def list_open_for_person(self, workspace_id: str, user_id: str) -> Sequence[Flag]:
        return self._where(
            lambda f: (
                f.workspace_id == workspace_id
                and f.is_open
                and (
                    f.reporter.user_id == user_id
                    or (f.acknowledged_by is not None and f.acknowledged_by.user_id == user_id)
                )
            )
        )

    async def list_awaiting_ack(self, workspace_id: str) -> Sequence[Flag]:
        return self._where(
            lambda f: (
                f.workspace_id == workspace_id
                and f.kind is FlagKind.ESCALATE
                and f.is_open
                and f.acknowledged_by is None
            )
        )

    async def first_of_themes(self, theme_ids: Sequence[int]) -> dict[int, Flag]:
        firsts: dict[int, Flag] = {}
        for flag in sorted(self._where(lambda f: f.theme_id in theme_ids), key=lambda f: f.id or 0):
            assert flag.theme_id is not None
            firsts.setdefault(flag.theme_id, flag)
        return firsts

    async def list_joined(self, flag_id: int) -> Sequence[Flag]:
        return self._where(lambda f: f.joined_to == flag_id)

    async def page(self, after_id: int, limit: int) -> Sequence[Flag]:
        flags = sorted(self._where(lambda f: (f.id or 0) > after_id), key=lambda f: f.id or 0)
        return flags[:limit]

    async def list_embedded_after(
        self, workspace_id: str, after_id: int, limit: int
    ) -> Sequence[tuple[int, int, bytes]]:
        flags = self._where(
            lambda f: (
                f.workspace_id == workspace_id
                and (f.id or 0) > after_id
                and f.theme_id is not None
                and f.embedding is not None
            )
        )
        flags = sorted(flags, key=lambda f: f.id or 0)[:limit]
        return [(f.id or 0, f.theme_id or 0, f.embedding or b"") for f in flags]

    async def list_for_theme(self, theme_id: int) -> Sequence[Flag]:
        return self._where(lambda f: f.theme_id == theme_id)

    async def theme_activity(self, theme_id: int, since: datetime) -> ThemeActivity:
        recent = self._where(lambda f: f.theme_id == theme_id and f.created_at > since)
        return ThemeActivity(
            flags=len(recent),
            agents=len({f.reporter.user_id for f in recent}),
            customers=len({ref for f in recent for ref in f.customer_refs}),
        )

    async def count_by_theme_since(
        self, theme_ids: Sequence[int], since: datetime
    ) -> dict[int, int]:
        counts = dict.fromkeys(theme_ids, 0)
        for flag in self._where(lambda f: f.theme_id in counts and f.created_at > since):
            assert flag.theme_id is not None
            counts[flag.theme_id] += 1
        return counts

    async def list_created_between(
        self, workspace_id: str, start: datetime, end: datetime
    ) -> Sequence[Flag]:
        return self._where(lambda f: f.workspace_id == workspace_id and start <= f.created_at < end)

    async def list_open(self, workspace_id: str) -> Sequence[Flag]:
        return self._where(lambda f: f.workspace_id == workspace_id and f.is_open)

    async def claim_due(self, now: datetime, limit: int) -> Sequence[Flag]:
        due = [f for f in self._uow.begin()[0].flags.values() if f.alarm_at and f.alarm_at <= now]
        due.sort(key=lambda f: (f.alarm_at or now, f.id or 0))
        return [_copy_flag(f) for f in due[:limit]]

    async def next_alarm_at(self) -> datetime | None:
        alarms = [f.alarm_at for f in self._uow.begin()[0].flags.values() if f.alarm_at]
        return min(alarms, default=None)

    def _where(self, matches: Callable[[Flag], bool]) -> list[Flag]:
        return _oldest_first([f for f in self._uow.begin()[0].flags.values() if matches(f)])

    def _first(self, matches: Callable[[Flag], bool]) -> Flag | None:
        found = self._where(matches)
        return found[0] if found else None


class InMemoryTimelineRepository:
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow

    async def add(self, event: TimelineEvent) -> None:
        state, changes = self._uow.begin()
        stored = dataclasses.replace(_in_utc(event), id=self._uow.store.next_id())
        state.events.append(stored)
        changes.events.append(stored)

    async def list_for(self, flag_id: int) -> Sequence[TimelineEvent]:
        events = [e for e in self._uow.begin()[0].events if e.flag_id == flag_id]
        return sorted(events, key=lambda e: (e.at, e.id or 0))


class InMemoryThemeRepository:
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow

    async def decide_alone(self, workspace_id: str) -> None:
        """Nothing to hold: the in-memory store runs one unit of work at a time."""

    async def add(self, theme: Theme) -> Theme:
        state, changes = self._uow.begin()
        _check_unique_theme(state.themes.values(), theme)
        theme.id = self._uow.store.next_id()
        state.themes[theme.id] = _in_utc(theme)
        changes.themes.add(theme.id)
        return theme

    async def save(self, theme: Theme) -> None:
        state, changes = self._uow.begin()
        if theme.id is None:
            raise ValueError(f"theme {theme.slug} was never added, so it cannot be saved")
        if theme.id not in state.themes:
            raise LookupError(f"theme id {theme.id} is not stored")
        _check_unique_theme(state.themes.values(), theme)
        state.themes[theme.id] = _in_utc(theme)
        changes.themes.add(theme.id)

    async def get(self, theme_id: int) -> Theme | None:
        theme = self._uow.begin()[0].themes.get(theme_id)
        return _copy_theme(theme) if theme is not None else None

    async def get_by_slug(self, workspace_id: str, slug: str) -> Theme | None:
        for theme in self._uow.begin()[0].themes.values():
            if theme.workspace_id == workspace_id and theme.slug == slug:
                return _copy_theme(theme)
        return None

    async def claim_due_nudges(self, now: datetime, limit: int) -> Sequence[Theme]:
        due = [
            t
            for t in self._uow.begin()[0].themes.values()
            if t.nudge_at is not None and t.nudge_at <= now
        ]
        due.sort(key=lambda t: (t.nudge_at or now, t.id or 0))
        return [_copy_theme(t) for t in due[:limit]]

    async def next_nudge_at(self) -> datetime | None:
        times = [t.nudge_at for t in self._uow.begin()[0].themes.values() if t.nudge_at]
        return min(times) if times else None

    async def list_all(self, workspace_id: str) -> Sequence[Theme]:
        themes = [t for t in self._uow.begin()[0].themes.values() if t.workspace_id == workspace_id]
        themes.sort(key=lambda t: (t.created_at, t.id or 0), reverse=True)
        return [_copy_theme(t) for t in themes]


class InMemoryIdempotencyRepository:
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow

    async def claim(self, key: str, at: datetime) -> bool:
        state, changes = self._uow.begin()
        pending = self._uow.store.pending_claims
        # A key claimed by another open unit of work counts as taken, as a database's
        # unique index would make the second claimer wait for (and lose to) the first.
        if key in state.keys or pending.get(key, self._uow) is not self._uow:
            return False
        state.keys[key] = _utc(at)
        changes.claimed.add(key)
        changes.purged.discard(key)
        pending[key] = self._uow
        return True

    async def purge_before(self, before: datetime) -> int:
        state, changes = self._uow.begin()
        old = [key for key, at in state.keys.items() if at < _utc(before)]
        for key in old:
            del state.keys[key]
            changes.claimed.discard(key)
            changes.purged.add(key)
        return len(old)


class InMemoryConversationReferenceRepository:
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow

    async def put(self, platform: str, key: str, reference: dict[str, Any], at: datetime) -> None:
        state, changes = self._uow.begin()
        state.references[platform, key] = (copy.deepcopy(reference), _utc(at))
        changes.references.add((platform, key))

    async def get(self, platform: str, key: str) -> dict[str, Any] | None:
        stored = self._uow.begin()[0].references.get((platform, key))
        return copy.deepcopy(stored[0]) if stored is not None else None


class InMemoryUnitOfWork:
    """`bot.ports.UnitOfWork` over a `MemoryStore`."""

    def __init__(self, store: MemoryStore) -> None:
        self.store = store
        self._working: tuple[_State, _Changes] | None = None
        self.commits = 0
        # Typed as the ports, so mypy proves each fake implements its protocol.
        self.flags: FlagRepository = InMemoryFlagRepository(self)
        self.timeline: TimelineRepository = InMemoryTimelineRepository(self)
        self.themes: ThemeRepository = InMemoryThemeRepository(self)
        self.breaches: SilenceBreachRepository = InMemorySilenceBreachRepository(self)
        self.digests: DigestRepository = InMemoryDigestRepository(self)
        self.idempotency: IdempotencyRepository = InMemoryIdempotencyRepository(self)
        self.conversations: ConversationReferenceRepository = (
            InMemoryConversationReferenceRepository(self)
        )
        self.inbox: InboxRepository = InMemoryInboxRepository(self)
        self.outbox: OutboxRepository = InMemoryOutboxRepository(self)

    def begin(self) -> tuple[_State, _Changes]:
        """The working state, snapshotted on first use after a commit or rollback."""
        if self._working is None:
            self._working = (self.store.snapshot(), _Changes())
        return self._working

    async def commit(self) -> None:
        if self._working is not None:
            state, changes = self._working
            try:
                self.store.apply(state, changes)
            finally:
                self._end()
        self.commits += 1
        await self.store.run_after_commit()

    async def rollback(self) -> None:
        self._end()

    def _end(self) -> None:
        if self._working is not None:
            for key in self._working[1].claimed:
                if self.store.pending_claims.get(key) is self:
                    del self.store.pending_claims[key]
        self._working = None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.rollback()


class InMemoryUnitOfWorkFactory:
    """A `bot.ports.UnitOfWorkFactory` whose units of work share one `MemoryStore`."""

    def __init__(self, store: MemoryStore | None = None) -> None:
        self.store = store or MemoryStore()
        self.created: list[InMemoryUnitOfWork] = []

    def __call__(self) -> InMemoryUnitOfWork:
        uow = InMemoryUnitOfWork(self.store)
        self.created.append(uow)
        return uow
