"""`frontline teams-package`: the Teams app manifest and icons, zipped, ready to upload."""

from __future__ import annotations

import json
import re
import zipfile
from importlib import metadata
from pathlib import Path
from typing import Any

from adapters.teams.forms import MESSAGE_ACTION_COMMAND, MESSAGE_ACTION_TITLE
from adapters.teams.icons import color_icon, outline_icon
from bot.config.environment import ENVIRONMENT_SOURCE
from bot.config.settings import Settings
from bot.errors import ConfigError
from bot.flags.commands import USAGE

MANIFEST_VERSION = "1.22"
MANIFEST_SCHEMA = (
    f"https://developer.microsoft.com/json-schemas/teams/v{MANIFEST_VERSION}/"
    "MicrosoftTeams.schema.json"
)
PACKAGE_NAME = "frontline-teams.zip"
# The manifest must name a developer with https pages; admins may edit these before upload.
DEVELOPER_NAME = "Frontline"
DEVELOPER_URL = "https://github.com/frontline-bot/frontline"
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


def teams_manifest(app_id: str, *, version: str | None = None) -> dict[str, Any]:
    """The app manifest for the bot registered as `app_id`."""
    commands = _command_list()
    return {
        "$schema": MANIFEST_SCHEMA,
        "manifestVersion": MANIFEST_VERSION,
        "version": version or _app_version(),
        "id": app_id,
        "developer": {
            "name": DEVELOPER_NAME,
            "websiteUrl": DEVELOPER_URL,
            "privacyUrl": f"{DEVELOPER_URL}#privacy",
            "termsOfUseUrl": f"{DEVELOPER_URL}#license",
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


def write_teams_package(settings: Settings, output: Path) -> Path:
    """Write manifest.json, color.png and outline.png zipped to `output`; returns the zip path."""
    app_id = (settings.env.microsoft_app_id or "").strip()
    if not app_id:
        raise ConfigError(
            ENVIRONMENT_SOURCE,
            [
                "MICROSOFT_APP_ID: not set; the Teams app package names the bot by its "
                "Microsoft App ID (Azure Bot → Configuration)"
            ],
        )
    if not _GUID.match(app_id):
        raise ConfigError(
            ENVIRONMENT_SOURCE,
            [
                f"MICROSOFT_APP_ID: {app_id[:60]!r} is not an app id; Teams expects a GUID "
                "like 00000000-0000-0000-0000-000000000000"
            ],
        )
    target = output / PACKAGE_NAME if output.is_dir() else output
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as package:
        manifest = json.dumps(teams_manifest(app_id), indent=2, ensure_ascii=False)
        package.writestr("manifest.json", manifest + "\n")
        package.writestr("color.png", color_icon())
        package.writestr("outline.png", outline_icon())
    partial.replace(target)
    return target
