"""Loading settings from files and the environment, and checking a config file."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import FrontlineConfig, Settings, check_config, load_settings
from bot.errors import ConfigError
from bot.flags.models import Severity

VALID = "timezone: Europe/Berlin\nseverities:\n  high: {ack_within: 5m}\n"


def test_no_file_gives_the_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)

    settings = load_settings(environ={})

    assert isinstance(settings, Settings)
    assert settings.config == FrontlineConfig()
    assert settings.config_source == "defaults (no frontline.yml found)"
    assert settings.env.slack_bot_token is None


def test_the_default_path_is_frontline_yml_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "frontline.yml").write_text(VALID, encoding="utf-8")

    settings = load_settings(environ={})

    assert settings.config_source == "frontline.yml"
    assert settings.config.timezone == "Europe/Berlin"


def test_frontline_config_variable_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "custom.yml"
    path.write_text(VALID, encoding="utf-8")

    settings = load_settings(environ={"FRONTLINE_CONFIG": str(path)})

    assert settings.config_source == str(path)
    assert settings.config.severity(Severity.HIGH).ack_within == timedelta(minutes=5)


def test_an_explicit_path_wins_over_the_variable(tmp_path: Path) -> None:
    chosen = tmp_path / "chosen.yml"
    chosen.write_text("timezone: Asia/Tokyo\n", encoding="utf-8")

    settings = load_settings(
        config_path=str(chosen), environ={"FRONTLINE_CONFIG": str(tmp_path / "other.yml")}
    )

    assert settings.config.timezone == "Asia/Tokyo"


def test_environ_defaults_to_os_environ(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "from-env.yml"
    path.write_text("timezone: America/New_York\n", encoding="utf-8")
    monkeypatch.setenv("FRONTLINE_CONFIG", str(path))
    monkeypatch.setenv("FRONTLINE_PORT", "4321")

    settings = load_settings()

    assert settings.config.timezone == "America/New_York"
    assert settings.env.frontline_port == 4321


def test_settings_are_frozen(tmp_path: Path) -> None:
    settings = load_settings(config_path=str(tmp_path / "none.yml"), environ={})

    with pytest.raises(AttributeError):
        settings.config = FrontlineConfig()  # type: ignore[misc]


def test_a_broken_file_raises_config_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "frontline.yml"
    path.write_text("timezone: Atlantis\nthemes: {similarity: 7}\n", encoding="utf-8")

    with pytest.raises(ConfigError) as caught:
        load_settings(config_path=str(path), environ={})

    assert caught.value.source == str(path)
    assert [problem.split(":")[0] for problem in caught.value.problems] == [
        "timezone",
        "themes.similarity",
    ]


def test_environment_and_file_problems_are_reported_together(tmp_path: Path) -> None:
    path = tmp_path / "frontline.yml"
    path.write_text("timezone: Atlantis\n", encoding="utf-8")

    with pytest.raises(ConfigError) as caught:
        load_settings(config_path=str(path), environ={"FRONTLINE_PORT": "x"})

    assert caught.value.source == f"environment and {path}"
    assert [problem.split(":")[0] for problem in caught.value.problems] == [
        "FRONTLINE_PORT",
        "timezone",
    ]


def test_a_bad_environment_still_finds_the_file_it_names(tmp_path: Path) -> None:
    path = tmp_path / "named.yml"
    path.write_text("timezone: Atlantis\n", encoding="utf-8")

    with pytest.raises(ConfigError) as caught:
        load_settings(environ={"FRONTLINE_CONFIG": str(path), "FRONTLINE_LOG_LEVEL": "x"})

    assert any(problem.startswith("timezone:") for problem in caught.value.problems)


def test_check_config_lists_problems(tmp_path: Path) -> None:
    path = tmp_path / "frontline.yml"
    path.write_text("timezone: UTC\n", encoding="utf-8")
    assert check_config(path) == []

    path.write_text("business_hours:\n  days: [mon, funday]\n", encoding="utf-8")
    assert check_config(str(path)) == [
        "business_hours.days[1]: 'funday' is not a weekday; "
        "expected mon, tue, wed, thu, fri, sat or sun"
    ]


def test_check_config_on_a_missing_file(tmp_path: Path) -> None:
    problems = check_config(tmp_path / "nope.yml")

    assert problems == [
        "the file does not exist; check the path, or write a commented example there with "
        f"`frontline init {tmp_path / 'nope.yml'}`"
    ]


def test_a_missing_file_named_by_path_is_refused_when_required(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.yml")

    with pytest.raises(ConfigError) as caught:
        load_settings(config_path=missing, environ={}, named_file_required=True)

    assert caught.value.source == missing
    assert caught.value.problems[0].startswith("the file does not exist")
    # Without the requirement (tests, embedding), a missing file still means the defaults.
    assert load_settings(config_path=missing, environ={}).config == FrontlineConfig()


def test_a_missing_file_named_by_frontline_config_is_refused_when_required(
    tmp_path: Path,
) -> None:
    missing = str(tmp_path / "nope.yml")

    with pytest.raises(ConfigError) as caught:
        load_settings(environ={"FRONTLINE_CONFIG": missing}, named_file_required=True)

    assert caught.value.source == "environment"
    assert caught.value.problems == [
        f"FRONTLINE_CONFIG: names {missing!r}, which does not exist; check the path, write a "
        "commented example there with `frontline init`, or unset FRONTLINE_CONFIG to use "
        "./frontline.yml"
    ]


def test_a_missing_default_file_is_fine_even_when_named_files_are_required(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    settings = load_settings(environ={}, named_file_required=True)

    assert settings.config_source == "defaults (no frontline.yml found)"


def test_a_huge_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "frontline.yml"
    path.write_bytes(b"# padding\n" * 200_000)

    problems = check_config(path)

    assert len(problems) == 1
    assert problems[0].startswith("the file is 2,000,000 bytes")


def test_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "frontline.yml"
    path.write_bytes(b"timezone: UTC\nchannels:\n  slack: {escalations: caf\xe9}\n")

    problems = check_config(path)

    assert problems == ["line 3: byte 50 (0xE9) is not UTF-8 text; save the file as UTF-8"]


def test_a_utf8_byte_order_mark_is_fine(tmp_path: Path) -> None:
    path = tmp_path / "frontline.yml"
    path.write_bytes(b"\xef\xbb\xbftimezone: Europe/Paris\n")

    assert check_config(path) == []


def test_a_directory_is_not_a_config_file(tmp_path: Path) -> None:
    problems = check_config(tmp_path)

    assert problems == ["this is a directory, not a file"]
