"""A fake Bot Framework connector: the `serviceUrl` Teams activities point the bot at.

It runs on a free loopback port, records every call the bot makes (new conversations, sends,
replies, updates, roster look-ups) and can refuse calls the way Teams does (429 with
Retry-After, 403 for a conversation the bot is not in, a 502 after the card was created),
or answer slowly.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from aiohttp import web
from aiohttp.test_utils import TestServer


@dataclass
class Call:
    """One request the bot made: kind is create | send | reply | update | member."""

    kind: str
    conversation_id: str
    activity_id: str | None
    body: dict[str, Any]
    answered: int = 200
    result: dict[str, Any] = field(default_factory=dict)
    took_effect: bool = True  # False when refused before doing anything
    late_error: web.Response | None = None  # an error answered after doing it

    def texts(self) -> str:
        """Every piece of text the sent activity shows, card text blocks included."""
        activity = self.body.get("activity", self.body)
        return "\n".join(_texts(activity))


def _texts(node: Any) -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("text", "title", "summary") and isinstance(value, str):
                found.append(value)
            else:
                found.extend(_texts(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(_texts(item))
    return found


@dataclass
class Refusal:
    kind: str
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    code: str = "Throttled"
    after_doing_it: bool = False  # the call takes effect, then the answer is the error


class FakeConnector:
    """Records what the bot sends to Teams; answers the way the Bot Connector API does."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.members: dict[str, dict[str, Any]] = {}
        self.refused_conversations: dict[str, tuple[int, str]] = {}
        self._refusals: list[Refusal] = []
        self.delay = 0.0  # seconds before each answer (a slow connector)
        self._ids = itertools.count(1795424405001)
        self._server: TestServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return str(self._server.make_url("/"))

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/v3/conversations", self._create)
        app.router.add_post("/v3/conversations/{cid}/activities", self._send)
        app.router.add_post("/v3/conversations/{cid}/activities/{aid}", self._reply)
        app.router.add_put("/v3/conversations/{cid}/activities/{aid}", self._update)
        app.router.add_get("/v3/conversations/{cid}/members/{mid}", self._member)
        self._server = TestServer(app, host="127.0.0.1", port=0)
        await self._server.start_server()

    async def close(self) -> None:
        if self._server is not None:
            await self._server.close()

    def refuse_next(
        self, kind: str, status: int, *, retry_after: str | None = None, times: int = 1
    ) -> None:
        """Answer the next `times` calls of `kind` with `status` (and Retry-After)."""
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        self._refusals.extend(Refusal(kind, status, headers) for _ in range(times))

    def fail_after_doing(self, kind: str, status: int) -> None:
        """Do the next call of `kind`, then answer `status` anyway (a 502 from a gateway)."""
        self._refusals.append(Refusal(kind, status, code="BadGateway", after_doing_it=True))

    def of(self, kind: str) -> list[Call]:
        """The calls of one kind that took effect, in order."""
        return [call for call in self.calls if call.kind == kind and call.took_effect]

    def _next_id(self) -> str:
        return str(next(self._ids))

    def _refusal(self, kind: str, conversation_id: str) -> Refusal | None:
        base = conversation_id.split(";messageid=")[0]
        if base in self.refused_conversations:
            status, code = self.refused_conversations[base]
            return Refusal(kind, status, code=code)
        for refusal in self._refusals:
            if refusal.kind == kind:
                self._refusals.remove(refusal)
                return refusal
        return None

    async def _record(self, request: web.Request, kind: str) -> tuple[Call, web.Response | None]:
        conversation_id = unquote(request.match_info.get("cid", ""))
        activity_id = request.match_info.get("aid")
        body = await request.json() if request.can_read_body else {}
        call = Call(kind, conversation_id, unquote(activity_id) if activity_id else None, body)
        self.calls.append(call)
        if self.delay:
            await asyncio.sleep(self.delay)
        refusal = self._refusal(kind, conversation_id or _channel_of(body))
        if refusal is None:
            return call, None
        call.answered = refusal.status
        call.took_effect = refusal.after_doing_it
        if refusal.after_doing_it:
            call.late_error = _error(refusal.status, refusal.code)
            return call, None
        return call, _error(refusal.status, refusal.code, refusal.headers)

    async def _create(self, request: web.Request) -> web.Response:
        call, refused = await self._record(request, "create")
        if refused is not None:
            return refused
        channel = _channel_of(call.body)
        if channel:
            message_id = self._next_id()
            return _answer(
                call, {"id": f"{channel};messageid={message_id}", "activityId": message_id}
            )
        member = (call.body.get("members") or [{}])[0].get("id", "someone")
        return _answer(call, {"id": f"a:personal-{member}"})

    async def _send(self, request: web.Request) -> web.Response:
        call, refused = await self._record(request, "send")
        return refused or _answer(call, {"id": self._next_id()})

    async def _reply(self, request: web.Request) -> web.Response:
        call, refused = await self._record(request, "reply")
        return refused or _answer(call, {"id": self._next_id()})

    async def _update(self, request: web.Request) -> web.Response:
        call, refused = await self._record(request, "update")
        return refused or _answer(call, {"id": call.activity_id})

    async def _member(self, request: web.Request) -> web.Response:
        _, refused = await self._record(request, "member")
        if refused is not None:
            return refused
        member_id = unquote(request.match_info["mid"])
        if member_id not in self.members:
            return _error(404, "MemberNotFoundInConversation")
        return web.json_response(self.members[member_id])


def _answer(call: Call, result: dict[str, Any]) -> web.Response:
    call.result = result
    return call.late_error or web.json_response(result)


def _channel_of(body: dict[str, Any]) -> str:
    channel = (body.get("channelData") or {}).get("channel") or {}
    return str(channel.get("id") or "")


def _error(status: int, code: str, headers: dict[str, str] | None = None) -> web.Response:
    body = {"error": {"code": code, "message": f"{code} (fake connector)"}}
    return web.json_response(body, status=status, headers=headers)
