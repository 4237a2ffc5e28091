"""Which open theme a flag's text is most like: embed, compare with members, decide by threshold.

Synchronous and free of storage, so the product (through `bot.themes.matching`) and the
evaluation benchmark (`bench/themes_eval.py`) run exactly the same decisions.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.themes.embedding import Embedder, MiniLmEmbedder, ModelUnavailable, Vector
from bot.themes.index import Nearest, ThemeIndex
from bot.themes.lexical import DIMENSION as LEXICAL_DIMENSION
from bot.themes.lexical import LexicalEmbedder
from bot.themes.normalise import normalise

log = logging.getLogger(__name__)

# With word overlap the scale of similarity differs from the model's: this threshold was
# calibrated on the evaluation set the same way as the model's default (docs/themes.md).
LEXICAL_SIMILARITY = 0.25


@dataclass(frozen=True, slots=True)
class Similar:
    """A text's vector and the nearest theme (None when no theme is near enough)."""

    vector: Vector
    nearest: Nearest | None


def load_embedder(*, model: bool = True) -> tuple[Embedder, int]:
    """The model, or word overlap when it cannot load (said loudly: matching is much weaker)."""
    if model:
        embedder = MiniLmEmbedder()
        try:
            embedder.load()
        except ModelUnavailable as exc:
            log.warning(
                "THEME MATCHING IS DEGRADED: the embedding model could not load (%s); "
                "recurring flags are grouped by word overlap, which misses paraphrases. "
                "Reinstall Frontline with its dependencies to fix this.",
                exc,
            )
        else:
            return embedder, 384
    return LexicalEmbedder(), LEXICAL_DIMENSION


class SimilarityMatcher:
    """Turns texts into vectors and places them near the themes of an index."""

    def __init__(self, embedder: Embedder, dimension: int) -> None:
        self.embedder = embedder
        self.dimension = dimension

    @property
    def degraded(self) -> bool:
        return isinstance(self.embedder, LexicalEmbedder)

    def new_index(self) -> ThemeIndex:
        return ThemeIndex(self.dimension)

    def vector(self, text: str) -> Vector:
        """The vector of a flag's text, compared without its tickets, customers and numbers."""
        return self.embedder.embed(normalise(text) or text)

    @staticmethod
    def place(index: ThemeIndex, vector: Vector, threshold: float) -> Nearest | None:
        """The nearest theme if it is at least `threshold` alike, else None (a new theme)."""
        nearest = index.nearest(vector)
        if nearest is None or nearest.score < threshold:
            return None
        return nearest
