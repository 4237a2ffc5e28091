"""The product digest's chart: weekly flags of a channel's top themes, as a small PNG.

Drawn with matplotlib's object API on the Agg canvas (headless, no pyplot state), so it can run
in a worker thread. 800 by 400 pixels: readable in a chat thread at a glance.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import PIL.Image
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

WIDTH_PX, HEIGHT_PX, DPI = 800, 400, 100
TOP_THEMES = 5
PALETTE = 32
# Colour-blind-safe (Okabe and Ito), so lines are told apart by more than red and green.
COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00")


@dataclass(frozen=True, slots=True)
class Series:
    """One theme's line: its name in the legend and its flags per week, oldest first."""

    label: str
    counts: tuple[int, ...]


def weekly_chart(title: str, weeks: Sequence[str], series: Sequence[Series]) -> bytes:
    """A PNG line chart of `series` over `weeks` (their labels, oldest first)."""
    figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    positions = range(len(weeks))
    for index, line in enumerate(series):
        axes.plot(
            positions,
            line.counts,
            marker="o",
            linewidth=2,
            color=COLOURS[index % len(COLOURS)],
            label=_shorter(line.label, 60),
        )
    axes.set_title(title, fontsize=12)
    axes.set_xlabel("Week")
    axes.set_ylabel("Flags")
    axes.set_xticks(list(positions), list(weeks), fontsize=8)
    axes.set_ylim(bottom=0)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.grid(axis="y", alpha=0.3)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    if series:
        axes.legend(loc="upper left", fontsize=8, frameon=False)
    figure.tight_layout()
    canvas = io.BytesIO()
    figure.savefig(canvas, format="png", dpi=DPI, metadata={"Software": None})
    # A 32-colour palette keeps every line and label and makes the file about 8 KB instead of
    # 35: small enough to travel inside a Teams card.
    image = PIL.Image.open(canvas).convert("RGB").quantize(colors=PALETTE)
    small = io.BytesIO()
    image.save(small, format="PNG", optimize=True)
    return small.getvalue()


def _shorter(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
