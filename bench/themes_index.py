"""Benchmark: finding a flag's theme among 10,000 open themes, once the flag is embedded.

Fills a `ThemeIndex` with 10,000 themes of 3 members each (random unit vectors around a random
centre per theme, the dimension of the model), then times `nearest` for 2,000 query vectors and
reports the median and 99th percentile, the memory the index holds, and the time to embed one flag
with the model (the other half of matching, done in a worker thread).

    .venv/bin/python -m bench.themes_index --runs 3

Target: p99 under 5 ms for the lookup.
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc

import numpy as np

from bench.harness import machine_line
from bot.themes.embedding import DIMENSION
from bot.themes.index import ThemeIndex
from bot.themes.similarity import SimilarityMatcher, load_embedder

THEMES = 10_000
MEMBERS = 3
QUERIES = 2_000


def unit_rows(rng: np.random.Generator, n: int) -> np.ndarray:
    rows = rng.standard_normal((n, DIMENSION)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def one_run(seed: int) -> tuple[float, float, int, int]:
    rng = np.random.default_rng(seed)
    tracemalloc.start()
    index = ThemeIndex(DIMENSION)
    centres = unit_rows(rng, THEMES)
    for theme_id, centre in enumerate(centres):
        for member in unit_rows(rng, MEMBERS):
            vector = centre + 0.6 * member
            index.add(theme_id, (vector / np.linalg.norm(vector)).astype(np.float32))
    held, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    queries = centres[rng.integers(0, THEMES, QUERIES)] + 0.6 * unit_rows(rng, QUERIES)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    times = []
    for query in queries.astype(np.float32):
        start = time.perf_counter()
        index.nearest(query)
        times.append(time.perf_counter() - start)
    times.sort()
    return times[len(times) // 2] * 1000, times[int(len(times) * 0.99)] * 1000, held, peak


def embed_times() -> tuple[float, float]:
    matcher = SimilarityMatcher(*load_embedder())
    texts = [
        "CSV export has no date column ZD-4411",
        "customer says SSO login loops after the password reset, third report today",
        "android push notifications not delivered since the update (Acme Corp)",
        "refund issued on our side but money never arrived, cust 8812",
    ] * 50
    matcher.vector(texts[0])
    times = []
    for text in texts:
        start = time.perf_counter()
        matcher.vector(text)
        times.append(time.perf_counter() - start)
    times.sort()
    return times[len(times) // 2] * 1000, times[int(len(times) * 0.99)] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(machine_line())
    results = [one_run(seed) for seed in range(args.runs)]
    for n, (p50, p99, held, peak) in enumerate(results, 1):
        print(
            f"run {n}: lookup p50 {p50:.2f} ms, p99 {p99:.2f} ms; index memory held "
            f"{held / 2**20:.0f} MiB (peak while growing {peak / 2**20:.0f} MiB)"
        )
    print(
        f"median of {args.runs}: lookup p50 {statistics.median(r[0] for r in results):.2f} ms, "
        f"p99 {statistics.median(r[1] for r in results):.2f} ms "
        f"({THEMES:,} themes, {THEMES * MEMBERS:,} member vectors)"
    )
    e50, e99 = embed_times()
    print(f"embedding one flag (model, 1 thread): p50 {e50:.1f} ms, p99 {e99:.1f} ms")


if __name__ == "__main__":
    main()
