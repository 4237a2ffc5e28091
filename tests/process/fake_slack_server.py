"""A fake Slack Web API that runs as its own process, so it outlives the server it serves.

    python -m tests.process.fake_slack_server --port-file PATH [--log PATH]

It binds 127.0.0.1 on a free port and writes that port to PATH (atomically) once it listens.

- `/api/{method}` answers like Slack: auth.test, users.info, chat.postMessage (a unique,
  increasing `ts`; `metadata` kept), chat.update, chat.postEphemeral, chat.getPermalink,
  conversations.open, conversations.join, conversations.history (top-level messages, newest
  first) and conversations.replies (the parent, then its replies oldest first, as Slack does),
  both with `metadata` only when `include_all_metadata` is true and honouring
  `oldest`/`latest`/`inclusive`/`limit` (no cursors), views.open and views.publish.
- Files, as Slack's external upload: files.getUploadURLExternal (`filename`, `length`) answers
  an `upload_url` (`/upload/{file_id}` here) and a `file_id`; `POST /upload/{file_id}` takes the
  bytes (a raw body, as slack_sdk sends them, or a form's file); files.completeUploadExternal
  (`files` as JSON, `channel_id`, `thread_ts`, `initial_comment`) shares them as a message with
  `files: [{id, name, title}]` and answers the files with their `shares` (the message's ts).
  `GET /files?channel=…` lists shared files (with `size` and base64 `content`).
- `POST /respond/{name}` is a response URL.
- Every call is recorded: `GET /calls` (optionally `?method=…`) and, with `--log`, one JSON
  line per call appended to the file and flushed, so a test can count calls from outside.
  A call is recorded when it arrives, with the outcome decided then (before any delay).
- `GET /messages?channel=…` lists the stored messages (oldest first).
- Faults: `POST /control/refuse` with a JSON rule, `POST /control/reset` to drop every rule.

A rule: `{"method": "chat.postMessage", "times": 3, "status": 429, "error": "ratelimited",
"retry_after": 30, "delay": 0.5, "mode": "refuse"}`. The next `times` calls of `method`
(`"*"` for any Web API method, `"response_url"` for response URLs, `"upload"` for the POST of
a file's bytes; `times: null` means until reset) are answered by the rule, first rule first.
Modes:

- `refuse` (default): nothing happens; `{"ok": false, "error": …}` with `status` (default 200)
  and `Retry-After` when `retry_after` is given (an upload or a response URL: the error as
  text, status 500 or 404 by default);
- `fail_after_create`: the call takes effect (the message IS posted) but the answer is an
  error, `status` default 500 — an ambiguous failure;
- `slow`: the call takes effect and is answered normally, after `delay` seconds.

`delay` (seconds) holds the answer back in every mode.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import parse_qsl

from aiohttp import web

TEAM_ID = "T0FRONTL1"
BOT_USER_ID = "U0FRONTBOT"
BOT_ID = "B0FRONTBOT"
WORKSPACE_URL = "https://frontline-test.slack.com/"
MODES = ("refuse", "fail_after_create", "slow")
TRUE = ("1", "true", "True", True, 1)
NOT_WEB_API = ("response_url", "upload")  # matched by name only, never by "*"


@dataclass
class Rule:
    method: str
    times: int | None = 1  # None: until reset
    mode: str = "refuse"
    status: int | None = None
    error: str | None = None
    retry_after: float | None = None
    delay: float = 0.0

    @classmethod
    def parse(cls, data: dict[str, Any]) -> Rule:
        method = data.get("method")
        if not isinstance(method, str) or not method:
            raise ValueError("a rule needs a method ('*' for any, 'response_url')")
        mode = str(data.get("mode", "refuse"))
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        times = data.get("times", 1)
        return cls(
            method=method,
            times=None if times is None else int(times),
            mode=mode,
            status=None if data.get("status") is None else int(data["status"]),
            error=None if data.get("error") is None else str(data["error"]),
            retry_after=None if data.get("retry_after") is None else float(data["retry_after"]),
            delay=float(data.get("delay") or 0.0),
        )

    def matches(self, method: str) -> bool:
        if self.times is not None and self.times <= 0:
            return False
        if self.method == "*":
            return method not in NOT_WEB_API
        return self.method == method

    def refusal(self) -> web.Response:
        default_status = 500 if self.mode == "fail_after_create" else 200
        default_error = "internal_error" if self.mode == "fail_after_create" else "fatal_error"
        headers = {}
        if self.retry_after is not None:
            headers["Retry-After"] = f"{self.retry_after:g}"
        return web.json_response(
            {"ok": False, "error": self.error or default_error},
            status=self.status or default_status,
            headers=headers,
        )


@dataclass
class State:
    log: IO[str] | None = None
    calls: list[dict[str, Any]] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # oldest first
    last_micros: int = 0
    views: int = 0
    uploads: dict[str, dict[str, Any]] = field(default_factory=dict)  # by file id

    def record(self, entry: dict[str, Any]) -> None:
        entry = {"seq": len(self.calls) + 1, "at": time.time(), **entry}
        self.calls.append(entry)
        if self.log is not None:
            self.log.write(json.dumps(entry, default=str) + "\n")
            self.log.flush()

    def take_rule(self, method: str) -> Rule | None:
        for rule in self.rules:
            if rule.matches(method):
                if rule.times is not None:
                    rule.times -= 1
                return rule
        return None

    def next_ts(self) -> str:
        """A Slack-like `seconds.micros` timestamp, strictly increasing, close to now."""
        self.last_micros = max(int(time.time() * 1_000_000), self.last_micros + 1)
        return f"{self.last_micros // 1_000_000}.{self.last_micros % 1_000_000:06d}"

    def find(self, channel: str, ts: str) -> dict[str, Any] | None:
        for message in self.messages.get(channel, []):
            if message["ts"] == ts:
                return message
        return None


STATE = web.AppKey("state", State)


async def api(request: web.Request) -> web.Response:
    state = request.app[STATE]
    method = request.match_info["method"]
    params = await _params(request)
    rule = state.take_rule(method)
    if rule is not None and rule.mode == "refuse":
        state.record({"method": method, "params": params, "outcome": "refused", "rule": rule.mode})
        answer = rule.refusal()
    else:
        body = _answer(state, method, params, base=f"{request.scheme}://{request.host}")
        outcome = "ok" if body.get("ok") else "error"
        entry = {"method": method, "params": params, "outcome": outcome}
        if method == "chat.postMessage" and body.get("ok"):
            entry["posted_ts"] = body["ts"]
        if method == "files.completeUploadExternal" and body.get("ok"):
            entry["posted_ts"] = _shared_ts(body)
        if rule is not None:
            entry["rule"] = rule.mode
        state.record(entry)
        if rule is not None and rule.mode == "fail_after_create":
            answer = rule.refusal()
        else:
            answer = web.json_response(body)
    if rule is not None and rule.delay > 0:
        await asyncio.sleep(rule.delay)
    return answer


async def respond(request: web.Request) -> web.Response:
    state = request.app[STATE]
    params = await _params(request)
    name = request.match_info["name"]
    rule = state.take_rule("response_url")
    refused = rule is not None and rule.mode == "refuse"
    state.record(
        {
            "method": "response_url",
            "params": {"name": name, **params},
            "outcome": "refused" if refused else "ok",
            **({"rule": rule.mode} if rule is not None else {}),
        }
    )
    if rule is not None and rule.delay > 0:
        await asyncio.sleep(rule.delay)
    if rule is not None and rule.mode != "slow":
        return web.Response(
            text=rule.error or "internal_error",
            status=rule.status or (404 if refused else 500),
        )
    return web.Response(text="ok")


async def upload(request: web.Request) -> web.Response:
    """An upload URL: keeps the bytes of a file whose URL files.getUploadURLExternal gave."""
    state = request.app[STATE]
    file_id = request.match_info["file_id"]
    if request.content_type.startswith("multipart/"):
        form = await request.post()
        part = next(iter(form.values()), b"")
        content = part.file.read() if isinstance(part, web.FileField) else str(part).encode()
    else:
        content = await request.read()
    pending = state.uploads.get(file_id)
    rule = state.take_rule("upload")
    refused = pending is None or (rule is not None and rule.mode == "refuse")
    if not refused:
        pending["content"] = content
    state.record(
        {
            "method": "upload",
            "params": {"file_id": file_id, "length": len(content)},
            "outcome": "refused" if refused else "ok",
            **({"rule": rule.mode} if rule is not None else {}),
        }
    )
    if rule is not None and rule.delay > 0:
        await asyncio.sleep(rule.delay)
    if pending is None:
        return web.Response(text="unknown upload", status=404)
    if rule is not None and rule.mode != "slow":
        return web.Response(text=rule.error or "internal_error", status=rule.status or 500)
    return web.Response(text=f"OK - {len(content)}")


def _answer(state: State, method: str, params: dict[str, Any], *, base: str = "") -> dict[str, Any]:
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
    if method == "users.info":
        user = str(params.get("user", ""))
        name = user.lower()
        profile = {"display_name": name, "real_name": name.title()}
        return {"ok": True, "user": {"id": user, "name": name, "profile": profile}}
    if method == "chat.postMessage":
        return _post(state, channel, params)
    if method == "chat.update":
        message = state.find(channel, str(params.get("ts", "")))
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        for key in ("text", "blocks", "metadata"):
            if key in params:
                message[key] = params[key]
        message["edited"] = {"user": BOT_USER_ID, "ts": state.next_ts()}
        return {"ok": True, "channel": channel, "ts": message["ts"], "text": message["text"]}
    if method == "chat.postEphemeral":
        return {"ok": True, "message_ts": state.next_ts()}
    if method == "chat.getPermalink":
        ts = str(params.get("message_ts", "")).replace(".", "")
        link = f"{WORKSPACE_URL}archives/{channel}/p{ts}"
        return {"ok": True, "channel": channel, "permalink": link}
    if method == "conversations.open":
        users = str(params.get("users", "")).split(",")[0]
        return {"ok": True, "channel": {"id": f"D{users}"}}
    if method == "conversations.join":
        return {"ok": True, "channel": {"id": channel}}
    if method == "conversations.history":
        return _history(state, channel, params)
    if method == "conversations.replies":
        return _replies(state, channel, params)
    if method == "files.getUploadURLExternal":
        return _upload_url(state, params, base)
    if method == "files.completeUploadExternal":
        return _complete_upload(state, params)
    if method in ("views.open", "views.publish", "views.update"):
        state.views += 1
        return {"ok": True, "view": {"id": f"V{state.views:08d}"}}
    return {"ok": False, "error": "unknown_method"}


def _upload_url(state: State, params: dict[str, Any], base: str) -> dict[str, Any]:
    filename, length = params.get("filename"), str(params.get("length", ""))
    if not filename or not length.isdigit() or int(length) <= 0:
        return {"ok": False, "error": "invalid_arguments"}
    file_id = f"F{len(state.uploads) + 1:08d}"
    state.uploads[file_id] = {
        "id": file_id,
        "name": str(filename),
        "length": int(length),
        "alt_txt": str(params.get("alt_txt") or ""),
    }
    return {"ok": True, "upload_url": f"{base}/upload/{file_id}", "file_id": file_id}


def _complete_upload(state: State, params: dict[str, Any]) -> dict[str, Any]:
    """Share uploaded files as one message, like chat.postMessage with `files`."""
    files = params.get("files")
    if isinstance(files, str):
        with contextlib.suppress(ValueError):
            files = json.loads(files)
    if not isinstance(files, list) or not files or not all(isinstance(f, dict) for f in files):
        return {"ok": False, "error": "invalid_arguments"}
    uploads = [state.uploads.get(str(f.get("id"))) or {} for f in files]
    if not all("content" in u for u in uploads):
        return {"ok": False, "error": "file_not_found"}  # never uploaded
    channel = str(params.get("channel_id") or "")
    thread_ts = str(params.get("thread_ts") or "") or None
    for f, u in zip(files, uploads, strict=True):
        u["title"] = str(f.get("title") or u["name"])
    shown = [{"id": u["id"], "name": u["name"], "title": u["title"]} for u in uploads]
    comment = {"text": params.get("initial_comment") or "", "thread_ts": thread_ts}
    posted = _post(state, channel, comment, files=shown)
    if not posted.get("ok"):
        return posted
    share = {"ts": posted["ts"], "channel_name": channel}
    if thread_ts is not None:
        share["thread_ts"] = thread_ts
    for u in uploads:
        u.update(channel=channel, ts=posted["ts"], thread_ts=thread_ts)
    return {"ok": True, "files": [{**f, "shares": {"public": {channel: [share]}}} for f in shown]}


def _shared_ts(body: dict[str, Any]) -> str | None:
    """The ts of the message a files.completeUploadExternal answer says it shared."""
    for file in body.get("files") or []:
        for by_channel in (file.get("shares") or {}).values():
            for shares in by_channel.values():
                return str(shares[0]["ts"])
    return None


def _post(
    state: State,
    channel: str,
    params: dict[str, Any],
    *,
    files: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    if not channel:
        return {"ok": False, "error": "channel_not_found"}
    thread_ts = params.get("thread_ts") or None
    if thread_ts is not None:
        thread_ts = str(thread_ts)
        parent = state.find(channel, thread_ts)
        if parent is None:
            return {"ok": False, "error": "thread_not_found"}
        parent["thread_ts"] = thread_ts
        parent["reply_count"] = parent.get("reply_count", 0) + 1
    ts = state.next_ts()
    message: dict[str, Any] = {
        "type": "message",
        "ts": ts,
        "user": BOT_USER_ID,
        "bot_id": BOT_ID,
        "text": str(params.get("text", "")),
    }
    if "blocks" in params:
        message["blocks"] = params["blocks"]
    if thread_ts is not None:
        message["thread_ts"] = thread_ts
    if params.get("metadata"):
        message["metadata"] = params["metadata"]
    if files:
        message["files"] = files
    state.messages.setdefault(channel, []).append(message)
    return {"ok": True, "channel": channel, "ts": ts, "message": _shown(message, True)}


def _shown(message: dict[str, Any], metadata: bool) -> dict[str, Any]:
    return {k: v for k, v in message.items() if metadata or k != "metadata"}


def _window(
    messages: list[dict[str, Any]], params: dict[str, Any]
) -> tuple[list[dict[str, Any]], bool]:
    """Messages within `oldest`/`latest` (exclusive unless `inclusive`), at most `limit`."""
    inclusive = params.get("inclusive") in TRUE
    oldest = float(params.get("oldest") or 0)
    latest = float(params["latest"]) if params.get("latest") else float("inf")

    def inside(ts: str) -> bool:
        value = float(ts)
        if inclusive:
            return oldest <= value <= latest
        return oldest < value < latest

    chosen = [m for m in messages if inside(m["ts"])]
    limit = max(1, min(int(params.get("limit") or 100), 1000))
    return chosen[:limit], len(chosen) > limit


def _history(state: State, channel: str, params: dict[str, Any]) -> dict[str, Any]:
    if not channel:
        return {"ok": False, "error": "channel_not_found"}
    metadata = params.get("include_all_metadata") in TRUE
    top = [
        m
        for m in reversed(state.messages.get(channel, []))
        if m.get("thread_ts") in (None, m["ts"])
    ]
    chosen, more = _window(top, params)
    return {
        "ok": True,
        "messages": [_shown(m, metadata) for m in chosen],
        "has_more": more,
        "pin_count": 0,
        "response_metadata": {"next_cursor": ""},
    }


def _replies(state: State, channel: str, params: dict[str, Any]) -> dict[str, Any]:
    """Like Slack: the parent first, then its replies oldest first."""
    ts = str(params.get("ts", ""))
    parent = state.find(channel, ts)
    if parent is None:
        return {"ok": False, "error": "thread_not_found"}
    metadata = params.get("include_all_metadata") in TRUE
    thread = [parent] + [
        m for m in state.messages.get(channel, []) if m.get("thread_ts") == ts and m is not parent
    ]
    chosen, more = _window(thread, params)
    return {
        "ok": True,
        "messages": [_shown(m, metadata) for m in chosen],
        "has_more": more,
        "response_metadata": {"next_cursor": ""},
    }


async def calls(request: web.Request) -> web.Response:
    entries = request.app[STATE].calls
    method = request.query.get("method")
    if method:
        entries = [entry for entry in entries if entry["method"] == method]
    return web.json_response(entries)


async def messages(request: web.Request) -> web.Response:
    stored = request.app[STATE].messages
    channel = request.query.get("channel")
    if channel:
        return web.json_response(stored.get(channel, []))
    return web.json_response(stored)


async def shared_files(request: web.Request) -> web.Response:
    channel = request.query.get("channel")
    return web.json_response(
        [
            {
                **{k: v for k, v in u.items() if k != "content"},
                "size": len(u["content"]),
                "content": base64.b64encode(u["content"]).decode(),
            }
            for u in request.app[STATE].uploads.values()
            if "ts" in u and (not channel or u["channel"] == channel)
        ]
    )


async def refuse(request: web.Request) -> web.Response:
    try:
        rule = Rule.parse(await request.json())
    except (ValueError, TypeError) as error:
        return web.json_response({"ok": False, "error": str(error)}, status=400)
    request.app[STATE].rules.append(rule)
    return web.json_response({"ok": True})


async def reset(request: web.Request) -> web.Response:
    request.app[STATE].rules.clear()
    return web.json_response({"ok": True})


async def health(request: web.Request) -> web.Response:
    return web.json_response({"ok": True, "calls": len(request.app[STATE].calls)})


async def _params(request: web.Request) -> dict[str, Any]:
    """Query, JSON or form parameters; JSON-in-a-form fields (blocks, metadata…) decoded."""
    params: dict[str, Any] = dict(request.query)
    if request.can_read_body:
        raw = await request.read()
        if request.content_type == "application/json":
            with contextlib.suppress(ValueError):
                body = json.loads(raw or b"{}")
                if isinstance(body, dict):
                    params.update(body)
        else:
            params.update(dict(parse_qsl(raw.decode(errors="replace"))))
    for key in ("blocks", "attachments", "metadata", "view"):
        if isinstance(params.get(key), str):
            with contextlib.suppress(ValueError):
                params[key] = json.loads(params[key])
    return params


def build(log: IO[str] | None = None) -> web.Application:
    app = web.Application()
    app[STATE] = State(log=log)
    app.router.add_route("*", "/api/{method}", api)
    app.router.add_post("/respond/{name}", respond)
    app.router.add_post("/upload/{file_id}", upload)
    app.router.add_get("/files", shared_files)
    app.router.add_get("/calls", calls)
    app.router.add_get("/messages", messages)
    app.router.add_post("/control/refuse", refuse)
    app.router.add_post("/control/reset", reset)
    app.router.add_get("/control/health", health)
    return app


async def run(port_file: Path, log_path: Path | None, port: int) -> None:
    log = log_path.open("a", encoding="utf-8") if log_path else None
    runner = web.AppRunner(build(log), access_log=None, handle_signals=False, shutdown_timeout=1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    chosen = runner.addresses[0][1]
    partial = port_file.with_name(port_file.name + ".tmp")
    partial.write_text(str(chosen))
    os.replace(partial, port_file)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
        if log is not None:
            log.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port-file", type=Path, required=True, help="where to write the port")
    parser.add_argument("--log", type=Path, help="append one JSON line per call to this file")
    parser.add_argument("--port", type=int, default=0, help="port to bind (default: a free one)")
    args = parser.parse_args()
    asyncio.run(run(args.port_file, args.log, args.port))


if __name__ == "__main__":
    main()
