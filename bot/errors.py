"""The small hierarchy of errors the core raises; adapters turn them into replies in one place."""

from __future__ import annotations

from bot.words import plural


class FrontlineError(Exception):
    """Base of every error Frontline raises on purpose."""


class UserFacingError(FrontlineError):
    """An error whose message is written for the person who caused it."""

    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message


class UsageError(UserFacingError):
    """The command text could not be understood; the message says how to write it."""


class FlagNotFound(UserFacingError):
    """A flag id that does not exist in this workspace."""

    def __init__(self, flag_key: str) -> None:
        super().__init__(
            f"There is no flag {flag_key} in this workspace. `/flag mine` lists your open flags."
        )
        self.flag_key = flag_key


class NotAllowed(UserFacingError):
    """The person may not do this (roles narrowed by configuration)."""


class InvalidState(UserFacingError):
    """The flag is not in a state where this makes sense (e.g. resolving a resolved flag)."""


class ConfigError(FrontlineError):
    """The configuration file is unusable; `problems` lists each one with its key path."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        listing = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{source} has {plural(len(problems), 'problem')}:\n{listing}")


class DeliveryError(FrontlineError):
    """A chat platform refused or failed to deliver a message.

    `retryable`: trying again later may work (5xx, timeouts, rate limits); `retry_after`: the
    platform asked for that many seconds' pause (a rate limit); `uncertain`: the platform may
    have created the message before failing (a timeout, a 502), so look before sending again.
    """

    def __init__(
        self,
        reason: str,
        *,
        retryable: bool = False,
        admin_hint: str | None = None,
        retry_after: float | None = None,
        uncertain: bool = False,
    ):
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable or retry_after is not None
        self.admin_hint = admin_hint
        self.retry_after = retry_after
        self.uncertain = uncertain
