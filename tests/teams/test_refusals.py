"""Teams' rate limits: pacing per conversation, retrying 429/412/502/504 with backoff."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from types import SimpleNamespace

import pytest
from msrest.exceptions import HttpOperationError

from adapters.teams.auth import ReusedCredentials
from adapters.teams.gateway import prepare_connector
from adapters.teams.throttling import (
    ConversationPacer,
    RateWindow,
    RetryPolicy,
    retry_after_seconds,
    send_with_retries,
)
from bot.errors import DeliveryError
from tests.teams.harness import ESCALATIONS, MARIA, Teams, channel_message


class FakeTime:
    """A monotonic clock that only moves when something sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


class Refused(HttpOperationError):  # type: ignore[misc]
    """What the Bot Connector client raises for an HTTP error answer."""

    def __init__(self, status: int, headers: dict[str, str] | None = None) -> None:
        Exception.__init__(self, f"HTTP {status}")
        self.response = SimpleNamespace(status_code=status, headers=headers or {})
        self.error = None
        self.message = f"HTTP {status}"


class Flaky:
    """Fails with the given statuses, then succeeds."""

    def __init__(self, *statuses: int, headers: dict[str, str] | None = None) -> None:
        self.statuses = list(statuses)
        self.headers = headers
        self.attempts = 0

    async def __call__(self) -> str:
        self.attempts += 1
        if self.statuses:
            raise Refused(self.statuses.pop(0), self.headers)
        return "sent"


async def test_seven_a_second_then_the_eighth_waits() -> None:
    time = FakeTime()
    pacer = ConversationPacer(monotonic=time.monotonic, sleep=time.sleep)

    for _ in range(7):
        await pacer.wait_turn("19:chat")
    assert time.slept == []
    await pacer.wait_turn("19:chat")
    assert time.slept == [pytest.approx(1.0)]
    await pacer.wait_turn("19:other")
    assert len(time.slept) == 1


async def test_sixty_in_thirty_seconds_then_the_next_waits_for_the_window() -> None:
    time = FakeTime()
    pacer = ConversationPacer(monotonic=time.monotonic, sleep=time.sleep)

    for _ in range(60):
        await pacer.wait_turn("19:chat")
        time.now += 0.2  # 5 a second: under the per-second limit
    started = time.now
    await pacer.wait_turn("19:chat")

    assert time.now - 1000.0 >= 30.0
    assert time.now > started


async def test_a_custom_window_is_respected() -> None:
    time = FakeTime()
    pacer = ConversationPacer((RateWindow(2, 10.0),), monotonic=time.monotonic, sleep=time.sleep)

    for _ in range(3):
        await pacer.wait_turn("c")

    assert time.slept == [pytest.approx(10.0)]


@pytest.mark.parametrize(
    ("status", "idempotent"), [(429, False), (412, False), (502, True), (504, True)]
)
async def test_retryable_refusals_are_retried_with_backoff(status: int, idempotent: bool) -> None:
    time = FakeTime()
    send = Flaky(status, status)
    pacer = ConversationPacer(monotonic=time.monotonic, sleep=time.sleep)

    result = await send_with_retries(
        send,
        conversation_id="c",
        what="a post",
        pacer=pacer,
        policy=RetryPolicy(attempts=4, base_delay=0.5, max_delay=10),
        idempotent=idempotent,
        sleep=time.sleep,
    )

    assert result == "sent" and send.attempts == 3
    first, second = time.slept
    assert 0.25 <= first <= 0.5 and 0.5 <= second <= 1.0


@pytest.mark.parametrize("status", [502, 504])
async def test_a_new_message_is_never_resent_after_a_gateway_error(status: int) -> None:
    time = FakeTime()
    send = Flaky(status)

    with pytest.raises(DeliveryError) as refused:
        await send_with_retries(
            send,
            conversation_id="c",
            what="a post",
            pacer=ConversationPacer(monotonic=time.monotonic, sleep=time.sleep),
            policy=RetryPolicy(attempts=4),
            sleep=time.sleep,
        )

    assert send.attempts == 1  # Teams may have posted it: sending again could post it twice
    assert refused.value.retryable


async def test_retry_after_is_honoured() -> None:
    time = FakeTime()
    send = Flaky(429, headers={"Retry-After": "3"})

    await send_with_retries(
        send,
        conversation_id="c",
        what="a post",
        pacer=ConversationPacer(monotonic=time.monotonic, sleep=time.sleep),
        policy=RetryPolicy(),
        sleep=time.sleep,
    )

    assert time.slept == [3.0]


