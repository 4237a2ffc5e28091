"""Which theme a recurring flag joins, in the order PRODUCT.md gives.

1. an explicit `#tag` in the text (`#billing_pdf` is `#billing-pdf`);
2. a routing rule of `frontline.yml` (keywords and regular expressions → theme and owner);
3. similarity to the flags of existing themes, at least `themes.similarity`
   (`bot.themes.similarity`; the model runs in a worker thread, off the event loop);
4. else a new theme, titled from the text (a flag raised privately gives no words to the title).

Every flag's vector is stored with it, so the index of each workspace is rebuilt from the
database at start and picks up other replicas' flags before each match.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

import numpy as np

from bot.config.themes import RoutingRule, ThemesConfig
from bot.flags.models import Flag
from bot.messages import Conversation
from bot.ports import UnitOfWork
from bot.themes.embedding import Vector
from bot.themes.index import ThemeIndex
from bot.themes.models import Theme, slugify
from bot.themes.normalise import normalise
from bot.themes.similarity import LEXICAL_SIMILARITY, SimilarityMatcher, load_embedder

log = logging.getLogger(__name__)

MERGE_PROPOSAL = 0.6  # centroid similarity from which two themes are proposed as one
RELOAD_SECONDS = 600.0  # a full rebuild now and then picks up moves and merges made elsewhere
_BATCH = 5_000
TITLE_CHARS = 80
PRIVATE_TITLE = "a problem first raised in a private conversation"


class MatchedBy(StrEnum):
    TAG = "tag"
    RULE = "rule"
    SIMILAR = "similar"
    NEW = "new"


@dataclass(frozen=True, slots=True)
class Matched:
    """The theme a flag joined, and why."""

    theme: Theme
    how: MatchedBy
    score: float | None = None


# One thread runs the model, for every matcher of the process: it bounds the model's CPU to
# one core (the other stays with the HTTP server), and with one thread the C allocator keeps
# one arena for the model's buffers instead of one per pool thread, whose fragmentation grew
# the server's memory by about 130 bytes per flag in the soak (16 with one thread;
# docs/benchmarks.md, section 5).
MODEL_THREAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="frontline-model")
# The index is searched on a thread of its own: the search runs while the request's
# transaction holds SQLite's write lock, and must not wait behind another flag's embedding.
INDEX_THREAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="frontline-index")
T = TypeVar("T")

_shared: SimilarityMatcher | None = None
_shared_lock = threading.Lock()


def shared_similarity() -> SimilarityMatcher:
    """The process's one similarity matcher (the model loads once, on first use)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = SimilarityMatcher(*load_embedder())
        return _shared


@dataclass
class _Workspace:
    index: ThemeIndex
    last_id: int = 0
    loaded_at: float = field(default_factory=time.monotonic)


