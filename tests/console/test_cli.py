"""The `frontline` command line, run as a new user would."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from adapters.cli import COMMANDS, main


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("DATABASE_URL", "FRONTLINE_CONFIG", "SLACK_BOT_TOKEN", "MICROSOFT_APP_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    for name, description in COMMANDS.items():
        assert name in out
        assert description[:30] in " ".join(out.split())


def test_demo_tells_the_escalation_story(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    story = [
        "/flag escalate checkout fails for all EU cards ZD-9912 sev:high",
        "#escalations · message 1 · Frontline",
        "reply 1 on it",
        "message 1 updated in place",
        "Status: ✅ Acknowledged by @maria after 6 min",
        "DM to @ana from Frontline",
        "already acknowledged by @maria; they stay the owner",
        "Status: ✔️ Resolved by @maria",
        "also acknowledged by @tom",
    ]
    positions = [out.find(step) for step in story]
    assert -1 not in positions, [s for s, p in zip(story, positions, strict=True) if p == -1]
    assert positions[:5] == sorted(positions[:5])  # told in order
    assert "Traceback" not in out
    # A week of unanswered customers: each manager nudge counts once, in its heading.
    assert "⏰ 4 flags need a manager (nudge 1 of 2):" in out
    assert "⏰ 4 flags need a manager (nudge 2 of 2):" in out
    assert not list(Path.cwd().glob("*.db"))  # the demo leaves no database behind


def test_init_then_check_config(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["init"]) == 0
    assert (tmp_path / "frontline.yml").exists()
    assert main(["init"]) == 1  # never overwrites silently
    assert main(["check-config"]) == 0
    assert "frontline.yml is valid" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("FRONTLINE_LOG_LEVEL", "chatty", "FRONTLINE_LOG_LEVEL: the value set is not a log level"),
        ("DATABASE_URL", "mysql://x@127.0.0.1/db", "DATABASE_URL: names 'mysql'"),
        ("SLACK_BOT_TOKEN", "xoxb-1", "SLACK_SIGNING_SECRET: missing"),
    ],
)
def test_check_config_checks_the_environment_serve_reads(
    variable: str,
    value: str,
    says: str,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert main(["init"]) == 0
    capsys.readouterr()
    monkeypatch.setenv(variable, value)
    assert main(["check-config"]) == 1
    out = capsys.readouterr().out
    assert "environment has 1 problem:" in out and says in out
    assert "frontline.yml is valid" in out  # the file's own verdict still said
    assert value not in out  # values may be secrets


def test_init_writes_the_file_frontline_config_names(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "etc").mkdir()
    monkeypatch.setenv("FRONTLINE_CONFIG", "etc/frontline.yml")

    assert main(["init"]) == 0

    assert (tmp_path / "etc" / "frontline.yml").exists()
    assert not (tmp_path / "frontline.yml").exists()
    out = capsys.readouterr().out
    assert "Wrote etc/frontline.yml (the file FRONTLINE_CONFIG names)." in out
    assert main(["check-config"]) == 0  # what serve reads is what init wrote
    assert "etc/frontline.yml is valid" in capsys.readouterr().out


def test_init_writes_the_file_config_names(tmp_path: Path) -> None:
    assert main(["--config", "team.yml", "init"]) == 0

    assert (tmp_path / "team.yml").exists() and not (tmp_path / "frontline.yml").exists()


def test_init_into_a_missing_folder_is_one_clear_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["init", "no/such/folder/frontline.yml"]) == 1

    err = capsys.readouterr().err
    assert err.startswith("frontline: cannot write no/such/folder/frontline.yml")
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "command",
    [
        ["serve"],
        ["console"],
        ["digest", "--preview"],
        ["outbox"],
        ["export"],
        ["db", "upgrade"],
    ],
)
@pytest.mark.parametrize("named_by", ["--config", "FRONTLINE_CONFIG"])
def test_a_named_config_file_that_does_not_exist_stops_the_command(
    command: list[str],
    named_by: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    def serve_on_defaults(*args: object, **kwargs: object) -> None:
        raise AssertionError("serve started on the defaults")

    monkeypatch.setattr("adapters.http.serve.serve", serve_on_defaults)
    if named_by == "--config":
        argv = ["--config", "nope.yml", *command]
    else:
        monkeypatch.setenv("FRONTLINE_CONFIG", "nope.yml")
        argv = command

    assert main(argv) == 2

    err = capsys.readouterr().err
    if named_by == "--config":
        assert err.startswith("nope.yml has 1 problem")
        assert "the file does not exist; check the path" in err
    else:
        assert err.startswith("environment has 1 problem")
        assert "FRONTLINE_CONFIG: names 'nope.yml', which does not exist" in err
    assert "Traceback" not in err
    assert not list(tmp_path.iterdir())  # no database, no console state


def test_check_config_on_a_named_file_that_does_not_exist(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["check-config", "nope.yml"]) == 1
    assert capsys.readouterr().out.startswith("nope.yml: the file does not exist")

    monkeypatch.setenv("FRONTLINE_CONFIG", "other.yml")
    assert main(["check-config"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("other.yml: the file does not exist")
    assert "defaults" not in out


def test_check_config_without_any_file_says_the_defaults_apply(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["check-config"]) == 0
    assert "frontline.yml not found: the defaults will be used." in capsys.readouterr().out


def test_check_config_names_the_key_path(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "bad.yml").write_text("severities:\n  high:\n    ack_within: soon\n")
    assert main(["check-config", "bad.yml"]) == 1
    out = capsys.readouterr().out
    assert "severities.high.ack_within" in out and "soon" in out


def test_broken_config_stops_start_with_a_clear_message(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "frontline.yml").write_text("channels: [oops\n")
    assert main(["db", "upgrade"]) == 2
    err = capsys.readouterr().err
    assert "frontline.yml" in err and "line" in err
    assert "Traceback" not in err


def test_db_upgrade_creates_the_embedded_default(tmp_path: Path) -> None:
    assert main(["db", "upgrade"]) == 0
    tables = {
        row[0]
        for row in sqlite3.connect(tmp_path / "frontline.db").execute(
            "select name from sqlite_master where type='table'"
        )
    }
    assert {"flags", "timeline_events", "themes", "alembic_version"} <= tables


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("nonsense", "DATABASE_URL is not a database URL"),
        ("mysql://x@127.0.0.1/db", "Frontline runs on SQLite"),
        ("sqlite:////nonexistent/dir/x.db", "cannot use the database SQLite file"),
    ],
)
def test_an_unusable_database_is_a_clear_message(
    url: str, says: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", url)
    assert main(["db", "upgrade"]) == 1
    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err


def test_teams_package_needs_only_the_app_id_and_the_publisher(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("MICROSOFT_APP_ID", "3b2f5e8a-6c1d-4f7e-9a2b-8d4c6e0f1a23")
    monkeypatch.delenv("MICROSOFT_APP_PASSWORD", raising=False)
    publisher = [
        "--developer-name=Acme Support",
        "--website-url=https://intranet.acme.com/frontline",
        "--privacy-url=https://www.acme.com/privacy",
        "--terms-of-use-url=https://www.acme.com/terms",
    ]
    assert main(["teams-package", "frontline.zip", *publisher]) == 0
    assert (tmp_path / "frontline.zip").stat().st_size > 0


def test_a_database_from_a_newer_frontline_is_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["db", "upgrade"]) == 0
    with sqlite3.connect(tmp_path / "frontline.db") as connection:
        connection.execute("UPDATE alembic_version SET version_num = '0099_from_the_future'")
    capsys.readouterr()

    assert main(["db", "upgrade"]) == 1
    err = capsys.readouterr().err
    assert (
        "was migrated by a newer version of Frontline (schema revision 0099_from_the_future)" in err
    )
    assert "cannot take a database back" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