async def test_giving_up_is_a_retryable_delivery_error() -> None:
    time = FakeTime()
    pacer = ConversationPacer(monotonic=time.monotonic, sleep=time.sleep)

    with pytest.raises(DeliveryError) as exhausted:
        await send_with_retries(
            Flaky(502, 502, 502, 502),
            conversation_id="c",
            what="a post",
            pacer=pacer,
            policy=RetryPolicy(attempts=3),
            sleep=time.sleep,
        )
    assert exhausted.value.retryable

    with pytest.raises(DeliveryError) as too_long:
        await send_with_retries(
            Flaky(429, headers={"Retry-After": "120"}),
            conversation_id="c",
            what="a post",
            pacer=pacer,
            policy=RetryPolicy(max_delay=10),
            sleep=time.sleep,
        )
    assert too_long.value.retryable and "wait" in too_long.value.reason


async def test_other_refusals_are_not_retried() -> None:
    send = Flaky(400)

    with pytest.raises(DeliveryError) as refused:
        await send_with_retries(
            send,
            conversation_id="c",
            what="a post",
            pacer=ConversationPacer(),
            policy=RetryPolicy(),
        )

    assert send.attempts == 1 and not refused.value.retryable


def test_retry_after_reads_seconds_and_dates() -> None:
    later = datetime.now(UTC) + timedelta(seconds=30)
    assert retry_after_seconds({"Retry-After": "7"}) == 7.0
    assert 25 < (retry_after_seconds({"Retry-After": format_datetime(later)}) or 0) <= 30
    assert retry_after_seconds({"Retry-After": "soon"}) is None
    assert retry_after_seconds({}) is None


async def test_a_throttled_escalation_post_is_retried_through_the_endpoint(teams: Teams) -> None:
    await teams.send(channel_message("flag help", sender=MARIA, channel=ESCALATIONS))
    teams.connector.refuse_next("create", 429, retry_after="0")
    teams.connector.refuse_next("reply", 429, retry_after="0")

    status, _ = await teams.send(channel_message("flag escalate refunds stuck ZD-4471"))

    assert status == 200
    creates = [call for call in teams.connector.calls if call.kind == "create"]
    assert [call.answered for call in creates] == [429, 200]
    assert "**F-1** escalated" in teams.connector.of("reply")[-1].texts()
    throttled = [call.kind for call in teams.connector.calls if call.answered == 429]
    assert throttled == ["create", "reply"]


class Credentials:
    """Stands in for MicrosoftAppCredentials: records which thread fetched the token."""

    def __init__(self, app_id: str, *, fails: bool = False) -> None:
        self.microsoft_app_id = app_id
        self.fails = fails
        self.fetched_in: list[int] = []

    def get_access_token(self) -> str:
        self.fetched_in.append(threading.get_ident())
        if self.fails:
            raise PermissionError("AADSTS7000215: invalid client secret")
        return "token"


def connector_with(credentials: Credentials) -> SimpleNamespace:
    config = SimpleNamespace(
        retry_policy=SimpleNamespace(retries=3),
        connection=SimpleNamespace(timeout=100),
        credentials=credentials,
    )
    return SimpleNamespace(config=config)


async def test_a_connector_is_prepared_with_one_retry_layer_and_an_off_loop_token() -> None:
    credentials = Credentials("3b2f5e8a-6c1d-4f7e-9a2b-8d4c6e0f1a23")
    connector = connector_with(credentials)

    await prepare_connector(connector)

    assert connector.config.retry_policy.retries == 0
    assert connector.config.connection.timeout < 100
    assert credentials.fetched_in and credentials.fetched_in[0] != threading.get_ident()


async def test_a_token_that_cannot_be_had_is_a_delivery_error_for_the_admin() -> None:
    connector = connector_with(Credentials("3b2f5e8a-6c1d-4f7e-9a2b-8d4c6e0f1a23", fails=True))

    with pytest.raises(DeliveryError) as refused:
        await prepare_connector(connector)

    assert refused.value.retryable
    assert refused.value.admin_hint is not None
    assert "MICROSOFT_APP_PASSWORD" in refused.value.admin_hint
    assert "AADSTS" not in refused.value.reason


async def test_credentials_are_made_once_per_app_and_audience() -> None:
    class Counting:
        made = 0

        async def create_credentials(self, *key: object) -> object:
            self.made += 1
            return object()

    inner = Counting()
    reused = ReusedCredentials(inner)  # type: ignore[arg-type]

    first = await reused.create_credentials("app", "https://api.botframework.com", "login", True)
    again = await reused.create_credentials("app", "https://api.botframework.com", "login", True)
    other = await reused.create_credentials("app", "https://other.example", "login", True)

    assert first is again and other is not first
    assert inner.made == 2