class ThemeMatcher:
    """Finds the theme of each new recurring flag; holds one vector index per workspace."""

    def __init__(self, similarity: SimilarityMatcher | None = None) -> None:
        self._similarity = similarity
        self._workspaces: dict[str, _Workspace] = {}
        self._lock = asyncio.Lock()

    @staticmethod
    async def _in_thread(thread: ThreadPoolExecutor, work: Callable[..., T], *args: Any) -> T:
        """Run `work` on `thread` (MODEL_THREAD or INDEX_THREAD)."""
        return await asyncio.get_running_loop().run_in_executor(thread, work, *args)

    @property
    def similarity(self) -> SimilarityMatcher:
        if self._similarity is None:
            self._similarity = shared_similarity()
        return self._similarity

    def threshold(self, config: ThemesConfig) -> float:
        """`themes.similarity`, or the word-overlap threshold when the model did not load."""
        return LEXICAL_SIMILARITY if self.similarity.degraded else config.similarity

    async def vector(self, text: str) -> Vector:
        return await self._in_thread(MODEL_THREAD, self.similarity.vector, text)

    async def match(
        self,
        uow: UnitOfWork,
        config: ThemesConfig,
        flag: Flag,
        *,
        tag: str | None,
        now: datetime,
        vector: Vector | None = None,
    ) -> Matched:
        """The theme `flag` joins (created if new); sets the flag's embedding and theme id.

        Pass the text's `vector` when it was computed before the transaction began: on SQLite
        a transaction holds the one write lock, and the model's few milliseconds need not.
        """
        if vector is None:
            vector = await self.vector(flag.summary)
        flag.embedding = encode(vector)
        matched = await self._decide(uow, config, flag, vector, tag=tag, now=now)
        flag.theme_id = matched.theme.id
        return matched

    async def _decide(
        self,
        uow: UnitOfWork,
        config: ThemesConfig,
        flag: Flag,
        vector: Vector,
        *,
        tag: str | None,
        now: datetime,
    ) -> Matched:
        workspace = flag.workspace_id
        # Two flags of one new problem at once, on two workers or replicas: the second waits
        # here for the first's commit, then finds its theme (instead of a twin, or a clash).
        await uow.themes.decide_alone(workspace)
        if tag:
            rule = config.rule_named(tag)
            theme = await live_theme(uow, await uow.themes.get_by_slug(workspace, tag))
            if theme is None:
                theme = await new_theme(uow, flag, now, slug=tag, rule=rule)
            return Matched(theme, MatchedBy.TAG)
        rule = config.rule_for(flag.summary)
        if rule is not None:
            theme = await live_theme(uow, await uow.themes.get_by_slug(workspace, rule.name))
            if theme is None:
                theme = await new_theme(uow, flag, now, slug=rule.name, rule=rule)
            return Matched(theme, MatchedBy.RULE)
        index = await self._index(uow, workspace)
        threshold = self.threshold(config)
        place = self.similarity.place
        nearest = await self._in_thread(INDEX_THREAD, place, index, vector, threshold)
        if nearest is not None:
            theme = await live_theme(uow, await uow.themes.get(nearest.theme_id))
            if theme is not None:
                return Matched(theme, MatchedBy.SIMILAR, nearest.score)
        return Matched(await new_theme(uow, flag, now), MatchedBy.NEW)

    async def _index(self, uow: UnitOfWork, workspace_id: str) -> ThemeIndex:
        """The workspace's index, with every themed flag stored since it was last read."""
        async with self._lock:
            state = self._workspaces.get(workspace_id)
            if state is None or time.monotonic() - state.loaded_at > RELOAD_SECONDS:
                state = _Workspace(self.similarity.new_index())
                self._workspaces[workspace_id] = state
            dimension = self.similarity.dimension
            while True:
                rows = await uow.flags.list_embedded_after(workspace_id, state.last_id, _BATCH)
                for flag_id, theme_id, blob in rows:
                    vector = decode(blob, dimension)
                    if vector is not None:
                        state.index.add(theme_id, vector)
                    state.last_id = max(state.last_id, flag_id)
                if len(rows) < _BATCH:
                    return state.index

    async def alternatives(self, uow: UnitOfWork, flag: Flag, k: int) -> list[Theme]:
        """The `k` other themes most like the flag's text, best first (for "Wrong theme?")."""
        vector = decode(flag.embedding, self.similarity.dimension) if flag.embedding else None
        if vector is None:
            vector = await self.vector(flag.summary)
        index = await self._index(uow, flag.workspace_id)
        exclude = [flag.theme_id] if flag.theme_id is not None else []
        themes = []
        for nearest in index.ranked(vector, k, exclude=exclude):
            theme = await live_theme(uow, await uow.themes.get(nearest.theme_id))
            if theme is not None and theme.id != flag.theme_id and theme not in themes:
                themes.append(theme)
        return themes

    async def drifting_pairs(
        self, uow: UnitOfWork, workspace_id: str, theme_ids: Sequence[int]
    ) -> list[tuple[int, int]]:
        """Pairs of these themes whose centroids are alike enough to propose merging them.

        Best first, each theme in one pair at most; on the evaluation set, 5 of the 7 pairs
        this proposes are one problem split in two (docs/themes.md).
        """
        index = await self._index(uow, workspace_id)
        centroids = [(t, c) for t in theme_ids if (c := index.centroid(t)) is not None]
        scored = sorted(
            (
                (float(np.dot(ca, cb)), a, b)
                for i, (a, ca) in enumerate(centroids)
                for b, cb in centroids[i + 1 :]
            ),
            reverse=True,
        )
        pairs: list[tuple[int, int]] = []
        taken: set[int] = set()
        for score, a, b in scored:
            if score < MERGE_PROPOSAL:
                break
            if a not in taken and b not in taken:
                pairs.append((a, b))
                taken.update((a, b))
        return pairs

    def forget(self, workspace_id: str) -> None:
        """Rebuild the workspace's index on next use (after a move or a merge)."""
        self._workspaces.pop(workspace_id, None)


