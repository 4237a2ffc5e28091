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
    assert not list(Path.cwd().glob("*.db"))  # the demo leaves no database behind


def test_init_then_check_config(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["init"]) == 0
    assert (tmp_path / "frontline.yml").exists()
    assert main(["init"]) == 1  # never overwrites silently
    assert main(["check-config"]) == 0
    assert "frontline.yml is valid" in capsys.readouterr().out


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


def test_teams_package_needs_only_the_app_id(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("MICROSOFT_APP_ID", "3b2f5e8a-6c1d-4f7e-9a2b-8d4c6e0f1a23")
    monkeypatch.delenv("MICROSOFT_APP_PASSWORD", raising=False)
    assert main(["teams-package", "frontline.zip"]) == 0
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
