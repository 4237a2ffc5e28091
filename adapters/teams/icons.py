"""The Teams app icons, drawn as PNG files with the standard library (a white flag)."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable

ACCENT = (0xC9, 0x4A, 0x12)  # the orange of a flag that wants attention
WHITE = (0xFF, 0xFF, 0xFF)
_SAMPLES = 3  # per axis, for smooth edges


def _in_flag(u: float, v: float) -> bool:
    """Whether the point (u, v) of the unit square lies on the flag glyph (v grows downwards)."""
    if 0.27 <= u <= 0.33 and 0.16 <= v <= 0.86:  # the pole
        return True
    if not (0.33 <= u <= 0.80 and 0.18 <= v <= 0.56):
        return False
    # A swallowtail cut into the flying end.
    depth = 0.14 * (1 - abs(v - 0.37) / 0.19)
    return u <= 0.80 - depth


def _coverage(x: int, y: int, size: int) -> float:
    hits = 0
    for sy in range(_SAMPLES):
        for sx in range(_SAMPLES):
            u = (x + (sx + 0.5) / _SAMPLES) / size
            v = (y + (sy + 0.5) / _SAMPLES) / size
            hits += _in_flag(u, v)
    return hits / (_SAMPLES * _SAMPLES)


def png(size: int, pixel: Callable[[int, int], tuple[int, int, int, int]]) -> bytes:
    """A square RGBA PNG of `size` pixels, each from `pixel(x, y)`."""
    rows = b"".join(
        b"\x00" + bytes(channel for x in range(size) for channel in pixel(x, y))
        for y in range(size)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )


def color_icon(size: int = 192) -> bytes:
    """The full-colour icon: a white flag on the accent colour."""

    def pixel(x: int, y: int) -> tuple[int, int, int, int]:
        cover = _coverage(x, y, size)
        r, g, b = (round(c + (w - c) * cover) for c, w in zip(ACCENT, WHITE, strict=True))
        return r, g, b, 255

    return png(size, pixel)


def outline_icon(size: int = 32) -> bytes:
    """The outline icon: the white flag on a transparent background, as Teams requires."""

    def pixel(x: int, y: int) -> tuple[int, int, int, int]:
        return (*WHITE, round(255 * _coverage(x, y, size)))

    return png(size, pixel)
