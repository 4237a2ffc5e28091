"""Telling a call that never left this machine from one that may have reached the platform."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import aiohttp

NOT_CONNECTED = (aiohttp.ClientConnectorError, ConnectionRefusedError, socket.gaierror)


def never_sent(error: BaseException) -> bool:
    """Whether `error` (or what it wraps) says the connection itself could not be made:
    refused, unreachable, a name that did not resolve, a TLS handshake that failed. The
    request was then never sent, so sending it again cannot make a second message. A timeout
    or a connection lost after it was made may have come after the platform acted."""
    return any(isinstance(cause, NOT_CONNECTED) for cause in _causes(error))


def timed_out(error: BaseException) -> bool:
    """Whether `error` (or what it wraps) is a call that ran out of time waiting for an answer."""
    return any(isinstance(cause, TimeoutError) for cause in _causes(error))


def _causes(error: BaseException) -> Iterator[BaseException]:
    """`error`, then what it wraps, and so on."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        wrapped = getattr(current, "inner_exception", None)  # msrest's ClientRequestError (Teams)
        if isinstance(wrapped, BaseException):
            current = wrapped
        else:
            current = current.__cause__ or current.__context__
