"""The delivery worker: claims outbox messages, sends them through the chat gateway, and
retries, paces, orders, reconciles and reports them.

Each message goes through `ChatGateway` exactly once in effect:
- a retryable failure (5xx, timeout, rate limit) releases it for a later attempt, with
  exponential backoff and jitter, or after the platform's Retry-After, however long;
- an attempt that may have created the message (a timeout, a 502, a crash mid-send) leaves it
  *uncertain*: before sending again, the worker asks the platform whether it arrived
  (`ChatGateway.find_sent`), so it is never posted twice;
- a permanent refusal, or the last attempt, gives it up and reports it (`outcomes`).
Messages of one order key (one flag, one person, one channel) go one at a time, in order; each
conversation is paced by its platform's `Pacer`; one busy conversation never holds up others.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import random
import secrets
import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from bot.batching import GroupCommit
from bot.claiming import Arrivals, ClaimLoop
from bot.core import Core
from bot.errors import DeliveryError
from bot.messages import Conversation, MessageRef
from bot.outage import OutageLog
from bot.outbox.models import Delivery, DeliveryStatus, Outgoing, OutgoingKind
from bot.outbox.outcomes import record_delivered, report_undelivered
from bot.outbox.pacing import Pacer
from bot.outbox.parents import Parents, Skip
from bot.ports import ChatGateway, UnitOfWork

log = logging.getLogger(__name__)
LEASE = timedelta(seconds=60)
# Sends finishing within this long of each other share the claim that follows them.
SETTLE_SECONDS = 0.005
# An attempt (look-up, pacing, the sends) is cut off well before its lease could expire and
# pass the message to another replica while it may still be on its way.
ATTEMPT_LIMIT_SECONDS = LEASE.total_seconds() * 0.75
# A crashed attempt may have reached the platform a little before the row was created's clock.
LOOKBACK = timedelta(minutes=2)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How patiently a failing message is retried before it is given up and reported."""

    max_attempts: int = 12  # 9-19 minutes of backoff in all: rides out a short platform outage
    first_backoff: float = 1.0
    max_backoff: float = 300.0

    def backoff(self, attempt: int) -> float:
        """Seconds before attempt `attempt + 1`: exponential, capped, with jitter."""
        ceiling = min(self.max_backoff, self.first_backoff * 2.0 ** max(0, attempt - 1))
        return ceiling * random.uniform(0.5, 1.0)


class DeliveryObserver(Protocol):
    """Counts what the worker does (the server's /metrics); the console needs none."""

    def attempted(self, platform: str, outcome: str) -> None: ...


def replica_name() -> str:
    """A name for this process's leases: host, pid and a random part."""
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


