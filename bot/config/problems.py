"""Turn pydantic validation errors into problems an admin can act on: `<key path>: <message>`."""

from __future__ import annotations

import re
import types
from collections.abc import Callable, Sequence
from difflib import get_close_matches
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from bot.config.fields import HIDDEN_VALUE, PathProblem, UnreadableValue, describe

Loc = Sequence[str | int]
_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def key_path(loc: Loc) -> str:
    """`('themes', 'rules', 1, 'patterns', 0)` → `themes.rules[1].patterns[0]`."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif _PLAIN_KEY.match(part):
            text += f".{part}" if text else part
        else:
            shown = part if len(part) <= 40 else part[:37] + "..."
            text += f"[{shown!r}]"
    return text or "(top level)"


def _unwrap(annotation: Any) -> Any:
    """Strip `Annotated[...]` and `X | None` down to X."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            options = [arg for arg in get_args(annotation) if arg is not type(None)]
            if len(options) != 1:
                return annotation
            annotation = options[0]
        else:
            return annotation


def model_at(root: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """The section model found by following `loc` down from `root`, if `loc` leads to one."""
    annotation: Any = root
    for part in loc:
        annotation = _unwrap(annotation)
        origin = get_origin(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = annotation.model_fields.get(part) if isinstance(part, str) else None
            if field is None:
                return None
            annotation = field.annotation
        elif origin is dict:
            annotation = get_args(annotation)[1]
        elif origin in (tuple, list):
            annotation = get_args(annotation)[0]
        else:
            return None
    annotation = _unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _unknown_key(loc: Loc, root: type[BaseModel]) -> str:
    model = model_at(root, loc[:-1])
    if model is None:
        return "unknown key"
    expected = sorted(model.model_fields)
    message = f"unknown key; expected one of {', '.join(expected)}"
    guess = get_close_matches(str(loc[-1]).lower(), expected, n=1, cutoff=0.6)
    return f"{message} (did you mean {guess[0]}?)" if guess else message


_FOUND = {
    "string_type": "expected text",
    "string_unicode": "expected text",
    "int_type": "expected a whole number",
    "int_parsing": "expected a whole number",
    "int_from_float": "expected a whole number",
    "float_type": "expected a number",
    "float_parsing": "expected a number",
    "finite_number": "expected a finite number",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
    "dict_type": "expected a mapping of keys to values",
    "mapping_type": "expected a mapping of keys to values",
    "model_type": "expected a mapping of keys to values",
    "model_attributes_type": "expected a mapping of keys to values",
    "tuple_type": "expected a list, like [a, b]",
    "list_type": "expected a list, like [a, b]",
    "iterable_type": "expected a list, like [a, b]",
}
_BOUNDS = {
    "greater_than_equal": ("at least", "ge"),
    "greater_than": ("more than", "gt"),
    "less_than_equal": ("at most", "le"),
    "less_than": ("less than", "lt"),
}


def _found(value: Any) -> str:
    shown = describe(value)
    return "" if shown == HIDDEN_VALUE else f", found {shown}"


def error_message(error: ErrorDetails, root: type[BaseModel]) -> str:
    """What is wrong and what is expected, for one pydantic error (without the key path)."""
    kind = error["type"]
    value = error.get("input")
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    loc = [part for part in error["loc"] if part != "[key]"]
    if isinstance(value, UnreadableValue) and kind != "extra_forbidden":
        return value.problem
    if kind in ("value_error", "assertion_error") and "error" in ctx:
        return str(ctx["error"])
    if kind == "extra_forbidden":
        return _unknown_key(loc, root)
    if kind == "missing":
        return "missing; this key is required"
    if kind == "invalid_key":
        return f"keys must be text{_found(value)}"
    if kind in _FOUND:
        return f"{_FOUND[kind]}{_found(value)}"
    if kind in _BOUNDS:
        words, name = _BOUNDS[kind]
        return f"must be {words} {ctx.get(name)}{_found(value)}"
    if kind in ("literal_error", "enum"):
        expected = str(ctx.get("expected", "")).replace("'", "")
        return f"{describe(value)} is not allowed; expected {expected}"
    shown = describe(value)
    return error["msg"] if shown == HIDDEN_VALUE else f"{error['msg']} (found {shown})"


def validation_problems(
    exc: ValidationError,
    root: type[BaseModel],
    *,
    path: Callable[[Loc], str] = key_path,
) -> list[str]:
    """Every problem in `exc`, one `<key path>: <message>` line each, in file order."""
    problems: list[str] = []
    errors = exc.errors(include_url=False)
    # Under a key that is itself wrong (`severities.urgent`), the value's errors are just noise.
    bad_keys = [tuple(e["loc"][:-1]) for e in errors if e["loc"] and e["loc"][-1] == "[key]"]
    for error in errors:
        loc = [part for part in error["loc"] if part != "[key]"]
        is_key_error = bool(error["loc"]) and error["loc"][-1] == "[key]"
        if not is_key_error and any(tuple(loc[: len(key)]) == key for key in bad_keys):
            continue
        cause = (error.get("ctx") or {}).get("error")
        if isinstance(cause, PathProblem):
            problems.extend(f"{path([*loc, *sub])}: {message}" for sub, message in cause.problems)
        else:
            problems.append(f"{path(loc)}: {error_message(error, root)}")
    return problems
