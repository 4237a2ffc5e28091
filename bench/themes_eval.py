"""Benchmark: theme matching quality and speed on the labelled evaluation set.

Replays `tests/fixtures/themes_eval.jsonl` in file order, one flag at a time, through the same
`SimilarityMatcher` the product uses (normalise → embed → nearest theme → join or start one), and
reports pairwise precision, recall and F1 against the labels, per method, with the time per flag.
For each method it prints the F1 at the threshold given and the best threshold in hindsight, so
the default `themes.similarity` can be calibrated from the curve.

    .venv/bin/python -m bench.themes_eval                 # the table
    .venv/bin/python -m bench.themes_eval --curve         # F1 per threshold, each method
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

import numpy as np

from bot.config.models import ThemesConfig
from bot.themes.embedding import Embedder, MiniLmEmbedder, Vector
from bot.themes.index import CENTROID_WEIGHT, ThemeIndex
from bot.themes.lexical import DIMENSION as LEXICAL_DIMENSION
from bot.themes.lexical import LexicalEmbedder
from bot.themes.similarity import LEXICAL_SIMILARITY, SimilarityMatcher

EVAL_SET = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "themes_eval.jsonl"


@dataclass(frozen=True)
class Method:
    name: str
    embedder: Embedder
    dimension: int
    centroid_weight: float  # 1.0: nearest centroid alone
    threshold: float


@dataclass(frozen=True)
class Score:
    precision: float
    recall: float
    f1: float
    themes: int


def load_set(path: Path = EVAL_SET) -> tuple[list[str], list[str]]:
    texts, labels = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            texts.append(item["text"])
            labels.append(item["theme"])
    return texts, labels


def pairwise(predicted: Sequence[int], gold: Sequence[str]) -> Score:
    """Pairwise precision/recall/F1: each pair of flags is 'same theme' or not."""
    tp = fp = fn = 0
    for i, j in combinations(range(len(gold)), 2):
        same_p, same_g = predicted[i] == predicted[j], gold[i] == gold[j]
        tp += same_p and same_g
        fp += same_p and not same_g
        fn += same_g and not same_p
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Score(precision, recall, f1, len(set(predicted)))


def replay(
    vectors: Sequence[Vector], dimension: int, centroid_weight: float, threshold: float
) -> list[int]:
    """Online grouping in arrival order, exactly as the product decides."""
    index = ThemeIndex(dimension, centroid_weight=centroid_weight)
    assigned: list[int] = []
    for vector in vectors:
        nearest = SimilarityMatcher.place(index, vector, threshold)
        theme = nearest.theme_id if nearest else len(assigned)
        index.add(theme, vector)
        assigned.append(theme)
    return assigned


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", type=Path, default=EVAL_SET)
    parser.add_argument("--curve", action="store_true")
    args = parser.parse_args()
    texts, labels = load_set(args.set)
    default = ThemesConfig().similarity
    minilm = MiniLmEmbedder()
    minilm.load()
    methods = [
        Method("minilm, centroid + best members (default)", minilm, 384, CENTROID_WEIGHT, default),
        Method("minilm, nearest centroid", minilm, 384, 1.0, default),
        Method("minilm, best members", minilm, 384, 0.0, default),
        Method(
            "word overlap (fallback)",
            LexicalEmbedder(),
            LEXICAL_DIMENSION,
            CENTROID_WEIGHT,
            LEXICAL_SIMILARITY,
        ),
    ]
    print(f"{len(texts)} flags, {len(set(labels))} themes ({args.set.name})")
    print(
        "| method | threshold | precision | recall | F1 | themes | best threshold (F1) | ms/flag |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    cache: dict[str, tuple[list[Vector], float]] = {}
    for method in methods:
        if method.embedder.name not in cache:
            matcher = SimilarityMatcher(method.embedder, method.dimension)
            start = time.perf_counter()
            vectors = [matcher.vector(t) for t in texts]
            cache[method.embedder.name] = (vectors, (time.perf_counter() - start) / len(texts))
        vectors, embed_s = cache[method.embedder.name]
        start = time.perf_counter()
        score = pairwise(
            replay(vectors, method.dimension, method.centroid_weight, method.threshold), labels
        )
        place_s = (time.perf_counter() - start) / len(texts)
        curve = {
            round(t, 2): pairwise(
                replay(vectors, method.dimension, method.centroid_weight, t), labels
            )
            for t in np.arange(0.20, 0.86, 0.025)
        }
        best_t, best = max(curve.items(), key=lambda kv: kv[1].f1)
        print(
            f"| {method.name} | {method.threshold:.2f} | {score.precision:.2f} | "
            f"{score.recall:.2f} | **{score.f1:.2f}** | {score.themes} | "
            f"{best_t:.3f} ({best.f1:.2f}) | {(embed_s + place_s) * 1000:.1f} |"
        )
        if args.curve:
            for t, s in curve.items():
                print(
                    f"    {t:.3f}  P {s.precision:.2f}  R {s.recall:.2f}  "
                    f"F1 {s.f1:.3f}  themes {s.themes}"
                )


if __name__ == "__main__":
    main()
