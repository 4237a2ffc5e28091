"""`frontline teams-package`: the manifest validates against the Teams schema; icons fit."""

from __future__ import annotations

import json
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from adapters.cli import main
from adapters.teams.package import (
    MANIFEST_VERSION,
    Developer,
    teams_manifest,
    write_teams_package,
)
from bot.config.settings import load_settings
from bot.errors import ConfigError
from tests.teams.harness import FIXTURES

APP_ID = "3b2f5e8a-6c1d-4f7e-9a2b-8d4c6e0f1a23"
DEVELOPER = Developer(
    name="Acme Support",
    website_url="https://intranet.acme.com/frontline",
    privacy_url="https://www.acme.com/privacy",
    terms_of_use_url="https://www.acme.com/terms",
)
ENVIRON = {"MICROSOFT_APP_ID": APP_ID, "MICROSOFT_APP_PASSWORD": "test-only"}
# The same, as `frontline teams-package` options or `teams_app` keys give it.
GIVEN: dict[str, str | None] = {
    "developer_name": DEVELOPER.name,
    "website_url": DEVELOPER.website_url,
    "privacy_url": DEVELOPER.privacy_url,
    "terms_of_use_url": DEVELOPER.terms_of_use_url,
}
OPTIONS = [
    "--developer-name",
    DEVELOPER.name,
    "--website-url",
    DEVELOPER.website_url,
    "--privacy-url",
    DEVELOPER.privacy_url,
    "--terms-of-use-url",
    DEVELOPER.terms_of_use_url,
]
SCHEMA = json.loads((FIXTURES / "MicrosoftTeams.schema.json").read_text(encoding="utf-8"))


def validate(manifest: dict[str, Any]) -> None:
    # The schema says draft-04 but uses `const` (draft-06+); draft 7 enforces every keyword in it.
    jsonschema.Draft7Validator(SCHEMA, format_checker=jsonschema.FormatChecker()).validate(manifest)


