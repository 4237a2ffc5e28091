"""Staying inside Teams' rate limits: pacing per conversation and retrying refused sends.

Teams allows a bot about 7 messages a second and 60 every 30 seconds in one conversation, and
answers 429 (and sometimes 412, 502 or 504) when pushed; those are worth retrying after a pause.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

from msrest.exceptions import ClientRequestError, HttpOperationError

from bot.errors import DeliveryError

log = logging.getLogger(__name__)
T = TypeVar("T")
RETRYABLE_STATUSES = frozenset({412, 429, 502, 504})
# 429 and 412 mean Teams refused before doing anything; after a 502/504 or a lost connection a
# new message may already exist, so only idempotent calls (updates) are retried on those.
REFUSED_BEFORE_PROCESSING = frozenset({412, 429})
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class RateWindow:
    """At most `limit` messages in any `seconds`-long window."""

    limit: int
    seconds: float


TEAMS_WINDOWS = (RateWindow(7, 1.0), RateWindow(60, 30.0))


class ConversationPacer:
    """Makes each send wait its turn so no conversation exceeds the rate windows."""

    def __init__(
        self,
        windows: tuple[RateWindow, ...] = TEAMS_WINDOWS,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        max_conversations: int = 10_000,
    ) -> None:
        self._windows = windows
        self._horizon = max(window.seconds for window in windows)
        self._monotonic = monotonic
        self._sleep = sleep
        self._max_conversations = max_conversations
        self._sent: OrderedDict[str, deque[float]] = OrderedDict()
        self._locks: dict[str, asyncio.Lock] = {}

    async def wait_turn(self, conversation_id: str) -> None:
        """Return once a message may go to `conversation_id`, counting it as sent."""
        lock = self._locks.setdefault(conversation_id, asyncio.Lock())
        async with lock:
            while True:
                now = self._monotonic()
                sent = self._sent.setdefault(conversation_id, deque())
                while sent and sent[0] <= now - self._horizon:
                    sent.popleft()
                delay = self._delay(sent, now)
                if delay <= 0:
                    sent.append(now)
                    self._sent.move_to_end(conversation_id)
                    self._forget_idle(now)
                    return
                await self._sleep(delay)

    def _delay(self, sent: deque[float], now: float) -> float:
        delay = 0.0
        for window in self._windows:
            recent = [at for at in sent if at > now - window.seconds]
            if len(recent) >= window.limit:
                delay = max(delay, recent[-window.limit] + window.seconds - now)
        return delay

    def _forget_idle(self, now: float) -> None:
        while len(self._sent) > self._max_conversations:
            oldest, sent = next(iter(self._sent.items()))
            if sent and sent[-1] > now - self._horizon:
                break
            del self._sent[oldest]
            lock = self._locks.get(oldest)
            if lock is not None and not lock.locked():
                del self._locks[oldest]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently a refused send is tried again."""

    attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 10.0

    def delay(self, attempt: int, retry_after: float | None) -> float | None:
        """Seconds to wait before try `attempt + 1`; None when waiting that long is not worth it."""
        if retry_after is not None:
            return retry_after if retry_after <= self.max_delay else None
        backoff = self.base_delay * 2.0**attempt
        return min(self.max_delay, backoff * random.uniform(0.5, 1.0))


def retry_after_seconds(headers: Any) -> float | None:
    """The Retry-After header in seconds (a number or an HTTP date), if there is one."""
    value = str(headers.get("Retry-After") or "") if headers is not None else ""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _status(error: HttpOperationError) -> int:
    return int(getattr(error.response, "status_code", 0) or 0)


def _error_code(error: HttpOperationError) -> str:
    detail = getattr(getattr(error, "error", None), "error", None)
    return str(getattr(detail, "code", "") or "")


def refusal(error: Exception, what: str) -> DeliveryError:
    """The DeliveryError for a send Teams refused or that never reached it."""
    if not isinstance(error, HttpOperationError):
        return DeliveryError(f"Teams could not be reached for {what}", retryable=True)
    status, code = _status(error), _error_code(error)
    if status in (401, 403) and code not in ("BotNotInConversationRoster", "ConversationBlocked"):
        return DeliveryError(
            f"Teams refused Frontline's credentials for {what} ({status})",
            admin_hint="check MICROSOFT_APP_ID, MICROSOFT_APP_PASSWORD and MICROSOFT_APP_TENANT_ID",
        )
    if status in (403, 404):
        return DeliveryError(
            f"Frontline is not in that Teams conversation ({code or status})",
            admin_hint="add the Frontline app to the team or chat again (Apps → Manage your apps)",
        )
    return DeliveryError(
        f"Teams refused {what} ({status}{' ' + code if code else ''})",
        retryable=status in RETRYABLE_STATUSES or status >= 500,
    )


async def send_with_retries(
    send: Callable[[], Awaitable[T]],
    *,
    conversation_id: str,
    what: str,
    pacer: ConversationPacer,
    policy: RetryPolicy,
    idempotent: bool = False,
    sleep: Sleep = asyncio.sleep,
) -> T:
    """Pace, send and retry the retryable refusals; anything else becomes a DeliveryError.

    A call that creates something (a post, a reply, a DM) is retried only when Teams refused
    it outright, so a retry can never post a message twice.
    """
    retried = RETRYABLE_STATUSES if idempotent else REFUSED_BEFORE_PROCESSING
    for attempt in range(policy.attempts):
        await pacer.wait_turn(conversation_id)
        try:
            return await send()
        except HttpOperationError as error:
            status = _status(error)
            if status not in retried or attempt + 1 >= policy.attempts:
                raise refusal(error, what) from None
            delay = policy.delay(attempt, retry_after_seconds(error.response.headers))
        except ClientRequestError as error:
            if not idempotent or attempt + 1 >= policy.attempts:
                raise refusal(error, what) from None
            status, delay = 0, policy.delay(attempt, None)
        if delay is None:
            raise DeliveryError(f"Teams asked Frontline to wait before {what}", retryable=True)
        log.info("teams: %s answered %s; trying again in %.1fs", what, status or "nothing", delay)
        await sleep(delay)
    raise AssertionError("unreachable: the last attempt returns or raises")
