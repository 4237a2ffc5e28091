"""Small pieces of wording every message shares."""

from __future__ import annotations


def plural(count: int, noun: str, many: str | None = None) -> str:
    """`1 flag`, `3 flags`, `0 flags`; `many` for nouns that do not just take an s."""
    return f"{count} {noun}" if count == 1 else f"{count} {many or noun + 's'}"
