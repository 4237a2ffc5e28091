"""Passwords and secrets never appear in what Frontline prints: URLs, config errors, logs."""

from __future__ import annotations

import logging

import pytest

from bot.config.environment import load_environment
from bot.config.urls import encode_password, mask_url
from bot.errors import ConfigError
from storage.database import Database

URLS_WITH_SECRETS = [
    ("postgresql://u:hunter2@db.example/frontline", "hunter2"),
    ("postgresql://u@db.example/frontline?password=hunter2", "hunter2"),
    ("postgresql://u:hun@ter2@db.example/frontline", "ter2"),  # an unencoded @
    ("postgresql://u:hun/ter2@db.example:5432/frontline", "ter2"),  # an unencoded /
    ("postgres://db.example/frontline?user=u&sslpassword=hunter2&sslmode=require", "hunter2"),
    ("postgresql://u:pw%40x@db.example/frontline", "pw%40x"),  # already encoded
]


@pytest.mark.parametrize(("url", "secret"), URLS_WITH_SECRETS)
def test_every_way_to_write_a_password_is_masked(url: str, secret: str) -> None:
    masked = mask_url(url)
    assert secret not in masked and "hun" not in masked
    assert "***" in masked and "db.example" in masked


def test_an_unencoded_at_in_a_password_still_reaches_the_right_host() -> None:
    from sqlalchemy import make_url

    parsed = make_url(encode_password("postgresql://u:p@ss@db.example/frontline"))
    assert (parsed.password, parsed.host, parsed.database) == ("p@ss", "db.example", "frontline")


@pytest.mark.parametrize(("url", "secret"), URLS_WITH_SECRETS)
def test_the_database_url_is_logged_masked(
    url: str, secret: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        Database.from_url(url)  # connects lazily: nothing is opened
    assert "db.example" in caplog.text
    assert secret not in caplog.text and "hun" not in caplog.text


def test_environment_errors_never_repeat_a_value() -> None:
    secret = "xoxb-1234-5678-abcdefghijklmnop"
    with pytest.raises(ConfigError) as raised:
        load_environment(
            {
                "FRONTLINE_LOG_LEVEL": secret,
                "FRONTLINE_PORT": secret,
                "MICROSOFT_APP_TYPE": secret,
                "SLACK_API_URL": secret,
                "FRONTLINE_SWEEP_SECONDS": "0.01",
            }
        )
    text = str(raised.value)
    assert secret not in text and "xoxb" not in text and "0.01" not in text
    assert "FRONTLINE_LOG_LEVEL: the value set is not a log level" in text
    assert "FRONTLINE_SWEEP_SECONDS: must be at least 0.1" in text
