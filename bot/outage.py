"""Logging a lasting condition once, not once a second: a database outage while a worker keeps
trying (`OutageLog`), a misconfiguration met by every flag (`Hush`)."""

from __future__ import annotations

import logging
import time
from collections.abc import Hashable


class OutageLog:
    """The first failure in a row is logged with its traceback, the rest only counted."""

    def __init__(self, log: logging.Logger, what: str) -> None:
        self._log = log
        self._what = what
        self._failures = 0

    def failed(self, error: BaseException) -> None:
        self._failures += 1
        if self._failures == 1:
            self._log.error(
                "cannot claim %s (the database?): %s; trying again every second",
                self._what,
                type(error).__name__,
                exc_info=error,
            )

    def recovered(self) -> None:
        if self._failures:
            self._log.warning(
                "claiming %s works again after %d failed attempt(s)", self._what, self._failures
            )
            self._failures = 0


class Hush:
    """Whether a warning about `key` is due again: at most once per `every` seconds per key."""

    def __init__(self, every: float = 3600.0) -> None:
        self._every = every
        self._last: dict[Hashable, float] = {}

    def due(self, key: Hashable) -> bool:
        now = time.monotonic()
        last = self._last.get(key)
        if last is not None and now - last < self._every:
            return False
        self._last[key] = now
        return True
