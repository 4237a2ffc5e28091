"""Benchmark: theme matching quality and speed on the labelled evaluation set.

Replays `tests/fixtures/themes_eval.jsonl` in file order, one flag at a time, through the same
`SimilarityMatcher` the product uses (normalise → embed → nearest theme → join or start one), and
reports pairwise precision, recall and F1 against the labels, per method, with the time per flag.
For each method it prints the F1 at the threshold given and the best threshold in hindsight, so
the default `themes.similarity` can be calibrated from the curve.

    .venv/bin/python -m bench.themes_eval                 # the table
    .venv/bin/python -m bench.themes_eval --curve         # F1 per threshold, each method
    .venv/bin/python -m bench.themes_eval --console       # end to end, as a new user would

`--console` types every flag as `/flag recurring …` into a real `frontline console` (default
configuration, fresh database in a scratch folder) and reads its theme from the confirmation.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

import numpy as np

from bot.config.themes import ThemesConfig
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


CONFIRMATION = re.compile(r"recorded under theme #([a-z0-9-]+)")


def console_replay(texts: Sequence[str]) -> tuple[list[str], float]:
    """Each text typed into `frontline console`; the themes its confirmations name, s/flag."""
    script = "".join(f"/flag recurring {text}\n" for text in texts) + "quit\n"
    frontline = Path(sys.executable).with_name("frontline")
    with tempfile.TemporaryDirectory() as scratch:
        start = time.perf_counter()
        done = subprocess.run(
            [str(frontline), "console"],
            input=script,
            capture_output=True,
            text=True,
            cwd=scratch,
            # No frontline.yml in the scratch folder: the defaults.
            env={k: v for k, v in os.environ.items() if k != "FRONTLINE_CONFIG"},
            check=True,
        )
        elapsed = time.perf_counter() - start
    themes = CONFIRMATION.findall(done.stdout)
    if len(themes) != len(texts):
        raise SystemExit(
            f"{len(themes)} confirmations for {len(texts)} flags:\n{done.stdout[-2000:]}"
        )
    return themes, elapsed / len(texts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", type=Path, default=EVAL_SET)
    parser.add_argument("--curve", action="store_true")
    parser.add_argument("--console", action="store_true")
    args = parser.parse_args()
    texts, labels = load_set(args.set)
    if args.console:
        themes, per_flag = console_replay(texts)
        ids = {slug: n for n, slug in enumerate(dict.fromkeys(themes))}
        score = pairwise([ids[t] for t in themes], labels)
        print(
            f"frontline console, default configuration: precision {score.precision:.2f}, "
            f"recall {score.recall:.2f}, F1 {score.f1:.2f}, {score.themes} themes for "
            f"{len(set(labels))} labels; {per_flag * 1000:.0f} ms per flag end to end"
        )
        return
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
