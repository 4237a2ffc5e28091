"""A minimal fake Slack Web API for the benchmark, run as its own process.

`python -m bench.fake_web_api --port 8111`; `GET /stats` says how many answers arrived.
"""

from __future__ import annotations

import argparse
import itertools

from aiohttp import web

COUNTER = web.AppKey("counter", dict)


async def api(request: web.Request) -> web.Response:
    method = request.match_info["method"]
    await request.read()
    stamps = request.app[COUNTER]
    ts = f"{1_700_000_000 + next(stamps['ts'])}.000100"
    answers: dict[str, dict[str, object]] = {
        "auth.test": {"team_id": "T0BENCH01", "user_id": "U0BENCHBOT", "bot_id": "B0BENCH"},
        "users.info": {"user": {"id": "U", "name": "agent", "profile": {"display_name": "agent"}}},
        "chat.postMessage": {"ts": ts, "channel": "C0ESCALAT1"},
        "chat.postEphemeral": {"message_ts": ts},
        "chat.getPermalink": {"permalink": "https://bench.slack.com/archives/C/p1"},
        "conversations.open": {"channel": {"id": "D0BENCH"}},
    }
    return web.json_response({"ok": True, **answers.get(method, {})})


async def respond(request: web.Request) -> web.Response:
    await request.read()
    request.app[COUNTER]["answers"] += 1
    return web.Response(text="ok")


async def stats(request: web.Request) -> web.Response:
    return web.json_response({"answers": request.app[COUNTER]["answers"]})


def build() -> web.Application:
    app = web.Application()
    app[COUNTER] = {"answers": 0, "ts": itertools.count()}
    app.router.add_post("/api/{method}", api)
    app.router.add_get("/api/{method}", api)
    app.router.add_post("/respond/{name}", respond)
    app.router.add_get("/stats", stats)
    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    port = parser.parse_args().port
    web.run_app(build(), host="127.0.0.1", port=port, print=None, access_log=None)


if __name__ == "__main__":
    main()
