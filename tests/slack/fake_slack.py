"""A fake Slack Web API on a free loopback port: records every call and answers like Slack.

It can be told to refuse (`not_in_channel`, `ratelimited` with 429 and Retry-After…), to be
slow, and it serves response URLs and a Socket Mode websocket too.

Files go up as Slack's external upload: `files.getUploadURLExternal` gives an upload URL
(`/upload/{file_id}` here), the bytes are POSTed to it (kept in `uploads`), and
`files.completeUploadExternal` shares them as a message in `history` (with `files`) and answers
with the file's `shares`. `refuse("upload", …)` fails the POST of the bytes (500 unless an error
status is given); `slow["upload"]` delays it; `files_in(channel)` lists what was shared.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import WSMsgType, web
from aiohttp.test_utils import TestServer

TEAM_ID = "T0FRONTL1"
BOT_USER_ID = "U0FRONTBOT"
BOT_ID = "B0FRONTBOT"
WORKSPACE_URL = "https://frontline-test.slack.com/"
# Unless a test says otherwise, every test user is in every channel.
EVERYONE = ("U0AGENT01", "U0AGENT02", "U0MANAGER1", "U0MANAGER2")


@dataclass
class Call:
    method: str
    params: dict[str, Any]


@dataclass
class SharedFile:
    """A file uploaded and shared with files.completeUploadExternal."""

    id: str
    name: str
    title: str
    alt_txt: str
    content: bytes
    channel: str
    ts: str  # the message that shares it
    thread_ts: str | None
    comment: str


@dataclass
class Refusal:
    error: str
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    page: str | None = None  # answer this instead of Slack's JSON (a proxy's page)
    page_type: str = "text/html"
    after_doing: bool = False  # do the work first (a 502 after the message was made)
    drop: bool = False  # do the work, then close the connection without an answer


class FakeSlack:
    """The fake; `url` is the Web API base to put in SLACK_API_URL."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.delay = 0.0
        self.slow: dict[str, float] = {}  # extra seconds before answering, by method
        self.refusals: dict[str, list[Refusal]] = {}
        self.not_member: set[str] = set()  # channels the bot has not joined yet
        self.channel_members: dict[str, list[str]] = {}  # conversations.members, by channel
        self.private: set[str] = set()  # channels the bot cannot list the members of
        self.unjoinable: set[str] = set()  # e.g. private channels: joining fails
        self.names: dict[str, str] = {}
        self.socket_outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.socket_inbox: list[dict[str, Any]] = []
        self.socket_connections = 0
        self._pumping: asyncio.Task[None] | None = None
        self.history: dict[str, list[dict[str, Any]]] = {}  # messages posted, by channel
        self.history_page = 200  # messages per page of conversations.history / replies
        self.uploads: dict[str, bytes] = {}  # bytes POSTed to an upload URL, by file id
        self.shared: list[SharedFile] = []  # files shared, oldest first
        self.answer_shares = True  # False: completeUploadExternal answers no `shares` yet
        self._pending: dict[str, dict[str, Any]] = {}  # getUploadURLExternal's params, by id
        self._files = 0
        self._ts = 1_700_000_000
        self._server: TestServer | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/respond/{name}", self._respond)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_get("/socket", self._socket)
        self._server = TestServer(app, host="127.0.0.1", port=0)
        await self._server.start_server()

    async def close(self) -> None:
        if self._server is not None:
            await self._server.close()

    @property
    def base(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.port}"

    @property
    def url(self) -> str:
        return f"{self.base}/api/"

    def response_url(self, name: str = "cmd") -> str:
        return f"{self.base}/respond/{name}"

    def refuse(
        self,
        method: str,
        error: str,
        *,
        times: int = 1,
        status: int = 200,
        page: str | None = None,
        page_type: str = "text/html",
        after_doing: bool = False,
        drop: bool = False,
        **headers: str,
    ) -> None:
        """Answer the next `times` calls of `method` with `{"ok": false, "error": error}`
        (with `page`: that HTML instead; `after_doing`: having done what was asked; `drop`:
        having done it, close the connection without answering)."""
        header_map = {k.replace("_", "-"): v for k, v in headers.items()}
        refusal = Refusal(error, status, header_map, page, page_type, after_doing or drop, drop)
        self.refusals.setdefault(method, []).extend([refusal] * times)

    def called(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    def methods(self) -> list[str]:
        return [call.method for call in self.calls]

    def files_in(self, channel: str) -> list[SharedFile]:
        """The files shared in `channel` (in any of its threads), oldest first."""
        return [file for file in self.shared if file.channel == channel]

    async def wait_for(self, check: Callable[[], bool], within: float = 5.0) -> None:
        deadline = time.monotonic() + within
        while not check():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; calls so far: {self.methods()}")
            await asyncio.sleep(0.01)

    def next_ts(self) -> str:
        self._ts += 1
        return f"{self._ts}.000100"

    async def _api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        params = await _params(request)
        self.calls.append(Call(method, params))
        pending = self.refusals.get(method)
        refusal = pending.pop(0) if pending else None
        # A slow answer still does its work first, as Slack does: a message posted but
        # answered too late for the client exists all the same.
        doing = refusal is None or refusal.after_doing
        answer = self._answer(method, params) if doing else None
        if self.delay or method in self.slow:
            await asyncio.sleep(self.delay + self.slow.get(method, 0.0))
        if refusal is not None and refusal.drop and request.transport is not None:
            request.transport.close()
            return web.Response()  # never reaches the client: the connection is gone
        if refusal is not None and refusal.page is not None:
            return web.Response(
                text=refusal.page, status=refusal.status, content_type=refusal.page_type
            )
        if refusal is not None:
            return web.json_response(
                {"ok": False, "error": refusal.error},
                status=refusal.status,
                headers=refusal.headers,
            )
        return web.json_response(answer)

    def _answer(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        channel = str(params.get("channel", ""))
        if method == "auth.test":
            return {
                "ok": True,
                "url": WORKSPACE_URL,
                "team": "Frontline Test",
                "user": "frontline",
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "bot_id": BOT_ID,
                "is_enterprise_install": False,
            }
        if method in ("chat.postMessage", "chat.update") and channel in self.not_member:
            return {"ok": False, "error": "not_in_channel"}
        if method == "files.getUploadURLExternal":
            return self._upload_url(params)
        if method == "files.completeUploadExternal":
            return self._complete_upload(params)
        if method == "chat.postMessage":
            ts = self.next_ts()
            message = {"ts": ts, "text": params.get("text", "")}
            if params.get("thread_ts"):
                message["thread_ts"] = params["thread_ts"]
            if isinstance(params.get("metadata"), dict):
                message["metadata"] = params["metadata"]
            self.history.setdefault(channel, []).append(message)
            return {"ok": True, "channel": channel, "ts": ts, "message": {"ts": ts}}
        if method in ("conversations.history", "conversations.replies"):
            thread = params.get("ts")
            found = [
                m
                for m in reversed(self.history.get(channel, []))
                if method == "conversations.history" or m.get("thread_ts") == thread
            ]
            if str(params.get("include_all_metadata")).lower() not in ("true", "1"):
                found = [{k: v for k, v in m.items() if k != "metadata"} for m in found]
            # Pages of `history_page` messages (Slack's own pages hold up to `limit`).
            start = int(params.get("cursor") or 0)
            page = found[start : start + self.history_page]
            more = start + self.history_page < len(found)
            answer: dict[str, Any] = {"ok": True, "messages": page, "has_more": more}
            if more:
                answer["response_metadata"] = {"next_cursor": str(start + self.history_page)}
            return answer
        if method == "chat.update":
            return {"ok": True, "channel": channel, "ts": params.get("ts")}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": self.next_ts()}
        if method == "chat.getPermalink":
            ts = str(params.get("message_ts", "")).replace(".", "")
            link = f"{WORKSPACE_URL}archives/{channel}/p{ts}"
            return {"ok": True, "channel": channel, "permalink": link}
        if method == "conversations.join":
            if channel in self.unjoinable:
                return {"ok": False, "error": "method_not_supported_for_channel_type"}
            self.not_member.discard(channel)
            return {"ok": True, "channel": {"id": channel}}
        if method == "conversations.members":
            if channel in self.channel_members:
                return {"ok": True, "members": list(self.channel_members[channel])}
            if channel in self.private:
                return {"ok": False, "error": "channel_not_found"}
            return {"ok": True, "members": list(EVERYONE)}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": f"D{params.get('users')}"}}
        if method == "users.info":
            user = str(params.get("user"))
            name = self.names.get(user, user.lower())
            profile = {"display_name": name, "real_name": name.title()}
            return {"ok": True, "user": {"id": user, "name": name, "profile": profile}}
        if method in ("views.open", "views.publish"):
            return {"ok": True, "view": {"id": f"V{self.next_ts().replace('.', '')}"}}
        if method == "apps.connections.open":
            return {"ok": True, "url": self.base.replace("http", "ws") + "/socket"}
        return {"ok": False, "error": "unknown_method"}

    def _upload_url(self, params: dict[str, Any]) -> dict[str, Any]:
        filename, length = params.get("filename"), str(params.get("length", ""))
        if not filename or not length.isdigit() or int(length) <= 0:
            return {"ok": False, "error": "invalid_arguments"}
        self._files += 1
        file_id = f"F0UPLOAD{self._files:04d}"
        self._pending[file_id] = {"name": str(filename), "alt_txt": params.get("alt_txt", "")}
        return {"ok": True, "upload_url": f"{self.base}/upload/{file_id}", "file_id": file_id}

    def _complete_upload(self, params: dict[str, Any]) -> dict[str, Any]:
        files = params.get("files")
        files = json.loads(files) if isinstance(files, str) else files
        if not isinstance(files, list) or not files:
            return {"ok": False, "error": "invalid_arguments"}
        if any(str(f.get("id")) not in self.uploads for f in files):
            return {"ok": False, "error": "file_not_found"}  # never uploaded
        channel = str(params.get("channel_id") or "")
        if not channel:
            return {"ok": False, "error": "invalid_arguments"}  # private files: not needed
        if channel in self.not_member:
            return {"ok": False, "error": "not_in_channel"}
        ts, thread_ts = self.next_ts(), params.get("thread_ts") or None
        comment = str(params.get("initial_comment") or "")
        shown = []
        for f in files:
            file_id = str(f["id"])
            pending = self._pending[file_id]
            title = str(f.get("title") or pending["name"])
            self.shared.append(
                SharedFile(
                    file_id,
                    pending["name"],
                    title,
                    str(pending["alt_txt"] or ""),
                    self.uploads[file_id],
                    channel,
                    ts,
                    thread_ts,
                    comment,
                )
            )
            shown.append({"id": file_id, "name": pending["name"], "title": title})
        message: dict[str, Any] = {"ts": ts, "text": comment, "files": shown}
        if thread_ts:
            message["thread_ts"] = thread_ts
        self.history.setdefault(channel, []).append(message)
        share = {"ts": ts, **({"thread_ts": thread_ts} if thread_ts else {})}
        visibility = "private" if channel in self.private else "public"
        shares = {visibility: {channel: [share]}} if self.answer_shares else {}
        return {"ok": True, "files": [{**f, "shares": shares} for f in shown]}

    async def _upload(self, request: web.Request) -> web.Response:
        """An upload URL: keeps the bytes (a raw body, as slack_sdk sends, or a form's file)."""
        file_id = request.match_info["file_id"]
        if request.content_type.startswith("multipart/"):
            form = await request.post()
            part = next(iter(form.values()), b"")
            content = part.file.read() if isinstance(part, web.FileField) else str(part).encode()
        else:
            content = await request.read()
        self.calls.append(Call("upload", {"file_id": file_id, "length": len(content)}))
        pending = self.refusals.get("upload")
        refusal = pending.pop(0) if pending else None
        if self.delay or "upload" in self.slow:
            await asyncio.sleep(self.delay + self.slow.get("upload", 0.0))
        if refusal is not None:
            status = refusal.status if refusal.status >= 400 else 500
            return web.Response(text=refusal.error, status=status, headers=refusal.headers)
        if file_id not in self._pending:
            return web.Response(text="unknown upload", status=404)
        self.uploads[file_id] = content
        return web.Response(text=f"OK - {len(content)}")

    async def _respond(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.calls.append(Call("response_url", {"name": request.match_info["name"], **body}))
        if self.delay:
            await asyncio.sleep(self.delay)
        return web.Response(text="ok")

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.socket_connections += 1
        await ws.send_json(
            {
                "type": "hello",
                "num_connections": 1,
                "debug_info": {"host": "applink-fake", "approximate_connection_time": 18060},
                "connection_info": {"app_id": "A0FRONTAPP"},
            }
        )

        async def pump() -> None:
            while True:
                envelope = await self.socket_outbox.get()
                await ws.send_json(envelope)

        # Like Slack, send each envelope on one connection, the newest; and after "disconnect"
        # leave the old connection open for the client to close once it has reconnected.
        # (Closing it here made the SDK reconnect twice, sometimes losing the next envelope.)
        if self._pumping is not None:
            self._pumping.cancel()
        pumping = self._pumping = asyncio.get_running_loop().create_task(pump())
        try:
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    self.socket_inbox.append(json.loads(message.data))
        finally:
            pumping.cancel()
        return ws


async def _params(request: web.Request) -> dict[str, Any]:
    params: dict[str, Any] = dict(request.query)
    if request.can_read_body:
        raw = await request.read()
        if request.content_type == "application/json":
            params.update(json.loads(raw))
        else:
            params.update(dict(parse_qsl(raw.decode())))
    for key in ("blocks", "view", "metadata"):
        if isinstance(params.get(key), str):
            params[key] = json.loads(params[key])
    return params
