"""`frontline teams-package`: the Teams app manifest and icons, zipped, ready to upload."""

from __future__ import annotations

import json
import re
import zipfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from adapters.teams.forms import MESSAGE_ACTION_COMMAND, MESSAGE_ACTION_TITLE
from adapters.teams.icons import color_icon, outline_icon
from bot.config.models import TeamsAppConfig
from bot.config.problems import Loc, validation_problems
from bot.config.settings import Settings
from bot.errors import ConfigError
from bot.flags.text import USAGE

MANIFEST_VERSION = "1.22"
MANIFEST_SCHEMA = (
    f"https://developer.microsoft.com/json-schemas/teams/v{MANIFEST_VERSION}/"
    "MicrosoftTeams.schema.json"
)
PACKAGE_NAME = "frontline-teams.zip"
PACKAGE_SOURCE = "frontline teams-package"
ACCENT_COLOR = "#C94A12"
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_COMMANDS = (
    "escalate",
    "recurring",
    "update",
    "resolve",
    "snooze",
    "show",
    "mine",
    "themes",
    "stats",
    "help",
)
# Reading every channel/chat message lets managers answer `on it` without @mentioning the bot.
_RESOURCE_SPECIFIC = (
    {"name": "ChannelMessage.Read.Group", "type": "Application"},
    {"name": "ChatMessage.Read.Chat", "type": "Application"},
)


@dataclass(frozen=True)
class Developer:
    """Who publishes the app: the manifest's `developer`, shown to everyone who installs it."""

    name: str
    website_url: str
    privacy_url: str
    terms_of_use_url: str


def developer_option(key: str) -> str:
    """The `frontline teams-package` option that gives the `teams_app` key `key`."""
    return "--" + key.replace("_", "-")


def _option(loc: Loc) -> str:
    return developer_option(str(loc[0])) if loc else "(options)"


def package_developer(
    configured: TeamsAppConfig, given: dict[str, str | None]
) -> tuple[Developer | None, list[str]]:
    """The developer from the options `given` (by `teams_app` key), else from frontline.yml.

    Returns every problem instead when a value is missing or unusable: a package never carries
    placeholders, because Teams shows these to everyone who installs the app.
    """
    values: dict[str, str] = {}
    problems: list[str] = []
    for key, field in TeamsAppConfig.model_fields.items():
        value = given.get(key)
        if value is not None:
            try:
                value = getattr(TeamsAppConfig.model_validate({key: value}), key)
            except ValidationError as exc:
                problems.extend(validation_problems(exc, TeamsAppConfig, path=_option))
                continue
        value = value or getattr(configured, key)
        if value is None:
            problems.append(
                f"{developer_option(key)} (or teams_app.{key} in frontline.yml): not given; "
                f"{field.description}"
            )
        else:
            values[key] = value
    if problems:
        return None, problems
    developer = Developer(
        name=values["developer_name"],
        website_url=values["website_url"],
        privacy_url=values["privacy_url"],
        terms_of_use_url=values["terms_of_use_url"],
    )
    return developer, []


def _app_id_problems(app_id: str) -> list[str]:
    if not app_id:
        return [
            "MICROSOFT_APP_ID: not set; the Teams app package names the bot by its "
            "Microsoft App ID (Azure Bot → Configuration)"
        ]
    if not _GUID.match(app_id):
        return [
            f"MICROSOFT_APP_ID: {app_id[:60]!r} is not an app id; Teams expects a GUID "
            "like 00000000-0000-0000-0000-000000000000"
        ]
    return []


def _app_version() -> str:
    try:
        return metadata.version("frontline-bot")
    except metadata.PackageNotFoundError:
        return "0.1.0"


def _command_list() -> list[dict[str, str]]:
    return [
        {"title": f"flag {name}", "description": USAGE[name].removeprefix("/")}
        for name in _COMMANDS
    ]


def teams_manifest(
    app_id: str, developer: Developer, *, version: str | None = None
) -> dict[str, Any]:
    """The app manifest for the bot registered as `app_id`, published by `developer`."""
    commands = _command_list()
    return {
        "$schema": MANIFEST_SCHEMA,
        "manifestVersion": MANIFEST_VERSION,
        "version": version or _app_version(),
        "id": app_id,
        "developer": {
            "name": developer.name,
            "websiteUrl": developer.website_url,
            "privacyUrl": developer.privacy_url,
            "termsOfUseUrl": developer.terms_of_use_url,
        },
        "name": {"short": "Frontline", "full": "Frontline: no customer left in silence"},
        "description": {
            "short": "Flag customer issues; escalations get owners, recurring problems a team.",
            "full": (
                "Frontline turns what support agents notice into action. Agents flag issues "
                'with `@Frontline flag …`, a form, or "Flag this message"; escalations are '
                "posted for managers, who acknowledge them in the reply chain; customers "
                "waiting on an answer get an update clock; recurring problems are grouped "
                "into themes and routed to the product team that owns them."
            ),
        },
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": ACCENT_COLOR,
        "bots": [
            {
                "botId": app_id,
                "scopes": ["personal", "team", "groupChat"],
                "isNotificationOnly": False,
                "supportsFiles": False,
                "commandLists": [
                    {"scopes": ["personal"], "commands": commands},
                    {"scopes": ["team", "groupChat"], "commands": commands},
                ],
            }
        ],
        "composeExtensions": [
            {
                "botId": app_id,
                "commands": [
                    {
                        "id": MESSAGE_ACTION_COMMAND,
                        "type": "action",
                        "title": MESSAGE_ACTION_TITLE,
                        "description": "Flag this message as a customer issue",
                        "context": ["message"],
                        "fetchTask": True,
                    }
                ],
            }
        ],
        "permissions": ["identity", "messageTeamMembers"],
        "validDomains": [],
        "webApplicationInfo": {"id": app_id, "resource": f"api://botid-{app_id}"},
        "authorization": {"permissions": {"resourceSpecific": list(_RESOURCE_SPECIFIC)}},
    }


def write_teams_package(
    settings: Settings, output: Path, *, developer: dict[str, str | None] | None = None
) -> Path:
    """Write manifest.json, color.png and outline.png zipped to `output`; returns the zip path.

    `developer` gives `teams_app` values (by key) that override frontline.yml's; ConfigError
    lists everything missing or wrong at once, and then nothing is written.
    """
    app_id = (settings.env.microsoft_app_id or "").strip()
    publisher, developer_problems = package_developer(settings.config.teams_app, developer or {})
    problems = _app_id_problems(app_id) + developer_problems
    if problems:
        raise ConfigError(PACKAGE_SOURCE, problems)
    assert publisher is not None  # no problems means every developer field is known
    target = output / PACKAGE_NAME if output.is_dir() else output
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as package:
        manifest = json.dumps(teams_manifest(app_id, publisher), indent=2, ensure_ascii=False)
        package.writestr("manifest.json", manifest + "\n")
        package.writestr("color.png", color_icon())
        package.writestr("outline.png", outline_icon())
    partial.replace(target)
    return target
