"""Read frontline.yml safely: size limit, UTF-8, YAML with fewer surprises, every problem listed."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from yaml.constructor import ConstructorError

from bot.config.fields import UnreadableValue, describe
from bot.config.models import FrontlineConfig
from bot.config.platform_ids import slack_id_problems
from bot.config.problems import key_path, validation_problems
from bot.errors import ConfigError

MAX_CONFIG_BYTES = 1024 * 1024
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_VALUE = "tag:yaml.org,2002:value"
_MERGE = "tag:yaml.org,2002:merge"


class _ConfigLoader(yaml.SafeLoader):
    """SafeLoader without YAML 1.1's surprises, which record duplicate keys instead of hiding them.

    YAML 1.1 reads `17:00` as the number 1020, `0123` as 83 and `no` or `on` as booleans; a
    config full of times, ids and words needs them as written (YAML 1.2 behaves this way too).
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.problems: list[str] = []

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[str] = set()
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == _MERGE:
                continue
            if key_node.value in seen:
                self.problems.append(
                    f"{_where(key_node.start_mark)}: the key {describe(key_node.value)} appears "
                    "twice in the same mapping; keep only one"
                )
            seen.add(key_node.value)
        mapping = super().construct_mapping(node, deep=deep)
        # Keys like `1:` or `2025-12-25:` come back as numbers or dates; key paths need text.
        return {key if isinstance(key, str) else str(key): value for key, value in mapping.items()}


_ConfigLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in (_INT, _FLOAT, _BOOL, _VALUE)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_ConfigLoader.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_ConfigLoader.add_implicit_resolver(
    _INT, re.compile(r"^[-+]?(?:0|[1-9][0-9_]*)$"), list("-+0123456789")
)
_ConfigLoader.add_implicit_resolver(
    _FLOAT,
    re.compile(
        r"^(?:[-+]?(?:[0-9][0-9_]*\.[0-9_]*|\.[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)


def _guarded(tag: str, what: str) -> None:
    """Read an explicit `!!int abc` or an impossible date as a value validation reports.

    Stopping the YAML reader here would hide every other problem in the file until this one is
    fixed; the value's problem is reported at its key path instead, with all the others.
    """
    construct: Callable[[Any, Any], Any] = _ConfigLoader.yaml_constructors[tag]

    def guarded(loader: _ConfigLoader, node: yaml.Node) -> Any:
        try:
            return construct(loader, node)
        except (ValueError, KeyError, TypeError, OverflowError):
            text = str(node.value)
            return UnreadableValue(text, f"{describe(text)} is not {what}")

    _ConfigLoader.add_constructor(tag, guarded)


_guarded(_INT, "a whole number")
_guarded(_FLOAT, "a number")
_guarded(_BOOL, "true or false")
_guarded("tag:yaml.org,2002:timestamp", "a valid date; write dates as YYYY-MM-DD")


def _where(mark: yaml.Mark | None) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else "somewhere"


def _hint(problem: str) -> str:
    """What usually causes the YAML error `problem`, as people write config files."""
    if "'\\t'" in problem:
        return "; YAML indents with spaces, not tabs"
    if "<block end>" in problem or "could not find expected ':'" in problem:
        return "; check this line's indentation against the lines above it"
    if "mapping values are not allowed" in problem:
        return "; a value that contains ': ' must be in quotes"
    return ""


def _yaml_problem(exc: yaml.YAMLError, text: str) -> str:
    if isinstance(exc, yaml.reader.ReaderError):
        before = text[: exc.position]
        line, column = before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1
        code = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1])
        return (
            f"line {line}, column {column}: the character U+{code:04X} is not allowed in YAML; "
            "remove it or retype the line"
        )
    if isinstance(exc, yaml.MarkedYAMLError):
        kind = "" if isinstance(exc, ConstructorError) else "YAML syntax error: "
        message = f"{_where(exc.problem_mark)}: {kind}{exc.problem or 'unreadable'}"
        if exc.context and exc.context_mark is not None:
            message += f" ({exc.context} at {_where(exc.context_mark)})"
        return message + _hint(exc.problem or "")
    return f"YAML syntax error: {exc}"


def _load_yaml(text: str, problems: list[str]) -> Any:
    """The one YAML document in `text`; problems found along the way go to `problems`."""
    loader = _ConfigLoader(text)  # checks for unprintable characters first
    try:
        return loader.get_single_data()
    finally:
        problems.extend(loader.problems)
        loader.dispose()


def parse_config(text: str, *, source: str = "frontline.yml") -> FrontlineConfig:
    """Validate the text of a frontline.yml; raise ConfigError listing every problem."""
    if len(text) > MAX_CONFIG_BYTES:
        raise ConfigError(source, [_too_big(len(text))])
    problems: list[str] = []
    try:
        data = _load_yaml(text, problems)
    except yaml.YAMLError as exc:
        raise ConfigError(source, [*problems, _yaml_problem(exc, text)]) from None
    except RecursionError:
        raise ConfigError(source, ["the YAML is nested too deeply to be a frontline.yml"]) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        problems.append(
            f"(top level): expected a mapping of sections like `timezone: UTC` and `channels:`, "
            f"found {describe(data)}"
        )
        raise ConfigError(source, problems)
    try:
        config = FrontlineConfig.model_validate(data)
    except ValidationError as exc:
        problems.extend(validation_problems(exc, FrontlineConfig))
    problems.extend(f"{key_path(loc)}: {message}" for loc, message in slack_id_problems(data))
    if problems:
        raise ConfigError(source, problems)
    return config


def _too_big(size: int) -> str:
    return (
        f"the file is {size:,} bytes; a frontline.yml is at most {MAX_CONFIG_BYTES:,} bytes "
        "(1 MiB) — is this the right file?"
    )


def read_config_text(path: Path) -> str | None:
    """The text of the file at `path`; None when there is none; ConfigError when unusable."""
    source = str(path)
    try:
        with path.open("rb") as stream:
            raw = stream.read(MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise ConfigError(source, ["this is a directory, not a file"]) from None
    except OSError as exc:
        raise ConfigError(source, [f"cannot read the file: {exc.strerror or exc}"]) from None
    if len(raw) > MAX_CONFIG_BYTES:
        try:
            size = max(path.stat().st_size, len(raw))
        except OSError:
            size = len(raw)
        raise ConfigError(source, [_too_big(size)])
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        raise ConfigError(
            source,
            [
                f"line {line}: byte {exc.start} (0x{raw[exc.start]:02X}) is not UTF-8 text; "
                "save the file as UTF-8"
            ],
        ) from None


def load_config_file(path: Path) -> FrontlineConfig | None:
    """The validated config at `path`; None when there is no file; ConfigError if unusable."""
    text = read_config_text(path)
    if text is None:
        return None
    return parse_config(text, source=str(path))
