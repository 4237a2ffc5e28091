"""Secrets and deployment settings from environment variables; secrets mask themselves in repr."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from typing import Any

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from bot.config.fields import describe, values_hidden
from bot.config.problems import validation_problems
from bot.config.urls import mask_url
from bot.errors import ConfigError

APP_TYPES = ("MultiTenant", "SingleTenant", "UserAssignedMSI")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
ENVIRONMENT_SOURCE = "environment"

# The mapping `Environment.from_environ` reads from; None means os.environ.
_environ: ContextVar[Mapping[str, str] | None] = ContextVar("frontline_environ", default=None)


class _EnvironSource(PydanticBaseSettingsSource):
    """Field values from an environment mapping: names case-insensitive, blank values unset."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # __call__ does all the work

    def __call__(self) -> dict[str, Any]:
        environ = _environ.get()
        if environ is None:
            environ = os.environ
        by_name = {name.upper(): value for name, value in environ.items()}
        values: dict[str, Any] = {}
        for name in self.settings_cls.model_fields:
            raw = by_name.get(name.upper())
            # An empty (or whitespace-only) variable is how shells and compose files "unset".
            if isinstance(raw, str) and raw.strip():
                values[name] = raw.strip()
        return values


class Environment(BaseSettings):
    """Everything Frontline reads from environment variables (no .env file is read)."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore", case_sensitive=False)

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str | None = None
    microsoft_app_id: str | None = None
    microsoft_app_password: SecretStr | None = None
    microsoft_app_tenant_id: str | None = None
    microsoft_app_type: str | None = None
    database_url: str | None = None
    frontline_config: str = "frontline.yml"
    frontline_host: str = "127.0.0.1"
    frontline_port: int = Field(default=3000, ge=1, le=65535)
    frontline_log_level: str = "INFO"
    # /healthz says "degraded" when a message has waited this long undelivered.
    frontline_outbox_stale_seconds: int = Field(default=300, ge=1)
    # How often each replica sweeps for due reminders and nudges (seconds).
    frontline_sweep_seconds: float = Field(default=15.0, ge=0.1, le=3600)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, _EnvironSource(settings_cls))

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Environment:
        """Read the settings from `environ` (default os.environ) and nothing else."""
        token = _environ.set(environ)
        try:
            return cls()
        finally:
            _environ.reset(token)

    @field_validator("microsoft_app_type", mode="before")
    @classmethod
    def _known_app_type(cls, value: Any) -> Any:
        if value is None:
            return None
        canonical = {name.lower(): name for name in APP_TYPES}
        if isinstance(value, str) and value.strip().lower() in canonical:
            return canonical[value.strip().lower()]
        raise ValueError(
            f"{describe(value)} is not an app type; expected MultiTenant, SingleTenant "
            "or UserAssignedMSI"
        )

    @field_validator("frontline_log_level", mode="before")
    @classmethod
    def _known_log_level(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().upper() in LOG_LEVELS:
            return value.strip().upper()
        raise ValueError(f"{describe(value)} is not a log level; expected {', '.join(LOG_LEVELS)}")

    @field_validator("slack_api_url", mode="before")
    @classmethod
    def _web_api_base(cls, value: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip().startswith(("https://", "http://")):
            raise ValueError(
                f"{describe(value)} is not a web address; expected something like "
                "https://slack.com/api/"
            )
        # The Slack SDK joins method names onto the base, so it must end with a slash.
        url = value.strip()
        return url if url.endswith("/") else url + "/"

    @property
    def slack_configured(self) -> bool:
        """Whether a Slack bot token is set (the Slack adapter can start)."""
        return self.slack_bot_token is not None

    @property
    def socket_mode(self) -> bool:
        """Whether Slack should connect over Socket Mode instead of receiving HTTP requests."""
        return self.slack_app_token is not None

    def problems(self) -> list[str]:
        """Combinations of variables that cannot work, each as `<VARIABLE>: <what to do>`."""
        problems: list[str] = []
        slack_other = self.slack_signing_secret or self.slack_app_token
        if self.slack_bot_token and not slack_other:
            problems.append(
                "SLACK_SIGNING_SECRET: missing; Slack requests cannot be verified without it "
                "(or set SLACK_APP_TOKEN to use Socket Mode)"
            )
        if slack_other and not self.slack_bot_token:
            problems.append("SLACK_BOT_TOKEN: missing; Slack needs the bot token (xoxb-…)")
        if self.microsoft_app_password and not self.microsoft_app_id:
            problems.append(
                "MICROSOFT_APP_ID: missing; without it Teams requests are not authenticated"
            )
        if (
            self.microsoft_app_id
            and not self.microsoft_app_password
            and self.microsoft_app_type != "UserAssignedMSI"
        ):
            problems.append(
                "MICROSOFT_APP_PASSWORD: missing; the Bot Framework app needs its client secret "
                "(unless MICROSOFT_APP_TYPE is UserAssignedMSI)"
            )
        if self.microsoft_app_type == "SingleTenant" and not self.microsoft_app_tenant_id:
            problems.append(
                "MICROSOFT_APP_TENANT_ID: missing; a SingleTenant app needs its tenant id"
            )
        return problems

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        for name, value in super().__repr_args__():
            if name == "database_url" and isinstance(value, str):
                yield name, mask_url(value)
            else:
                yield name, value


def load_environment(
    environ: Mapping[str, str] | None = None, *, check_combinations: bool = True
) -> Environment:
    """The validated environment; raise ConfigError listing every problem with its variable.

    `check_combinations=False` skips the checks that only matter to a running server (such as
    an app id without its password), for commands like `teams-package` that need less.
    """
    # Environment values may be secrets: no problem message repeats one.
    with values_hidden():
        try:
            env = Environment.from_environ(environ)
        except ValidationError as exc:
            problems = validation_problems(
                exc, Environment, path=lambda loc: ".".join(str(part) for part in loc).upper()
            )
            raise ConfigError(ENVIRONMENT_SOURCE, problems) from None
    problems = env.problems() if check_combinations else []
    if problems:
        raise ConfigError(ENVIRONMENT_SOURCE, problems)
    return env
