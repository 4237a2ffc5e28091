"""Hypothesis strategies that break captured payloads, for the fuzz tests of both platforms."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import strategies as st

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside `value` (dict keys and list indexes)."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, inner in value.items():
            found.extend(_paths(inner, (*prefix, key)))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found.extend(_paths(inner, (*prefix, index)))
    return found


@st.composite
def broken(draw: st.DrawFn, base: dict[str, Any], kinds: tuple[str, ...] = ()) -> dict[str, Any]:
    """`base` with one to four of its values replaced or dropped, maybe its type swapped."""
    payload = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 4))):
        paths = _paths(payload)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent: Any = payload
        for part in path[:-1]:
            parent = parent[part]
        if isinstance(parent, dict) and draw(st.booleans()):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(json_values)
    if kinds and draw(st.integers(0, 3)) == 0:
        payload["type"] = draw(st.sampled_from(kinds) | st.text(max_size=10))
    return payload
