"""Word overlap, the fallback when the embedding model cannot load.

Much weaker than the model (it cannot tell that "can't log in" and "sign-in fails" are one
problem), so Frontline says loudly when it is in use. Words and their 4-letter pieces are hashed
into a fixed-size vector, so the same index serves both; typos still share most pieces.
"""

from __future__ import annotations

import re
import zlib

import numpy as np

from bot.themes.embedding import Vector

DIMENSION = 2048
_WORD = re.compile(r"[^\W_]+")
_STOPWORDS = frozenset(
    (
        "a an the and or but of for to in on at by with from after before is are was were be "
        "been it its this that these those when then than they them their there can cant cannot "
        "not no our we us you your i me my he she his her again still also just any all some "
        "customer customers user users client clients says said reports reported getting get"
    ).split()
)


def _features(text: str) -> list[tuple[str, float]]:
    """Each word (weight 1) and each of its 4-letter pieces (weight 1/2)."""
    words = [w for w in _WORD.findall(text.lower()) if w not in _STOPWORDS]
    features = [(word, 1.0) for word in words]
    for word in words:
        padded = f"<{word}>"
        features.extend((padded[i : i + 4], 0.5) for i in range(max(1, len(padded) - 3)))
    return features


class LexicalEmbedder:
    """Hashed words and word pieces; vectors alike when texts share words."""

    name = "word overlap"

    def embed(self, text: str) -> Vector:
        vector = np.zeros(DIMENSION, dtype=np.float32)
        for feature, weight in _features(text):
            vector[zlib.crc32(feature.encode()) % DIMENSION] += weight
        norm = float(np.linalg.norm(vector))
        return vector / norm if norm else vector
