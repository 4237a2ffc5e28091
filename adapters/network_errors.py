"""Telling a call that never left this machine from one that may have reached the platform."""

from __future__ import annotations

import socket

import aiohttp

NOT_CONNECTED = (aiohttp.ClientConnectorError, ConnectionRefusedError, socket.gaierror)


def never_sent(error: BaseException) -> bool:
    """Whether `error` (or what it wraps) says the connection itself could not be made:
    refused, unreachable, a name that did not resolve, a TLS handshake that failed. The
    request was then never sent, so sending it again cannot make a second message. A timeout
    or a connection lost after it was made may have come after the platform acted."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, NOT_CONNECTED):
            return True
        wrapped = getattr(current, "inner_exception", None)  # msrest's ClientRequestError (Teams)
        if isinstance(wrapped, BaseException):
            current = wrapped
        else:
            current = current.__cause__ or current.__context__
    return False
