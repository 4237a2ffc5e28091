"""Slack over Socket Mode: no public URL; the SDK reconnects, and we say when it does."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging

import aiohttp
from aiohttp import WSMessage, WSMsgType
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.errors import AUTH_ERRORS, SlackStartupError, error_code

log = logging.getLogger(__name__)


class SocketModeConnection:
    """One Socket Mode connection for the Bolt app, opened at start and closed at shutdown."""

    def __init__(self, bolt: AsyncApp, app_token: str, client: AsyncWebClient) -> None:
        self._bolt = bolt
        self._app_token = app_token
        self._client = client
        self._handler: AsyncSocketModeHandler | None = None
        self._connecting: asyncio.Task[None] | None = None
        self.connections = 0  # how many times Slack said hello (1 + reconnects)

    async def start(self) -> None:
        """Check the app token, then connect in the background (the SDK keeps retrying)."""
        handler = AsyncSocketModeHandler(
            self._bolt, app_token=self._app_token, web_client=self._client
        )
        self._handler = handler
        socket = handler.client
        socket.on_message_listeners.append(self._on_message)
        socket.on_close_listeners.append(self._on_close)
        try:
            socket.wss_uri = await self._first_url()
        except SlackStartupError:
            await handler.close_async()  # type: ignore[no-untyped-call]
            self._handler = None
            raise
        log.info("Slack Socket Mode: connecting")
        self._connecting = asyncio.get_running_loop().create_task(
            socket.connect()  # type: ignore[no-untyped-call]
        )

    async def _first_url(self) -> str:
        """A websocket URL from `apps.connections.open`: the app token's first test."""
        assert self._handler is not None
        try:
            return await self._handler.client.issue_new_wss_url()
        except SlackApiError as error:
            code = error_code(error)
            if code in AUTH_ERRORS:
                raise SlackStartupError(
                    f"Slack rejected SLACK_APP_TOKEN ({code}). Use an app-level token (xapp-…) "
                    "with the connections:write scope, from the app's Basic Information page."
                ) from None
            raise SlackStartupError(
                f"Slack would not open a Socket Mode connection ({code})"
            ) from None
        except (TimeoutError, aiohttp.ClientError) as error:
            raise SlackStartupError(
                f"cannot reach Slack to open Socket Mode ({type(error).__name__})"
            ) from None

    async def stop(self) -> None:
        if self._connecting is not None and not self._connecting.done():
            self._connecting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._connecting
        if self._handler is not None:
            await self._handler.close_async()  # type: ignore[no-untyped-call]
            log.info("Slack Socket Mode: disconnected (shutting down)")

    async def _on_message(self, message: WSMessage) -> None:
        if message.type is not WSMsgType.TEXT or not str(message.data).startswith("{"):
            return
        try:
            data = json.loads(message.data)
        except ValueError:
            return
        kind = data.get("type") if isinstance(data, dict) else None
        if kind == "hello":
            self.connections += 1
            log.info(
                "Slack Socket Mode: connected (%s connection(s) open for this app)",
                data.get("num_connections", "?"),
            )
        elif kind == "disconnect":
            log.info(
                "Slack Socket Mode: Slack asked to reconnect (%s); reconnecting",
                data.get("reason", "?"),
            )

    async def _on_close(self, message: WSMessage) -> None:
        log.warning("Slack Socket Mode: connection closed (code %s); reconnecting", message.data)
