"""Configuration: frontline.yml (typed, frozen, validated with key paths) and the environment."""

from bot.config.digests import DigestSchedule, DigestsConfig
from bot.config.environment import Environment, load_environment
from bot.config.example import EXAMPLE_CONFIG, write_example
from bot.config.loading import MAX_CONFIG_BYTES, load_config_file, parse_config
from bot.config.models import (
    AckPolicy,
    BusinessHours,
    FrontlineConfig,
    ManagerGroup,
    PlatformChannels,
    SeverityPolicy,
    TicketsConfig,
)
from bot.config.settings import Settings, check_config, load_settings
from bot.config.themes import RoutingRule, ThemesConfig, ThemeThreshold

__all__ = [
    "EXAMPLE_CONFIG",
    "MAX_CONFIG_BYTES",
    "AckPolicy",
    "BusinessHours",
    "DigestSchedule",
    "DigestsConfig",
    "Environment",
    "FrontlineConfig",
    "ManagerGroup",
    "PlatformChannels",
    "RoutingRule",
    "Settings",
    "SeverityPolicy",
    "ThemeThreshold",
    "ThemesConfig",
    "TicketsConfig",
    "check_config",
    "load_config_file",
    "load_environment",
    "load_settings",
    "parse_config",
    "write_example",
]
