"""A minimal fake Slack Web API for the benchmarks, run as its own process.

    python -m bench.fake_web_api --port 8111 [--channel-interval 1.0]

- `/api/{method}`: answers like Slack (auth.test, users.info, chat.postMessage, chat.update,
  chat.postEphemeral, chat.getPermalink, conversations.open/join/history/replies — the history
  is always empty). Every chat.postMessage is recorded with its channel and the outbox id in
  its `metadata.event_payload.outbox_id`.
- With `--channel-interval S` (> 0) it enforces Slack's pace per channel: a chat.postMessage
  arriving less than S seconds after the last *accepted* one in the same channel is refused
  with HTTP 429, `{"ok": false, "error": "ratelimited"}` and `Retry-After: 1` (rounded up).
- `POST /respond/{name}`: a response URL; every arrival is recorded under its name.
- `GET /stats`: totals. `GET /answers?prefix=P`: how often each response URL whose name
  starts with P was used, and the first and last arrival (`&summary=1`: only the totals).
  `GET /posts`: the accepted posts `[channel, outbox_id, arrival]` and the refusals.

Arrival times are `time.monotonic()` (CLOCK_MONOTONIC: comparable with the load generator's).
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web


@dataclass
class Record:
    ts: itertools.count[int] = field(default_factory=itertools.count)
    channel_interval: float = 0.0
    answers: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    posts: list[tuple[str, str | None, float]] = field(default_factory=list)
    last_post: dict[str, float] = field(default_factory=dict)
    refused: Counter[str] = field(default_factory=Counter)
    calls: Counter[str] = field(default_factory=Counter)


RECORD = web.AppKey("record", Record)


def _arguments(request: web.Request, raw: bytes) -> dict[str, Any]:
    if request.content_type == "application/json":
        parsed = json.loads(raw or b"{}")
        return parsed if isinstance(parsed, dict) else {}
    return dict(parse_qsl(raw.decode()))


def _outbox_id(arguments: dict[str, Any]) -> str | None:
    metadata = arguments.get("metadata")
    if isinstance(metadata, str):
        try:
            metadata = json.loads(metadata)
        except ValueError:
            return None
    payload = metadata.get("event_payload") if isinstance(metadata, dict) else None
    marker = payload.get("outbox_id") if isinstance(payload, dict) else None
    return str(marker) if marker is not None else None


async def api(request: web.Request) -> web.Response:
    method = request.match_info["method"]
    raw = await request.read()
    record = request.app[RECORD]
    record.calls[method] += 1
    ts = f"{1_700_000_000 + next(record.ts)}.000100"
    if method == "chat.postMessage":
        arrived = time.monotonic()
        arguments = _arguments(request, raw)
        channel = str(arguments.get("channel", ""))
        if record.channel_interval > 0:
            last = record.last_post.get(channel)
            if last is not None and arrived - last < record.channel_interval:
                record.refused[channel] += 1
                retry_after = str(max(1, math.ceil(record.channel_interval)))
                return web.json_response(
                    {"ok": False, "error": "ratelimited"},
                    status=429,
                    headers={"Retry-After": retry_after},
                )
            record.last_post[channel] = arrived
        record.posts.append((channel, _outbox_id(arguments), arrived))
        return web.json_response({"ok": True, "ts": ts, "channel": channel})
    answers: dict[str, dict[str, object]] = {
        "auth.test": {"team_id": "T0BENCH01", "user_id": "U0BENCHBOT", "bot_id": "B0BENCH"},
        "users.info": {"user": {"id": "U", "name": "agent", "profile": {"display_name": "agent"}}},
        "chat.update": {"ts": ts},
        "chat.postEphemeral": {"message_ts": ts},
        "chat.getPermalink": {"permalink": "https://bench.slack.com/archives/C/p1"},
        "conversations.open": {"channel": {"id": "D0BENCH"}},
        "conversations.history": {"messages": [], "has_more": False},
        "conversations.replies": {"messages": [], "has_more": False},
    }
    return web.json_response({"ok": True, **answers.get(method, {})})


async def respond(request: web.Request) -> web.Response:
    await request.read()
    request.app[RECORD].answers[request.match_info["name"]].append(time.monotonic())
    return web.Response(text="ok")


async def stats(request: web.Request) -> web.Response:
    record = request.app[RECORD]
    return web.json_response(
        {
            "answers": sum(len(times) for times in record.answers.values()),
            "posts": len(record.posts),
            "refused": sum(record.refused.values()),
            "calls": dict(record.calls),
        }
    )


async def answers(request: web.Request) -> web.Response:
    prefix = request.query.get("prefix", "")
    chosen = {
        name: times
        for name, times in request.app[RECORD].answers.items()
        if name.startswith(prefix)
    }
    arrivals = [t for times in chosen.values() for t in times]
    if request.query.get("summary"):
        return web.json_response(
            {"distinct": len(chosen), "total": len(arrivals), "latest": max(arrivals, default=None)}
        )
    return web.json_response(
        {
            "counts": {name: len(times) for name, times in chosen.items()},
            "first": {name: times[0] for name, times in chosen.items()},
            "earliest": min(arrivals, default=None),
            "latest": max(arrivals, default=None),
        }
    )


async def posts(request: web.Request) -> web.Response:
    record = request.app[RECORD]
    return web.json_response(
        {
            "accepted": record.posts,
            "refused": dict(record.refused),
        }
    )


def build(channel_interval: float = 0.0) -> web.Application:
    app = web.Application(client_max_size=4 * 1024 * 1024)
    app[RECORD] = Record(channel_interval=channel_interval)
    app.router.add_post("/api/{method}", api)
    app.router.add_get("/api/{method}", api)
    app.router.add_post("/respond/{name}", respond)
    app.router.add_get("/stats", stats)
    app.router.add_get("/answers", answers)
    app.router.add_get("/posts", posts)
    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument(
        "--channel-interval",
        type=float,
        default=0.0,
        help="refuse (429) a chat.postMessage this soon after the channel's last one (0: never)",
    )
    args = parser.parse_args()
    web.run_app(
        build(args.channel_interval),
        host="127.0.0.1",
        port=args.port,
        print=None,
        access_log=None,
    )


if __name__ == "__main__":
    main()
