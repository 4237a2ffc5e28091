"""Pacing per conversation: each message waits its turn so no conversation exceeds its limits.

Slack allows about one message a second in a channel; Teams about 7 a second and 60 every 30
seconds in a conversation. The delivery worker holds a conversation's turn for the whole send, and
the send is counted when the platform has answered: a send that was slow on the way would
otherwise let the next one arrive less than a window after it, and be refused with a 429.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

Sleep = Callable[[float], Awaitable[None]]


class Pacer(Protocol):
    def turn(self, conversation_id: str) -> contextlib.AbstractAsyncContextManager[None]:
        """Enter once a message may go to `conversation_id`; leaving counts it as sent."""
        ...


@dataclass(frozen=True, slots=True)
class RateWindow:
    """At most `limit` messages in any `seconds`-long window."""

    limit: int
    seconds: float


TEAMS_WINDOWS = (RateWindow(7, 1.0), RateWindow(60, 30.0))
SLACK_WINDOWS = (RateWindow(1, 1.0),)


class ConversationPacer:
    """Makes each send wait its turn so no conversation exceeds the rate windows."""

    def __init__(
        self,
        windows: tuple[RateWindow, ...],
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

    @contextlib.asynccontextmanager
    async def turn(self, conversation_id: str) -> AsyncIterator[None]:
        """Enter once a message may go to `conversation_id`; leaving counts it as sent.

        The turn is held for the whole send, so sends to one conversation never overlap, and
        each is counted from the moment its answer came back.
        """
        lock = self._locks.setdefault(conversation_id, asyncio.Lock())
        async with lock:
            while True:
                now = self._monotonic()
                sent = self._sent.setdefault(conversation_id, deque())
                while sent and sent[0] <= now - self._horizon:
                    sent.popleft()
                delay = self._delay(sent, now)
                if delay <= 0:
                    break
                await self._sleep(delay)
            try:
                yield
            finally:
                sent.append(self._monotonic())
                self._sent.move_to_end(conversation_id)
                self._forget_idle(self._monotonic())

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
