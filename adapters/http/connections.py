"""Slow and many clients: idle connections time out, and the open ones stay under the file limit.

A client that opens connections and sends nothing (or sends its headers a byte at a time) holds
a file descriptor each. Without a bound, enough of them use up the process's open-file limit:
accepting then fails, `/healthz` cannot be reached, and asyncio logs the failure on every try.
Three guards:

- idle connections, and requests whose headers do not arrive, are closed after
  `KEEPALIVE_SECONDS` (aiohttp's keep-alive timer runs from the moment a connection opens);
- request bodies must arrive within `BODY_SECONDS` (the endpoints answer 408);
- at most `connection_limit()` connections are open: beyond it, the oldest one is closed
  (gracefully: a request in progress finishes), so a new connection — a health check — is
  always accepted. The rest of the limit is kept for the database, outgoing calls and files.

Running out of file descriptors anyway is logged once a minute, without a traceback.
"""

from __future__ import annotations

import asyncio
import logging
import resource
import time
from typing import Any

from aiohttp import web
from aiohttp.web_protocol import RequestHandler

log = logging.getLogger(__name__)
KEEPALIVE_SECONDS = 15.0
BODY_SECONDS = 10.0
# Kept free for the database pool, outgoing HTTP, log files, and the connections one round of
# accepting takes in before the oldest are closed (at most the listen backlog).
ACCEPT_BACKLOG = 64
RESERVED_DESCRIPTORS = 136 + ACCEPT_BACKLOG
MIN_CONNECTIONS = 32
LOG_EVERY_SECONDS = 60.0


def connection_limit() -> int:
    """How many client connections may be open: the open-file limit less a reserve."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return 10_000
    return max(MIN_CONNECTIONS, soft - RESERVED_DESCRIPTORS)


def guard_connections(server: web.Server, limit: int) -> None:
    """Close the oldest connection whenever a new one would exceed `limit`.

    A closed connection stays in `server.connections` until its `connection_lost` has run (a
    later turn of the loop, or later still while its handler finishes), and several connections
    accepted in one turn are all made in that turn: so those already told to close are neither
    counted nor chosen again, or one closing connection would stand in for all of them and the
    open ones would grow past the limit (and the file limit) under a burst.
    """
    accept = server.connection_made

    def connection_made(handler: RequestHandler, transport: asyncio.Transport) -> None:
        accept(handler, transport)
        open_ = [each for each in server.connections if not _closing(each)]
        if len(open_) <= limit:
            return
        log.debug("%d connections open (limit %d): closing the oldest", len(open_), limit)
        for oldest in open_:
            # aiohttp has no public "idle" flag; a request in progress is let finish.
            if oldest is not handler and not getattr(oldest, "_request_in_progress", False):
                oldest.force_close()  # idle, or still waiting for its headers: drop it now
                return
        open_[0].close()  # all busy: the oldest closes once its request is answered

    server.connection_made = connection_made  # type: ignore[method-assign]


def _closing(handler: RequestHandler) -> bool:
    """Whether `handler` was already told to close (aiohttp keeps no public flag for it)."""
    return handler.transport is None or getattr(handler, "_close", False)


def quiet_descriptor_exhaustion(loop: asyncio.AbstractEventLoop) -> None:
    """Log "out of file descriptors" at most once a minute, as one line; the rest as before."""
    last = [0.0]

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        error = context.get("exception")
        if isinstance(error, OSError) and error.errno in (23, 24):  # ENFILE, EMFILE
            now = time.monotonic()
            if now - last[0] >= LOG_EVERY_SECONDS:
                last[0] = now
                log.warning(
                    "out of file descriptors (%s); new connections wait. Raise the open-file "
                    "limit (ulimit -n) or put a reverse proxy in front; logged once a minute",
                    error.strerror,
                )
            return
        loop.default_exception_handler(context)

    loop.set_exception_handler(handler)
