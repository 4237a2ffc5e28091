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
) -> Settings:
    """Load and validate the environment and frontline.yml; raise ConfigError with every problem.

    A missing frontline.yml is not a problem: the defaults are a usable configuration.
    """
    environ = os.environ if environ is None else environ
    env: Environment | None = None
    env_problems: list[str] = []
    try:
        env = load_environment(environ, check_combinations=check_combinations)
    except ConfigError as exc:
        env_problems = exc.problems

    path = config_path or (env.frontline_config if env else config_path_from(environ))
    config: FrontlineConfig | None = None
    config_problems: list[str] = []
    try:
        config = load_config_file(Path(path))
    except ConfigError as exc:
        config_problems = exc.problems

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


def config_path_from(environ: Mapping[str, str]) -> str:
    """The config file FRONTLINE_CONFIG names, else frontline.yml."""
    for name, value in environ.items():
        if name.upper() == "FRONTLINE_CONFIG" and value.strip():
            return value.strip()
    return DEFAULT_CONFIG_PATH


def check_config(path: str | Path) -> list[str]:
    """Every problem with the config file at `path`; empty when it is fine to use."""
    try:
        config = load_config_file(Path(path))
    except ConfigError as exc:
        return list(exc.problems)
    if config is None:
        return ["file not found; `frontline init` writes a commented example to start from"]
    return []
