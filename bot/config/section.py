"""The base of every frontline.yml section: frozen, strict, and reporting every problem at once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    ModelWrapValidatorHandler,
    ValidationError,
    model_validator,
)
from pydantic_core import InitErrorDetails

Loc = tuple[str | int, ...]


class Section(BaseModel):
    """A frontline.yml section: immutable, unknown keys rejected, an empty value means default."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    @model_validator(mode="wrap")
    @classmethod
    def _every_problem(cls, data: Any, handler: ModelWrapValidatorHandler[Any]) -> Any:
        # pydantic runs a check of several keys together only once every key in the section is
        # valid, which would show its problem only after the others are fixed. Checked on the
        # data as written, it is reported in the same run as everything else.
        across = cls._problems_across_keys(data) if isinstance(data, dict) else []
        try:
            section = handler(data)
        except ValidationError as exc:
            if not across:
                raise
            raise with_problems(cls, exc.errors(include_url=False), across) from None
        if across:
            raise with_problems(cls, [], across)
        return section

    @classmethod
    def _problems_across_keys(cls, data: dict[Any, Any]) -> list[tuple[Loc, str]]:
        """Problems of several keys together in `data` as written: (key path within, message)."""
        return []

    @model_validator(mode="before")
    @classmethod
    def _empty_means_default(cls, data: Any) -> Any:
        # `business_hours:` with nothing after it parses as None; treat it as "not given".
        if isinstance(data, dict):
            fields = cls.model_fields
            return {
                key: value
                for key, value in data.items()
                if not (value is None and key in fields and not fields[key].is_required())
            }
        return data


def with_problems(
    section: type[BaseModel], errors: Sequence[Any], problems: list[tuple[Loc, str]]
) -> ValidationError:
    """`errors` (as pydantic lists them) and `problems`, as one ValidationError of `section`.

    Each problem comes after the other errors under the same key, so the list keeps file order.
    """
    details: list[InitErrorDetails] = [
        InitErrorDetails(
            type=error["type"], loc=error["loc"], input=error["input"], ctx=error.get("ctx", {})
        )
        for error in errors
    ]
    for loc, text in problems:
        same_key = [i + 1 for i, d in enumerate(details) if loc and d["loc"][:1] == loc[:1]]
        details.insert(
            same_key[-1] if same_key else len(details),
            InitErrorDetails(
                type="value_error", loc=loc, input=None, ctx={"error": ValueError(text)}
            ),
        )
    return ValidationError.from_exception_data(section.__name__, details)


def given(data: dict[Any, Any], key: str) -> bool:
    """Whether `key` has a value in `data` as written (an empty one means "not given")."""
    return data.get(key) not in (None, "", [], (), {})


def merge_defaults(given: Any, defaults: dict[str, dict[str, Any]]) -> Any:
    """Merge a mapping of partial sections key by key over `defaults`; leave anything else."""
    if given is None:
        given = {}
    if not isinstance(given, dict):
        return given
    merged: dict[Any, Any] = {name: dict(values) for name, values in defaults.items()}
    given_as: dict[str, Any] = {}
    for key, value in given.items():
        name = key.strip().lower() if isinstance(key, str) else key
        if name in given_as:
            raise ValueError(f"{name} is given twice, as {given_as[name]!r} and {key!r}; keep one")
        if name in defaults:
            given_as[name] = key
        if name not in defaults:
            merged[key] = value  # validation reports the unknown key
        elif isinstance(value, dict) and isinstance(merged[name], dict):
            given_values = {k: v for k, v in value.items() if v is not None}
            merged[name] = {**merged[name], **given_values}
        elif value is not None:
            merged[name] = value
    return merged


SectionT = TypeVar("SectionT", bound=Section)
