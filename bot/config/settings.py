"""The one settings object Frontline starts with: the environment plus frontline.yml."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.config.environment import ENVIRONMENT_SOURCE, Environment, load_environment
from bot.config.loading import load_config_file
from bot.config.models import FrontlineConfig
from bot.errors import ConfigError

DEFAULT_CONFIG_PATH = "frontline.yml"


@dataclass(frozen=True)
class Settings:
    """Everything configurable, loaded once at start; `config_source` says where config is from."""

    env: Environment
    config: FrontlineConfig
    config_source: str


def load_settings(
    *,
    config_path: str | None = None,
    environ: Mapping[str, str] | None = None,
    check_combinations: bool = True,
    named_file_required: bool = False,
) -> Settings:
    """Load and validate the environment and frontline.yml; raise ConfigError with every problem.

    The file is `config_path`, else the one FRONTLINE_CONFIG names, else ./frontline.yml. When
    there is no file the defaults apply: they are a usable configuration. With
    `named_file_required` (the command line), a file named by `config_path` or FRONTLINE_CONFIG
    must exist, so that a mistyped path never runs on the defaults unnoticed.
    """
    environ = os.environ if environ is None else environ
    env: Environment | None = None
    env_problems: list[str] = []
    try:
        env = load_environment(environ, check_combinations=check_combinations)
    except ConfigError as exc:
        env_problems = exc.problems

    named_by_environment = named_config_path(environ)
    path = config_path or named_by_environment or DEFAULT_CONFIG_PATH
    config: FrontlineConfig | None = None
    config_problems: list[str] = []
    try:
        config = load_config_file(Path(path))
    except ConfigError as exc:
        config_problems = exc.problems
    else:
        if config is None and named_file_required and config_path:
            config_problems = [missing_file_problem(path)]
        elif config is None and named_file_required and named_by_environment:
            env_problems = [
                *env_problems,
                f"FRONTLINE_CONFIG: names {path!r}, which does not exist; check the path, write "
                "a commented example there with `frontline init`, or unset FRONTLINE_CONFIG to "
                f"use ./{DEFAULT_CONFIG_PATH}",
            ]

    if env_problems and config_problems:
        raise ConfigError(f"{ENVIRONMENT_SOURCE} and {path}", env_problems + config_problems)
    if env_problems:
        raise ConfigError(ENVIRONMENT_SOURCE, env_problems)
    if config_problems:
        raise ConfigError(path, config_problems)
    assert env is not None  # no problems means the environment loaded
    if config is None:
        return Settings(
            env=env, config=FrontlineConfig(), config_source=f"defaults (no {path} found)"
        )
    return Settings(env=env, config=config, config_source=path)


def missing_file_problem(path: str | Path) -> str:
    """What to say about the config file at `path`, which was named but does not exist."""
    return (
        "the file does not exist; check the path, or write a commented example there with "
        f"`frontline init {path}`"
    )


def named_config_path(environ: Mapping[str, str]) -> str | None:
    """The config file FRONTLINE_CONFIG names, if it names one."""
    for name, value in environ.items():
        if name.upper() == "FRONTLINE_CONFIG" and value.strip():
            return value.strip()
    return None


def check_config(path: str | Path) -> list[str]:
    """Every problem with the config file at `path`; empty when it is fine to use."""
    try:
        config = load_config_file(Path(path))
    except ConfigError as exc:
        return list(exc.problems)
    if config is None:
        return [missing_file_problem(path)]
    return []