def matched_words(matched: Matched) -> str:
    """How a flag found its theme, for its timeline."""
    tag = f"#{matched.theme.slug}"
    match matched.how:
        case MatchedBy.TAG:
            return f"{tag} (tagged)"
        case MatchedBy.RULE:
            return f"{tag} (routing rule)"
        case MatchedBy.SIMILAR:
            return f"{tag} (similar to its flags: {matched.score or 0:.2f})"
        case MatchedBy.NEW:
            return f"{tag} (new theme)"


async def live_theme(uow: UnitOfWork, theme: Theme | None) -> Theme | None:
    """The theme, or the one it was merged into (followed to the end)."""
    seen: set[int] = set()
    while theme is not None and theme.merged_into is not None and theme.merged_into not in seen:
        seen.add(theme.merged_into)
        theme = await uow.themes.get(theme.merged_into)
    return theme


async def new_theme(
    uow: UnitOfWork,
    flag: Flag,
    now: datetime,
    *,
    slug: str | None = None,
    rule: RoutingRule | None = None,
) -> Theme:
    """A theme started by `flag`: titled from its text unless it was raised privately.

    The caller holds the workspace's theme decisions (`decide_alone`): its slug is then free
    until the commit."""
    private = flag.origin.private
    title = PRIVATE_TITLE if private else title_from(flag.summary)
    if slug is None:
        base = f"theme-{secrets.token_hex(3)}" if private else slugify(title, max_words=5)
        slug = await unique_slug(uow, flag.workspace_id, base)
    owner = None
    if rule is not None and flag.platform in rule.owner:
        owner = Conversation(flag.platform, flag.workspace_id, rule.owner[flag.platform])
    theme = Theme(
        workspace_id=flag.workspace_id,
        slug=slug,
        name=title,
        created_at=now,
        owner_channel=owner,
        rule=rule.name if rule is not None else None,
        title_private=private,
    )
    return await uow.themes.add(theme)


async def unique_slug(uow: UnitOfWork, workspace_id: str, base: str) -> str:
    """`base`, or `base-2`, `base-3`… when another theme has it."""
    slug, n = base, 1
    while await uow.themes.get_by_slug(workspace_id, slug) is not None:
        n += 1
        slug = f"{base}-{n}"
    return slug


def title_from(text: str) -> str:
    """A readable theme title: the text without tickets, customers and filler, capitalised."""
    title = normalise(text) or text
    if len(title) > TITLE_CHARS:
        cut = title[:TITLE_CHARS].rsplit(" ", 1)[0]
        title = (cut or title[:TITLE_CHARS]).rstrip(" ,;:-") + "…"
    return title[:1].upper() + title[1:]


def encode(vector: Vector) -> bytes:
    """A vector as stored with its flag: float16, little-endian."""
    return np.asarray(vector, dtype="<f2").tobytes()


def decode(blob: bytes, dimension: int) -> Vector | None:
    """A stored vector, or None when it was made by another embedder (another size)."""
    if len(blob) != dimension * 2:
        return None
    vector = np.frombuffer(blob, dtype="<f2").astype(np.float32)
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else vector
