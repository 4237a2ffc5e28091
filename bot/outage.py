"""Logging a database outage once, not once a second, while a worker keeps trying."""

from __future__ import annotations

import logging


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
