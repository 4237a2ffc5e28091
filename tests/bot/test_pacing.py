"""Pacing per conversation: Teams' 7 a second and 60 in 30 seconds, Slack's 1 a second."""

from __future__ import annotations

import pytest

from bot.outbox.pacing import SLACK_WINDOWS, TEAMS_WINDOWS, ConversationPacer, RateWindow


async def _send(pacer: ConversationPacer, conversation: str) -> None:
    async with pacer.turn(conversation):
        pass


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


async def test_seven_a_second_then_the_eighth_waits() -> None:
    time = FakeTime()
    pacer = ConversationPacer(TEAMS_WINDOWS, monotonic=time.monotonic, sleep=time.sleep)

    for _ in range(7):
        await _send(pacer, "19:chat")
    assert time.slept == []
    await _send(pacer, "19:chat")
    assert time.slept == [pytest.approx(1.0)]
    await _send(pacer, "19:other")
    assert len(time.slept) == 1


async def test_sixty_in_thirty_seconds_then_the_next_waits_for_the_window() -> None:
    time = FakeTime()
    pacer = ConversationPacer(TEAMS_WINDOWS, monotonic=time.monotonic, sleep=time.sleep)

    for _ in range(60):
        await _send(pacer, "19:chat")
        time.now += 0.2  # 5 a second: under the per-second limit
    started = time.now
    await _send(pacer, "19:chat")

    assert time.now - 1000.0 >= 30.0
    assert time.now > started


async def test_a_custom_window_is_respected() -> None:
    time = FakeTime()
    pacer = ConversationPacer((RateWindow(2, 10.0),), monotonic=time.monotonic, sleep=time.sleep)

    for _ in range(3):
        await _send(pacer, "c")

    assert time.slept == [pytest.approx(10.0)]


async def test_slack_channels_get_one_message_a_second_each() -> None:
    time = FakeTime()
    pacer = ConversationPacer(SLACK_WINDOWS, monotonic=time.monotonic, sleep=time.sleep)

    for channel in ("C1", "C2", "C3"):
        await _send(pacer, channel)
    assert time.slept == []  # different channels never wait for each other
    await _send(pacer, "C1")
    assert time.slept == [pytest.approx(1.0)]


async def test_a_slow_send_is_counted_from_its_answer_not_its_start() -> None:
    time = FakeTime()
    pacer = ConversationPacer(SLACK_WINDOWS, monotonic=time.monotonic, sleep=time.sleep)

    async with pacer.turn("C1"):
        time.now += 0.7  # the platform took 0.7 s to answer
    await _send(pacer, "C1")

    # Counted from the answer, the next send waits a full second more, not 0.3 s.
    assert time.slept == [pytest.approx(1.0)]
