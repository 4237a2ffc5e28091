"""The access log keeps the answers that went wrong, not a line per acknowledged request."""

from __future__ import annotations

import logging

import aiohttp
import pytest
from aiohttp import web

from adapters.http.access import ProblemAccessLogger


async def test_only_refused_and_failed_requests_are_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def ok(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def refused(request: web.Request) -> web.Response:
        return web.json_response({"error": "invalid signature"}, status=401)

    app = web.Application()
    app.router.add_get("/ok", ok)
    app.router.add_post("/refused", refused)
    runner = web.AppRunner(app, access_log_class=ProblemAccessLogger)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        with caplog.at_level(logging.INFO, logger="aiohttp.access"):
            async with aiohttp.ClientSession(f"http://127.0.0.1:{port}") as session:
                for _ in range(3):
                    async with session.get("/ok") as response:
                        assert response.status == 200
                async with session.post("/refused") as response:
                    assert response.status == 401
                async with session.get("/missing") as response:
                    assert response.status == 404
    finally:
        await runner.cleanup()
    lines = [r.getMessage() for r in caplog.records if r.name == "aiohttp.access"]
    assert len(lines) == 2
    assert '"POST /refused HTTP/1.1" 401' in lines[0] and '"GET /missing HTTP/1.1" 404' in lines[1]
