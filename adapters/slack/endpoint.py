"""`POST /slack/events`: size limit, signature and shape checked here, then Bolt dispatches.

Whatever Bolt would answer, this guarantees the status codes Slack's docs and our promises
need: 413 for oversize bodies, 401 for a missing, wrong or stale signature (and nothing is
done), 400 for a body that is not a Slack payload — never a 500 for bad input. A signed Slack
payload Frontline does not handle gets an empty 200 (`adapters.slack.unhandled`).

A slash command goes straight to its listener, with Bolt's own `AsyncAck` building the
answer: everything Bolt's dispatch would add was done here already (the signature, the body
parsed once) or does not apply to a command (URL verification, self events, SSL checks, whose
bodies carry no `command`). That dispatch cost more than storing the command, and `/flag` is
what a burst of agents sends. Buttons, forms, shortcuts and events go through Bolt.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from adapters.http.connections import BODY_SECONDS
from adapters.slack.payloads import PayloadError, parse_http_body
from adapters.slack.shapes import check_body
from adapters.slack.signature import is_signed
from adapters.slack.unhandled import listener_failed, note_unhandled

log = logging.getLogger(__name__)
EVENTS_PATH = "/slack/events"
MAX_BODY_BYTES = 512 * 1024  # Slack's largest payloads (a long message with blocks) fit easily
CommandListener = Callable[[AsyncAck, dict[str, Any]], Awaitable[None]]


class SlackEndpoint:
    """The aiohttp handler in front of Bolt."""

    def __init__(
        self,
        bolt: AsyncApp,
        signing_secret: str,
        *,
        commands: Mapping[str, CommandListener] | None = None,
        now: Callable[[], float] = time.time,
    ) -> None:
        self._bolt = bolt
        self._secret = signing_secret
        self._commands = dict(commands or {})
        self._now = now

    async def handle(self, request: web.Request) -> web.StreamResponse:
        try:
            async with asyncio.timeout(BODY_SECONDS):
                raw = await _read_at_most(request, MAX_BODY_BYTES)
        except TimeoutError:
            log.warning("a Slack request's body did not arrive within %.0f s", BODY_SECONDS)
            return web.json_response({"error": "request body too slow"}, status=408)
        if raw is None:
            log.warning("rejected a Slack request over %d bytes", MAX_BODY_BYTES)
            return web.json_response({"error": "body too large"}, status=413)
        timestamp = request.headers.get("X-Slack-Request-Timestamp")
        signature = request.headers.get("X-Slack-Signature")
        if not is_signed(self._secret, raw, timestamp, signature, now=self._now()):
            log.warning(
                "rejected a Slack request with a %s signature",
                "missing" if not (timestamp and signature) else "wrong or expired",
            )
            return web.json_response({"error": "invalid signature"}, status=401)
        try:
            body = parse_http_body(request.headers.get("Content-Type", ""), raw)
            handled = check_body(body)
        except PayloadError as error:
            log.warning("rejected a malformed Slack request: %s", error)
            return web.json_response({"error": f"malformed request: {error}"}, status=400)
        if not handled:
            note_unhandled(body)
            return web.Response(status=200)
        command = self._commands.get(body["command"]) if "command" in body else None
        if command is not None:
            return await _run_command(command, body)
        bolt_request = AsyncBoltRequest(
            body=raw.decode("utf-8"),
            query=request.query_string,
            headers={name: request.headers.getall(name) for name in request.headers},
        )
        return await to_aiohttp_response(await self._bolt.async_dispatch(bolt_request))


async def _run_command(listener: CommandListener, body: dict[str, Any]) -> web.StreamResponse:
    """A slash command's listener run as Bolt would, answered with what it acknowledged."""
    ack = AsyncAck()  # type: ignore[no-untyped-call]
    try:
        await listener(ack, body)
    except Exception as error:
        listener_failed(error)
        return web.Response(status=500)  # as Bolt answers a listener that raised
    return await to_aiohttp_response(ack.response or BoltResponse(status=200, body=""))


async def _read_at_most(request: web.Request, limit: int) -> bytes | None:
    """The body, or None when it is longer than `limit` (read no further than that)."""
    if request.content_length is not None and request.content_length > limit:
        return None
    received = bytearray()
    async for chunk in request.content.iter_chunked(64 * 1024):
        received += chunk
        if len(received) > limit:
            return None
    return bytes(received)
