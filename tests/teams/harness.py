"""Driving the real `frontline serve` app through /api/messages with captured Teams activities."""

from __future__ import annotations

import copy
import itertools
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from adapters.http.app import RUNTIME_KEY
from adapters.http.serve import build_server_app
from adapters.wiring import Runtime
from bot.clock import FakeClock
from bot.config.settings import load_settings
from tests.settle import settled
from tests.teams.connector import FakeConnector

FIXTURES = Path(__file__).parent.parent / "fixtures" / "teams"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
SUPPORT = "19:support-channel@thread.tacv2"
ESCALATIONS = "19:escalations-channel@thread.tacv2"
GROUP_CHAT = "19:managers-chat-0f1e2d3c@thread.v2"
BOT = {"id": "28:00000000-0000-0000-0000-00000000b07", "name": "Frontline"}
ANA = {
    "id": "29:1ana-teams-user-id",
    "name": "Ana Alvarez",
    "aadObjectId": "6f1c2a4e-5b1d-4c7e-9a0b-1a2b3c4d5e01",
}
MARIA = {
    "id": "29:1maria-teams-user-id",
    "name": "Maria Novak",
    "aadObjectId": "0b9d7f3c-2e8a-4f61-b5c4-7d8e9f0a1b02",
}
TOM = {
    "id": "29:1tom-teams-user-id",
    "name": "Tom Berger",
    "aadObjectId": "2c4e6a8b-0d1f-4a3c-8e5b-7f9a1c3e5d03",
}
CONFIG = f'channels:\n  teams:\n    escalations: "{ESCALATIONS}"\n'
START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
_IDS = itertools.count(1795500000000)


def fixture(name: str) -> dict[str, Any]:
    """A captured activity from tests/fixtures/teams/."""
    loaded: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    return loaded


def _message_id() -> str:
    return str(next(_IDS))


def channel_message(
    text: str,
    *,
    sender: dict[str, str] = ANA,
    channel: str = SUPPORT,
    root: str | None = None,
    mention: bool = True,
) -> dict[str, Any]:
    """A channel message; with `root` it is a reply in that message's reply chain."""
    activity = fixture("message-channel-mention")
    message_id = _message_id()
    activity["id"] = message_id
    activity["from"] = dict(sender)
    activity["text"] = f"<at>Frontline</at> {text}" if mention else text
    activity.pop("attachments", None)
    if not mention:
        activity["entities"] = [e for e in activity["entities"] if e["type"] != "mention"]
    activity["conversation"]["id"] = f"{channel};messageid={root or message_id}"
    if root:
        activity["replyToId"] = root
    data = activity["channelData"]
    data["teamsChannelId"] = data["channel"]["id"] = channel
    return activity


def group_chat_message(
    text: str, *, sender: dict[str, str] = ANA, chat: str = GROUP_CHAT, mention: bool = True
) -> dict[str, Any]:
    """A message in a group chat (no reply chains there; only @mentions reach the bot)."""
    activity = channel_message(text, sender=sender, mention=mention)
    activity["conversation"] = {
        "isGroup": True,
        "conversationType": "groupChat",
        "tenantId": TENANT,
        "id": chat,
    }
    activity["channelData"] = {"tenant": {"id": TENANT}}
    return activity


def chain_reply(
    root: str, text: str, *, sender: dict[str, str] = MARIA, channel: str = ESCALATIONS
) -> dict[str, Any]:
    """A reply in the reply chain of `root`, without mentioning the bot (RSC delivers it)."""
    activity = fixture("message-channel-reply")
    activity["id"] = _message_id()
    activity["from"] = dict(sender)
    activity["text"] = text
    activity["replyToId"] = root
    activity["conversation"]["id"] = f"{channel};messageid={root}"
    activity["channelData"]["channel"]["id"] = channel
    activity["channelData"]["teamsChannelId"] = channel
    return activity


def personal_message(text: str, *, sender: dict[str, str] = ANA) -> dict[str, Any]:
    activity = fixture("message-personal")
    activity["id"] = _message_id()
    activity["text"] = text
    activity["from"] = dict(sender)
    activity["conversation"]["id"] = f"a:{sender['id']}-personal-chat"
    return activity


def card_press(
    verb: str,
    data: dict[str, Any],
    *,
    root: str,
    sender: dict[str, str] = MARIA,
    channel: str = ESCALATIONS,
) -> dict[str, Any]:
    """An Action.Execute on the card posted as `root` in `channel`."""
    activity = fixture("invoke-adaptive-card-action")
    activity["id"] = f"f:{_message_id()}"
    activity["from"] = dict(sender)
    activity["replyToId"] = root
    activity["conversation"]["id"] = f"{channel};messageid={root}"
    activity["channelData"]["channel"]["id"] = channel
    activity["value"]["action"].update({"verb": verb, "data": data})
    return activity


@dataclass
class Teams:
    """The running server app and the fake connector its activities point at."""

    client: TestClient[web.Request, web.Application]
    connector: FakeConnector
    clock: FakeClock

    @property
    def runtime(self) -> Runtime:
        return self.client.app[RUNTIME_KEY]  # type: ignore[index]

    async def send(
        self,
        activity: dict[str, Any],
        *,
        headers: dict[str, str] | None = None,
        settle: bool = True,
    ) -> tuple[int, Any]:
        """POST an activity to /api/messages; returns the status and the JSON body, if any."""
        body = copy.deepcopy(activity)
        body["serviceUrl"] = self.connector.url
        response = await self.client.post("/api/messages", json=body, headers=headers or {})
        payload = await response.json() if response.content_type == "application/json" else None
        if settle:
            await self.settle()  # what the activity recorded in the outbox is delivered by now
        return response.status, payload

    async def settle(self, within: float = 10.0) -> None:
        await settled(self.runtime, within)

    async def close(self) -> None:
        await self.client.close()


async def start_teams(
    tmp_path: Path,
    connector: FakeConnector,
    *,
    environ: dict[str, str] | None = None,
    config: str = CONFIG,
    clock: FakeClock | None = None,
) -> Teams:
    """`frontline serve`'s app on a SQLite file in `tmp_path` (the same file on each call)."""
    config_path = tmp_path / "frontline.yml"
    config_path.write_text(config, encoding="utf-8")
    database = f"sqlite+aiosqlite:///{tmp_path / 'frontline.db'}"
    settings = load_settings(
        config_path=str(config_path), environ={"DATABASE_URL": database, **(environ or {})}
    )
    clock = clock or FakeClock(START)
    app = await build_server_app(settings, clock=clock)
    client: TestClient[web.Request, web.Application] = TestClient(TestServer(app))
    await client.start_server()
    return Teams(client, connector, clock)
