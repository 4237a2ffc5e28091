"""Teams' refusals as DeliveryErrors, and delivery to Teams through the outbox.

Retries, Retry-After and pacing happen in the delivery worker, never in a request: a slow or
throttling connector cannot hold up Teams' HTTP answer.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from types import SimpleNamespace

import pytest
from msrest.exceptions import ClientRequestError, HttpOperationError

from adapters.teams.auth import ReusedCredentials
from adapters.teams.gateway import prepare_connector
from adapters.teams.refusals import refusal, retry_after_seconds
from bot.errors import DeliveryError
from tests.teams.harness import ESCALATIONS, MARIA, Teams, card_press, channel_message


class Refused(HttpOperationError):  # type: ignore[misc]
    """What the Bot Connector client raises for an HTTP error answer."""

    def __init__(self, status: int, headers: dict[str, str] | None = None) -> None:
        Exception.__init__(self, f"HTTP {status}")
        self.response = SimpleNamespace(status_code=status, headers=headers or {})
        self.error = None
        self.message = f"HTTP {status}"


@pytest.mark.parametrize("status", [429, 412])
def test_throttling_asks_for_a_pause_and_costs_no_attempt(status: int) -> None:
    error = refusal(Refused(status, {"Retry-After": "30"}), "a post", creates=True)
    assert error.retryable and error.retry_after == 30.0 and not error.uncertain


def test_throttling_without_retry_after_waits_a_second() -> None:
    assert refusal(Refused(429), "a post").retry_after == 1.0


@pytest.mark.parametrize("status", [502, 504])
def test_a_gateway_error_on_a_new_message_leaves_it_uncertain(status: int) -> None:
    created = refusal(Refused(status), "a post", creates=True)
    assert created.retryable and created.uncertain  # Teams may have posted it
    updated = refusal(Refused(status), "an update")
    assert updated.retryable and not updated.uncertain  # an update can simply be repeated


@pytest.mark.parametrize("status", [500, 503])
def test_a_service_error_is_retried_as_not_done(status: int) -> None:
    error = refusal(Refused(status), "a post", creates=True)
    assert error.retryable and not error.uncertain


def test_a_lost_connection_is_retryable_and_uncertain_for_a_new_message() -> None:
    lost = refusal(ClientRequestError("connection reset"), "a post", creates=True)
    assert lost.retryable and lost.uncertain and "could not be reached" in lost.reason


def test_a_send_that_ran_out_of_time_says_so_and_may_have_arrived() -> None:
    slow = ClientRequestError("timed out", inner_exception=TimeoutError())
    error = refusal(slow, "a reply", creates=True)
    assert error.reason == "Teams did not answer in time for a reply"
    assert error.retryable and error.uncertain


def test_other_refusals_are_permanent_and_say_what_to_fix() -> None:
    assert not refusal(Refused(400), "a post").retryable
    gone = refusal(Refused(403), "a post")
    assert not gone.retryable and gone.admin_hint is not None


def test_retry_after_reads_seconds_and_dates() -> None:
    later = datetime.now(UTC) + timedelta(seconds=30)
    assert retry_after_seconds({"Retry-After": "7"}) == 7.0
    assert 25 < (retry_after_seconds({"Retry-After": format_datetime(later)}) or 0) <= 30
    assert retry_after_seconds({"Retry-After": "soon"}) is None
    assert retry_after_seconds({}) is None


async def seen_in_escalations(teams: Teams) -> None:
    """Maria @mentions Frontline in the escalation channel once, so it can post there."""
    await teams.send(channel_message("flag help", sender=MARIA, channel=ESCALATIONS))


async def test_server_errors_then_a_long_retry_after_end_in_one_card(teams: Teams) -> None:
    await seen_in_escalations(teams)
    teams.connector.refuse_next("create", 500, times=2)
    teams.connector.refuse_next("create", 429, retry_after="30")

    status, _ = await teams.send(channel_message("flag escalate refunds stuck ZD-4471"))
    assert status == 200
    for _ in range(3):  # past each backoff, then past the 30 s Teams asked for
        teams.clock.advance(timedelta(minutes=1))
        teams.runtime.delivery.wake()
        await teams.settle()

    creates = [c for c in teams.connector.calls if c.kind == "create" and c.body.get("isGroup")]
    assert [c.answered for c in creates] == [500, 500, 429, 200]
    assert "**F-1** escalated" in teams.connector.of("reply")[-1].texts()


async def test_a_502_after_the_card_was_made_posts_no_second_card_and_the_card_is_adopted(
    teams: Teams,
) -> None:
    await seen_in_escalations(teams)
    teams.connector.fail_after_doing("create", 502)

    await teams.send(channel_message("flag escalate refunds stuck ZD-4471"))
    teams.clock.advance(timedelta(minutes=5))
    teams.runtime.delivery.wake()
    await teams.settle()

    [card] = [c for c in teams.connector.of("create") if c.body.get("isGroup")]
    assert card.answered == 502  # Teams made it but said 502; Frontline cannot look it up
    root = card.result["activityId"]
    # A manager presses Acknowledge on that card: Frontline learns where its post is.
    press = card_press(
        "flag_acknowledge", {"action_id": "flag_acknowledge", "value": "1"}, root=root
    )
    status, body = await teams.send(press)
    assert status == 200 and body["value"].startswith("You own F-1 now")
    [update] = teams.connector.of("update")
    assert update.activity_id == root and "Acknowledged by <at>Maria Novak</at>" in update.texts()
    cards = [c for c in teams.connector.calls if c.kind == "create" and c.body.get("isGroup")]
    assert len(cards) == 1  # never posted twice


async def test_teams_gets_its_answer_at_once_however_slow_the_connector(teams: Teams) -> None:
    await seen_in_escalations(teams)
    teams.connector.delay = 20.0  # beyond Teams' 15 s patience, were sends in the request

    started = time.monotonic()
    status, _ = await teams.send(
        channel_message("flag escalate refunds stuck ZD-4471"), settle=False
    )
    assert status == 200
    assert time.monotonic() - started < 5.0  # the sends wait in the outbox, not in the request
    async with teams.runtime.core.uow() as uow:
        assert (await uow.outbox.stats(teams.clock.now())).pending >= 1
    teams.connector.delay = 0.0


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
