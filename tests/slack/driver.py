"""Drives the real `frontline serve` app with signed Slack requests built from JSON fixtures."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient

from adapters.slack.adapter import SlackAdapter
from adapters.slack.signature import signed_headers
from adapters.wiring import Runtime
from bot.clock import FakeClock
from bot.flags.models import Flag
from tests.settle import settled
from tests.slack.fake_slack import TEAM_ID, Call, FakeSlack

FIXTURES = Path(__file__).parent.parent / "fixtures" / "slack"
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
AGENT, MANAGER, OTHER_MANAGER = "U0AGENT01", "U0MANAGER1", "U0MANAGER2"
SUPPORT, ESCALATIONS = "C0SUPPORT1", "C0ESCALAT1"


def fixture(name: str, **changes: Any) -> dict[str, Any]:
    """A captured payload with some values replaced: `fixture("x", **{"event.ts": "1.2"})`."""
    data: dict[str, Any] = copy.deepcopy(json.loads((FIXTURES / f"{name}.json").read_text()))
    for path, value in changes.items():
        target: Any = data
        *parents, last = path.split(".")
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value
    return data


@dataclass
class SlackDriver:
    """The server under test, the fake Slack Web API it talks to, and ways to poke it."""

    http: TestClient[Any, Any]
    fake: FakeSlack
    adapter: SlackAdapter
    runtime: Runtime
    clock: FakeClock
    _triggers: int = 0

    async def post(
        self,
        body: bytes,
        content_type: str,
        *,
        headers: dict[str, str] | None = None,
        signed: bool = True,
    ) -> ClientResponse:
        sent = {"Content-Type": content_type, **(headers or {})}
        if signed:
            sent = {**signed_headers(SECRET, body), **sent}
        return await self.http.post("/slack/events", data=body, headers=sent)

    def trigger(self) -> str:
        self._triggers += 1
        return f"{self._triggers}00000.738474920.{self._triggers:024x}"

    async def command(
        self, text: str, *, user: str = AGENT, channel: str = SUPPORT
    ) -> ClientResponse:
        """`/flag <text>` typed by `user` in `channel`."""
        form = fixture(
            "slash_command",
            text=text,
            user_id=user,
            user_name=user.lower(),
            channel_id=channel,
            trigger_id=self.trigger(),
            response_url=self.fake.response_url(f"cmd-{user}"),
        )
        return await self.post(urlencode(form).encode(), "application/x-www-form-urlencoded")

    async def interactive(self, payload: dict[str, Any]) -> ClientResponse:
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return await self.post(body, "application/x-www-form-urlencoded")

    async def event(self, envelope: dict[str, Any], *, retry: int | None = None) -> ClientResponse:
        headers = {}
        if retry is not None:
            headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        return await self.post(json.dumps(envelope).encode(), "application/json", headers=headers)

    async def press(
        self,
        action_id: str,
        number: int,
        *,
        user: str = MANAGER,
        post_ts: str | None = None,
        action_ts: str = "1700000100.123456",
        channel: str = ESCALATIONS,
    ) -> ClientResponse:
        """Press a button of the escalation post of flag `number`."""
        ts = post_ts or await self.post_ts(number)
        payload = fixture(
            "block_actions_message",
            **{
                "user.id": user,
                "user.username": user.lower(),
                "container.message_ts": ts,
                "container.channel_id": channel,
                "channel.id": channel,
                "message.ts": ts,
                "trigger_id": self.trigger(),
                "response_url": self.fake.response_url(f"press-{user}"),
                "actions.0.action_id": action_id,
                "actions.0.value": str(number),
                "actions.0.action_ts": action_ts,
            },
        )
        return await self.interactive(payload)

    async def settle(self, within: float = 10.0) -> None:
        """Wait until the requests so far are run and their messages due now are delivered."""
        await settled(self.runtime, within)

    async def flag(self, number: int) -> Flag:
        async with self.runtime.core.uow() as uow:
            flag = await uow.flags.get(TEAM_ID, number)
        assert flag is not None, f"F-{number} does not exist"
        return flag

    async def flag_count(self) -> int:
        async with self.runtime.core.uow() as uow:
            return len(await uow.flags.list_open(TEAM_ID))

    async def post_ts(self, number: int) -> str:
        flag = await self.flag(number)
        assert flag.post is not None, f"F-{number} was not posted"
        return flag.post.message_id

    def answers(self, user: str | None = None) -> list[str]:
        """Text shown to people: response URLs, ephemeral messages and DMs, in order.

        Response URLs are named `<kind>-<user>` by this driver, so they can be told apart.
        """
        return [
            str(call.params.get("text", ""))
            for call in self.fake.calls
            if (to := _recipient(call)) is not None and user in (None, to)
        ]


def _recipient(call: Call) -> str | None:
    """Who an answer-like call shows its text to (None for other calls)."""
    channel = str(call.params.get("channel", ""))
    if call.method == "response_url":
        return str(call.params["name"]).rsplit("-", 1)[-1]
    if call.method == "chat.postEphemeral":
        return str(call.params.get("user"))
    if call.method == "chat.postMessage" and channel.startswith("D"):
        return channel[1:]
    return None
