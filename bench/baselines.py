"""The two baselines Frontline is measured against, each run as its own process.

`python -m bench.baselines bare --port 8121`: aiohttp answering 200 to everything.
`python -m bench.baselines bolt --port 8122 --api-url URL`: a minimal slack-bolt AsyncApp
whose `/flag` only acks (signature verification on, as Bolt ships it).
"""

from __future__ import annotations

import argparse

from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

SECRET = "bench-signing-secret"


def bare_app() -> web.Application:
    async def ok(_: web.Request) -> web.Response:
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post("/slack/events", ok)
    return app


def bolt_app(api_url: str) -> web.Application:
    client = AsyncWebClient(token="xoxb-bench", base_url=api_url)
    bolt = AsyncApp(client=client, signing_secret=SECRET)

    @bolt.command("/flag")
    async def flag(ack: AsyncAck) -> None:
        await ack()

    return bolt.web_app(path="/slack/events")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=["bare", "bolt"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--api-url", default="")
    args = parser.parse_args()
    app = bare_app() if args.kind == "bare" else bolt_app(args.api_url)
    web.run_app(app, host="127.0.0.1", port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