class DeliveryWorker:
    """Delivers the outbox; `run` in the server, `drain` in the console and the tests."""

    def __init__(
        self,
        core: Core,
        gateway: ChatGateway,
        *,
        owner: str | None = None,
        pacers: Mapping[str, Pacer] | None = None,
        policy: RetryPolicy | None = None,
        concurrency: int = 16,
        observer: DeliveryObserver | None = None,
        poll_seconds: float = 1.0,
        arrivals: Arrivals | None = None,
    ) -> None:
        self._core = core
        self._gateway = gateway
        self._parents = Parents(core, gateway)
        self.owner = owner or replica_name()
        self._pacers = dict(pacers or {})
        self._policy = policy or RetryPolicy()
        self._observer = observer
        self._in_flight: dict[int, tuple[asyncio.Task[None], str | None]] = {}
        # Claimed while certain (never possibly sent), and no attempt begun: released at a
        # stop, they need no look-up before they are sent.
        self._unsent: set[int] = set()
        self._loop = ClaimLoop(
            claim=self._claim_and_start,
            in_flight=lambda: self.in_flight,
            concurrency=concurrency,
            poll_seconds=poll_seconds,
            outage=OutageLog(log, "outbox messages"),
            arrivals=arrivals,
            settle_seconds=SETTLE_SECONDS,
        )
        # Under load many sends finish together: their results share a commit.
        self._results: GroupCommit[tuple[Delivery, MessageRef | None], None] = GroupCommit(
            core.uow, self._record_sent, "delivered message(s)"
        )

    def observe(self, observer: DeliveryObserver) -> None:
        """Report each attempt and outcome to `observer` (the server's metrics)."""
        self._observer = observer

    def wake(self) -> None:
        """Look for work now (something was just recorded)."""
        self._loop.wake()

    @property
    def in_flight(self) -> int:
        return len(self._in_flight)

    async def run(self) -> None:
        """Claim and deliver until `stop`; the database is polled, and `wake` shortens the wait."""
        await self._loop.run()

    async def stop(self, grace: float = 10.0) -> None:
        """Stop claiming; let sends in flight finish for `grace` seconds; release the rest."""
        await self._loop.halt(grace)
        tasks = [task for task, _ in self._in_flight.values()]
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=grace)
            unsent = sorted(self._unsent)  # before the cancelled ones are forgotten
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        else:
            unsent = []
        try:
            async with self._core.uow() as uow:
                released = await uow.outbox.release(self.owner, unsent=unsent)
                await uow.commit()
        except Exception as error:  # the leases expire by themselves
            log.warning("could not release outbox messages at shutdown: %s", error)
            return
        if released:
            log.info("released %d outbox message(s) for another replica or restart", released)

    async def drain(self, *, rounds: int = 1000) -> int:
        """Deliver everything due now, one message at a time (the console); returns how many."""
        delivered = 0
        for _ in range(rounds):
            batch = await self._claim(limit=1)
            if not batch:
                return delivered
            for delivery in batch:
                await self._deliver(delivery)
                delivered += 1
        return delivered

    async def _claim_and_start(self, free: int) -> int:
        batch = await self._claim(limit=free)
        for delivery in batch:
            if not delivery.uncertain:
                self._unsent.add(delivery.id)
            task = asyncio.get_running_loop().create_task(self._deliver(delivery))
            self._in_flight[delivery.id] = (task, delivery.outgoing.pace_key)
            task.add_done_callback(functools.partial(self._finished, delivery.id))
        return len(batch)

    def _finished(self, delivery_id: int, _: object) -> None:
        self._in_flight.pop(delivery_id, None)
        self._unsent.discard(delivery_id)
        self._loop.wake()  # its successor in order, or a free slot, may now be claimable

    async def _claim(self, *, limit: int) -> list[Delivery]:
        busy = frozenset(key for _, key in self._in_flight.values() if key is not None)
        now = self._core.clock.now()
        async with self._core.uow() as uow:
            batch = await uow.outbox.claim(self.owner, now, now + LEASE, limit, busy)
            await uow.commit()
        return batch

    async def _deliver(self, delivery: Delivery) -> None:
        """One attempt at one message, and its outcome recorded."""
        platform = delivery.outgoing.platform
        try:
            ref = await self._attempt_in_time(delivery)
        except Skip as skipped:
            await self._finish(delivery, DeliveryStatus.SKIPPED, str(skipped))
            self._observe(platform, "skipped")
        except DeliveryError as error:
            await self._failed(delivery, error)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            log.exception("delivering outbox message %d failed unexpectedly", delivery.id)
            await self._failed(
                delivery, DeliveryError(f"unexpected {type(error).__name__}", retryable=True)
            )
        else:
            await self._sent(delivery, ref)
            self._observe(platform, "delivered")

    async def _attempt_in_time(self, delivery: Delivery) -> MessageRef | None:
        try:
            async with asyncio.timeout(ATTEMPT_LIMIT_SECONDS):
                return await self._attempt(delivery)
        except TimeoutError:
            raise DeliveryError(
                f"the attempt took over {ATTEMPT_LIMIT_SECONDS:g} s",
                retryable=True,
                uncertain=True,  # it may have been sent just before it was cut off
            ) from None

    async def _attempt(self, delivery: Delivery) -> MessageRef | None:
        outgoing = await self._parents.resolved(delivery.outgoing)
        adopted = await self._parents.adopted_post(outgoing)
        if adopted is not None:
            return adopted
        marker = str(delivery.id)
        if delivery.uncertain and outgoing.kind in (
            OutgoingKind.POST,
            OutgoingKind.REPLY,
            OutgoingKind.DIRECT,
        ):
            since = delivery.created_at - LOOKBACK
            lookup = await self._gateway.find_sent(outgoing, marker, since)
            if lookup.ref is not None:
                log.info("outbox message %d had arrived after all; not sent again", delivery.id)
                return lookup.ref
            if not lookup.known and outgoing.kind is OutgoingKind.POST:
                # A second post would leave two cards for one flag; the admin decides.
                raise DeliveryError(
                    f"{outgoing.platform.capitalize()} may or may not have shown it (an earlier "
                    "attempt ended without an answer), and it cannot be looked up",
                    admin_hint="if it is missing from the channel, retry it with "
                    f"`frontline outbox retry {delivery.id}`",
                )
        pacer = self._pacers.get(outgoing.platform)
        if pacer is None or outgoing.pace_key is None:
            await self._begin(delivery)
            return await self._send(outgoing, marker)
        async with pacer.turn(outgoing.pace_key):
            await self._begin(delivery)
            return await self._send(outgoing, marker)

    async def _begin(self, delivery: Delivery) -> None:
        """The send starts: from here on the message may reach the platform.

        A post is stored as uncertain only now (its claim left it certain): killed while it
        waited for its turn, it is posted after the restart, not given up as possibly shown.
        """
        if delivery.outgoing.kind is OutgoingKind.POST and not delivery.uncertain:
            async with self._core.uow() as uow:
                await uow.outbox.mark_begun(delivery.id)
                await uow.commit()
        self._unsent.discard(delivery.id)
        self._observe(delivery.outgoing.platform, "attempt")

    async def _send(self, outgoing: Outgoing, marker: str) -> MessageRef | None:
        chat = self._gateway
        match outgoing.kind:
            case OutgoingKind.POST:
                assert outgoing.channel_id is not None
                place = Conversation(outgoing.platform, outgoing.workspace_id, outgoing.channel_id)
                return await chat.post(place, outgoing.message, marker=marker)
            case OutgoingKind.REPLY:
                assert outgoing.ref is not None
                return await chat.reply(outgoing.ref, outgoing.message, marker=marker)
            case OutgoingKind.UPDATE:
                assert outgoing.ref is not None
                await chat.update(outgoing.ref, outgoing.message)
                return outgoing.ref
            case OutgoingKind.DIRECT:
                assert outgoing.person is not None
                return await chat.direct_message(outgoing.person, outgoing.message, marker=marker)
            case OutgoingKind.ANSWER:
                assert outgoing.person is not None
                await chat.answer(outgoing.person, outgoing.route, outgoing.message)
                return None

    async def _sent(self, delivery: Delivery, ref: MessageRef | None) -> None:
        try:
            await self._results.submit((delivery, ref))
        except Exception:
            # Sent, but not recorded: its lease expires and the next attempt, uncertain,
            # looks for it before sending again.
            log.warning("outbox message %d was delivered but could not be marked", delivery.id)

    async def _record_sent(
        self, uow: UnitOfWork, sent: Sequence[tuple[Delivery, MessageRef | None]]
    ) -> list[None]:
        now = self._core.clock.now()
        for delivery, ref in sent:
            await uow.outbox.mark_sent(delivery.id, ref, now)
            await record_delivered(uow, delivery, ref, now)
        return [None] * len(sent)

    async def _failed(self, delivery: Delivery, error: DeliveryError) -> None:
        platform = delivery.outgoing.platform
        rate_limited = error.retry_after is not None
        attempts = delivery.attempts + (0 if rate_limited else 1)
        if not error.retryable or attempts >= self._policy.max_attempts:
            self._observe(platform, "dead")
            async with self._core.uow() as uow:
                now = self._core.clock.now()
                await uow.outbox.give_up(delivery.id, DeliveryStatus.DEAD, error.reason, now)
                await report_undelivered(self._core, uow, delivery, error)
                await uow.commit()
            return
        self._observe(platform, "rate_limited" if rate_limited else "retry")
        delay = error.retry_after if rate_limited else self._policy.backoff(attempts)
        assert delay is not None
        log.info(
            "outbox message %d (%s on %s): %s; trying again in %.1fs",
            delivery.id,
            delivery.outgoing.purpose,
            platform,
            error.reason,
            delay,
        )
        now = self._core.clock.now()
        async with self._core.uow() as uow:
            await uow.outbox.retry_later(
                delivery.id,
                now + timedelta(seconds=delay),
                error.reason,
                uncertain=error.uncertain,
                counts=not rate_limited,
            )
            await uow.commit()
        if not self._loop.stopping:
            asyncio.get_running_loop().call_later(delay, self._loop.wake)

    async def _finish(self, delivery: Delivery, status: DeliveryStatus, reason: str) -> None:
        log.info("outbox message %d %s: %s", delivery.id, status.value, reason)
        async with self._core.uow() as uow:
            await uow.outbox.give_up(delivery.id, status, reason, self._core.clock.now())
            await uow.commit()

    def _observe(self, platform: str, outcome: str) -> None:
        if self._observer is not None:
            self._observer.attempted(platform, outcome)
