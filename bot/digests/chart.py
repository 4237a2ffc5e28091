"""The product digest's chart: weekly flags of a channel's top themes, as a small PNG.

Drawn with matplotlib's object API on the Agg canvas (headless, no pyplot state), so it can run
in a worker thread. 800 by 400 pixels: readable in a chat thread at a glance.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Sequence
from dataclasses import dataclass

import PIL.Image
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

WIDTH_PX, HEIGHT_PX, DPI = 800, 400, 100
TOP_THEMES = 5
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
    canvas = FigureCanvasAgg(figure)
    # Fixed margins that fit the title, labels and legend; tight_layout's measuring pass would
    # cost a quarter of the chart.
    figure.subplots_adjust(left=0.07, right=0.98, top=0.9, bottom=0.13)
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
        axes.legend(loc="best", fontsize=8, framealpha=0.9, edgecolor="none")
    # Drawn once into memory, then a fixed palette keeps every line and label and makes the
    # file 5-15 KB instead of 35-60: small enough to travel inside a Teams card.
    canvas.draw()  # type: ignore[no-untyped-call]
    width, height = canvas.get_width_height()
    rgba = canvas.buffer_rgba()  # type: ignore[no-untyped-call]
    pixels = PIL.Image.frombuffer("RGBA", (width, height), rgba, "raw")
    image = pixels.convert("RGB").quantize(palette=_palette(), dither=PIL.Image.Dither.NONE)
    small = io.BytesIO()
    image.save(small, format="PNG", optimize=True)
    return small.getvalue()


@functools.cache
def _palette() -> PIL.Image.Image:
    """The lines' colours with the tints their anti-aliased edges fade through, and greys: a
    fixed palette, so every line keeps its own colour however many there are."""
    colours: list[tuple[int, ...]] = [(255, 255, 255)]
    colours += [(level, level, level) for level in range(0, 255, 24)]
    for hex_colour in COLOURS:
        rgb = tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
        for share in (1.0, 0.7, 0.45, 0.25, 0.1):
            colours.append(tuple(round(c * share + 255 * (1 - share)) for c in rgb))
    palette = PIL.Image.new("P", (1, 1))
    palette.putpalette([channel for colour in colours for channel in colour])
    return palette


def _shorter(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
