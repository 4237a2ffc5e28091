"""The vectors of the flags that new flags can join, and which theme is nearest.

A theme is compared through its centroid *and* its members: agents describe one problem in several
ways ("can't log in after reset" / "password change sends them back to sign-in"); the centroid
holds what the ways share, and the best members catch a new flag worded like one of them. A
theme's score is `CENTROID_WEIGHT` * cosine to its centroid + the rest * the mean of its best
`TOP_MEMBERS` member similarities — the mix that scored best on the evaluation set
(docs/themes.md), ahead of the centroid alone and the nearest member alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from bot.themes.embedding import Vector

CENTROID_WEIGHT = 0.7
TOP_MEMBERS = 2
MEMBERS_KEPT = 40  # per theme, the most recent; bounds memory and time with very large themes
CANDIDATES = 64  # themes scored in full per query: the nearest by centroid
_GROW = 256


@dataclass(frozen=True, slots=True)
class Nearest:
    """The nearest theme to a vector, and how alike (a cosine similarity, -1 to 1)."""

    theme_id: int
    score: float


class _Rows:
    """A growable float32 matrix whose rows are reused once released."""

    def __init__(self, dimension: int) -> None:
        self.matrix = np.zeros((_GROW, dimension), dtype=np.float32)
        self.live = np.zeros(_GROW, dtype=bool)
        self.size = 0
        self._free: list[int] = []

    def take(self) -> int:
        if self._free:
            row = self._free.pop()
        else:
            if self.size == len(self.live):
                grow = max(_GROW, self.size // 2)
                self.matrix = np.vstack([self.matrix, np.zeros_like(self.matrix[:grow])])
                self.live = np.concatenate([self.live, np.zeros(grow, dtype=bool)])
            row = self.size
            self.size += 1
        self.live[row] = True
        return row

    def release(self, row: int) -> None:
        self.live[row] = False
        self.matrix[row] = 0.0
        self._free.append(row)

    def scores(self, vector: Vector) -> np.ndarray:
        sims = self.matrix[: self.size] @ vector
        sims[~self.live[: self.size]] = -2.0
        return sims


class ThemeIndex:
    """Unit vectors of member flags grouped by theme, with each theme's centroid; per workspace."""

    def __init__(self, dimension: int, *, centroid_weight: float = CENTROID_WEIGHT) -> None:
        self.dimension = dimension
        self.centroid_weight = centroid_weight
        self._members = _Rows(dimension)
        self._member_theme: dict[int, int] = {}
        self._centroids = _Rows(dimension)
        self._centroid_theme: dict[int, int] = {}
        self._themes: dict[int, tuple[int, list[int]]] = {}  # id → (centroid row, member rows)

    def __len__(self) -> int:
        return len(self._member_theme)

    @property
    def theme_count(self) -> int:
        return len(self._themes)

    def add(self, theme_id: int, vector: Vector) -> None:
        """A flag of `theme_id` with this unit vector; beyond the cap, the theme's oldest go."""
        if theme_id not in self._themes:
            row = self._centroids.take()
            self._centroid_theme[row] = theme_id
            self._themes[theme_id] = (row, [])
        _, rows = self._themes[theme_id]
        if len(rows) >= MEMBERS_KEPT:
            self._drop_member(rows.pop(0))
        row = self._members.take()
        self._members.matrix[row] = vector
        self._member_theme[row] = theme_id
        rows.append(row)
        self._recentre(theme_id)

    def remove_theme(self, theme_id: int) -> None:
        """The theme no longer takes flags (merged into another, or gone)."""
        entry = self._themes.pop(theme_id, None)
        if entry is None:
            return
        centroid_row, rows = entry
        for row in rows:
            self._drop_member(row)
        self._centroid_theme.pop(centroid_row, None)
        self._centroids.release(centroid_row)

    def move_theme(self, source: int, target: int) -> None:
        """Every member of `source` now belongs to `target` (a merge)."""
        entry = self._themes.get(source)
        if entry is None or source == target:
            return
        vectors = [self._members.matrix[row].copy() for row in entry[1]]
        self.remove_theme(source)
        for vector in vectors:
            self.add(target, vector)

    def nearest(self, vector: Vector, *, exclude: Iterable[int] = ()) -> Nearest | None:
        """The theme most like `vector`, or None when there is none."""
        ranked = self.ranked(vector, 1, exclude=exclude)
        return ranked[0] if ranked else None

    def ranked(self, vector: Vector, k: int, *, exclude: Iterable[int] = ()) -> list[Nearest]:
        """The `k` themes most like `vector`, best first."""
        excluded = set(exclude)
        centroid_sims = self._centroids.scores(vector)
        n = min(max(CANDIDATES, k), len(centroid_sims))
        if n == 0:
            return []
        top = np.argpartition(-centroid_sims, n - 1)[:n] if n < len(centroid_sims) else range(n)
        scored: list[Nearest] = []
        for row in top:
            theme_id = self._centroid_theme.get(int(row))
            if theme_id is None or theme_id in excluded:
                continue
            _, rows = self._themes[theme_id]
            member_sims = self._members.matrix[rows] @ vector
            members = float(np.sort(member_sims)[::-1][:TOP_MEMBERS].mean())
            centroid = float(centroid_sims[row])
            score = self.centroid_weight * centroid + (1 - self.centroid_weight) * members
            scored.append(Nearest(theme_id, score))
        scored.sort(key=lambda nearest: -nearest.score)
        return scored[:k]

    def centroid(self, theme_id: int) -> Vector | None:
        """The theme's centroid (unit length), or None when it has no member here."""
        entry = self._themes.get(theme_id)
        return self._centroids.matrix[entry[0]].copy() if entry is not None else None

    def _recentre(self, theme_id: int) -> None:
        centroid_row, rows = self._themes[theme_id]
        centroid = self._members.matrix[rows].mean(axis=0)
        norm = float(np.linalg.norm(centroid))
        self._centroids.matrix[centroid_row] = centroid / norm if norm else centroid

    def _drop_member(self, row: int) -> None:
        self._member_theme.pop(row, None)
        self._members.release(row)
