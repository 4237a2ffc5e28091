"""The connection guard: a burst of connections accepted in one turn stays under the limit."""

from __future__ import annotations

import asyncio
import contextlib
import socket

from aiohttp import web

from adapters.http.connections import guard_connections

LIMIT = 3
BURST = 12


async def test_a_burst_accepted_in_one_turn_closes_one_old_connection_per_new_one() -> None:
    async def health(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/healthz", health)
    runner = web.AppRunner(app)
    await runner.setup()
    assert runner.server is not None
    guard_connections(runner.server, LIMIT)
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=64)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    clients: list[socket.socket] = []
    try:
        # Connected by the kernel while the loop is busy here: the server then accepts them all
        # in one turn, so their `connection_made` calls come before any close has finished.
        for _ in range(BURST):
            clients.append(socket.create_connection(("127.0.0.1", port)))
        await asyncio.sleep(0.3)
        dropped = 0
        for client in clients:
            client.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                if client.recv(1) == b"":
                    dropped += 1
        assert len(runner.server.connections) <= LIMIT
        assert dropped == BURST - LIMIT
        # The newest connections are the ones kept: a health check is answered on a new one.
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert (await asyncio.wait_for(reader.read(), 2)).startswith(b"HTTP/1.1 200")
        writer.close()
    finally:
        for client in clients:
            client.close()
        await runner.cleanup()