def read_png(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and the unfiltered RGBA rows of a PNG written with filter type 0."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, idat = 8, b""
    width = height = 0
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        (crc,) = struct.unpack(">I", data[position + 8 + length : position + 12 + length])
        assert crc == zlib.crc32(kind + body)
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert (depth, colour) == (8, 6)
        elif kind == b"IDAT":
            idat += body
        position += 12 + length
    raw = zlib.decompress(idat)
    stride = 1 + width * 4
    rows = [raw[i * stride : (i + 1) * stride] for i in range(height)]
    assert all(row[0] == 0 for row in rows)
    return width, height, [row[1:] for row in rows]


def settings(tmp_path: Path, **environ: str) -> Any:
    return load_settings(config_path=str(tmp_path / "absent.yml"), environ=environ)


def test_the_manifest_validates_against_the_teams_schema() -> None:
    manifest = teams_manifest(APP_ID, DEVELOPER, version="1.4.0")

    validate(manifest)
    assert (
        manifest["manifestVersion"]
        == MANIFEST_VERSION
        == SCHEMA["properties"]["manifestVersion"]["const"]
    )


def test_the_schema_check_would_catch_a_broken_manifest() -> None:
    broken = teams_manifest(APP_ID, DEVELOPER)
    broken["bots"][0]["scopes"] = ["everyone"]

    with pytest.raises(jsonschema.ValidationError):
        validate(broken)
    with pytest.raises(jsonschema.ValidationError):
        validate({**teams_manifest(APP_ID, DEVELOPER), "id": "not-a-guid"})


def test_the_manifest_describes_the_bot_and_the_message_extension() -> None:
    manifest = teams_manifest(APP_ID, DEVELOPER)

    [bot] = manifest["bots"]
    assert bot["botId"] == APP_ID
    assert bot["scopes"] == ["personal", "team", "groupChat"]
    titles = [command["title"] for command in bot["commandLists"][0]["commands"]]
    assert titles[:3] == ["flag escalate", "flag recurring", "flag update"]
    assert "flag help" in titles and len(titles) == 10
    [extension] = manifest["composeExtensions"]
    [action] = extension["commands"]
    assert extension["botId"] == APP_ID
    assert action == {
        "id": "flagMessage",
        "type": "action",
        "title": "Flag this message",
        "description": "Flag this message as a customer issue",
        "context": ["message"],
        "fetchTask": True,
    }
    permissions = manifest["authorization"]["permissions"]["resourceSpecific"]
    assert {"name": "ChannelMessage.Read.Group", "type": "Application"} in permissions


def test_the_package_holds_the_manifest_and_two_icons(tmp_path: Path) -> None:
    written = write_teams_package(
        settings(tmp_path, MICROSOFT_APP_ID=APP_ID, MICROSOFT_APP_PASSWORD="test-only"),
        tmp_path / "out" / "frontline.zip",
        developer=GIVEN,
    )

    assert written == tmp_path / "out" / "frontline.zip"
    with zipfile.ZipFile(written) as package:
        assert sorted(package.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(package.read("manifest.json"))
        color = read_png(package.read("color.png"))
        outline = read_png(package.read("outline.png"))
    validate(manifest)
    assert manifest["id"] == APP_ID
    assert manifest["developer"] == {
        "name": "Acme Support",
        "websiteUrl": "https://intranet.acme.com/frontline",
        "privacyUrl": "https://www.acme.com/privacy",
        "termsOfUseUrl": "https://www.acme.com/terms",
    }
    assert manifest["icons"] == {"color": "color.png", "outline": "outline.png"}
    assert color[:2] == (192, 192)
    assert outline[:2] == (32, 32)
    pixels = [row[i : i + 4] for row in outline[2] for i in range(0, len(row), 4)]
    assert all(pixel[:3] == b"\xff\xff\xff" for pixel in pixels)
    alphas = {pixel[3] for pixel in pixels}
    assert 0 in alphas and 255 in alphas
    assert all(row[3::4] == b"\xff" * 192 for row in color[2])


def test_a_directory_gets_the_default_file_name(tmp_path: Path) -> None:
    written = write_teams_package(
        settings(tmp_path, MICROSOFT_APP_ID=APP_ID, MICROSOFT_APP_PASSWORD="x"),
        tmp_path,
        developer=GIVEN,
    )

    assert written == tmp_path / "frontline-teams.zip"
    assert zipfile.is_zipfile(written)


def test_without_a_valid_app_id_the_package_is_refused_clearly(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as missing:
        write_teams_package(settings(tmp_path), tmp_path / "p.zip", developer=GIVEN)
    assert "MICROSOFT_APP_ID: not set" in str(missing.value)

    with pytest.raises(ConfigError) as malformed:
        write_teams_package(
            settings(tmp_path, MICROSOFT_APP_ID="frontline", MICROSOFT_APP_PASSWORD="x"),
            tmp_path / "p.zip",
            developer=GIVEN,
        )
    assert "expects a GUID" in str(malformed.value)
    assert not (tmp_path / "p.zip").exists()


def test_the_cli_writes_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MICROSOFT_APP_ID", APP_ID)
    monkeypatch.setenv("MICROSOFT_APP_PASSWORD", "test-only")
    target = tmp_path / "teams.zip"

    monkeypatch.chdir(tmp_path)

    code = main(["teams-package", str(target), *OPTIONS])

    assert code == 0
    assert zipfile.is_zipfile(target)
    assert "Upload it in Teams" in capsys.readouterr().out
    with zipfile.ZipFile(target) as package:
        manifest = json.loads(package.read("manifest.json"))
    assert manifest["developer"]["privacyUrl"] == "https://www.acme.com/privacy"


def test_without_a_publisher_the_package_is_refused_listing_what_to_give(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MICROSOFT_APP_ID", APP_ID)
    monkeypatch.chdir(tmp_path)
    target = tmp_path / "teams.zip"

    code = main(["teams-package", str(target), "--developer-name", "Acme Support"])

    assert code == 2
    assert not target.exists() and not list(tmp_path.glob("*.partial"))
    err = capsys.readouterr().err
    assert err.startswith("frontline teams-package has 3 problem")
    for option, key in [
        ("--website-url", "website_url"),
        ("--privacy-url", "privacy_url"),
        ("--terms-of-use-url", "terms_of_use_url"),
    ]:
        assert f"  - {option} (or teams_app.{key} in frontline.yml): not given; " in err
    assert "--developer-name" not in err and "Traceback" not in err


def test_placeholder_pages_are_refused(tmp_path: Path) -> None:
    given = {
        **GIVEN,
        "privacy_url": "https://www.example.com/privacy",
        "website_url": "http://intranet.acme.com",
    }

    with pytest.raises(ConfigError) as caught:
        write_teams_package(settings(tmp_path, **ENVIRON), tmp_path, developer=given)

    assert caught.value.problems == [
        "--website-url: 'http://intranet.acme.com' is not an https web address; write the full "
        "address of the page, like https://www.acme.com/privacy",
        "--privacy-url: 'https://www.example.com/privacy' is an example address; write the "
        "address of your organisation's page",
    ]
    assert not (tmp_path / "frontline-teams.zip").exists()


def test_the_publisher_comes_from_frontline_yml_and_options_override_it(tmp_path: Path) -> None:
    config = tmp_path / "frontline.yml"
    config.write_text(
        "teams_app:\n"
        "  developer_name: Acme Support\n"
        "  website_url: https://intranet.acme.com/frontline\n"
        "  privacy_url: https://www.acme.com/privacy\n"
        "  terms_of_use_url: https://www.acme.com/terms\n",
        encoding="utf-8",
    )
    loaded = load_settings(config_path=str(config), environ=ENVIRON)

    written = write_teams_package(
        loaded, tmp_path / "p.zip", developer={"terms_of_use_url": "https://legal.acme.com/t"}
    )

    with zipfile.ZipFile(written) as package:
        manifest = json.loads(package.read("manifest.json"))
    validate(manifest)
    assert manifest["developer"] == {
        "name": "Acme Support",
        "websiteUrl": "https://intranet.acme.com/frontline",
        "privacyUrl": "https://www.acme.com/privacy",
        "termsOfUseUrl": "https://legal.acme.com/t",
    }
