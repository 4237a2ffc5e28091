"""Forged, replayed and unsigned requests change nothing (401); oversize 413; malformed 400."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable
from urllib.parse import urlencode

import pytest

from adapters.slack.endpoint import MAX_BODY_BYTES
from adapters.slack.signature import signed_headers
from tests.slack.driver import SECRET, SlackDriver, fixture

FORM = "application/x-www-form-urlencoded"


def command_body(text: str = "escalate checkout fails for all EU cards") -> bytes:
    return urlencode(fixture("slash_command", text=text)).encode()


async def assert_nothing_happened(slack: SlackDriver) -> None:
    await slack.settle()
    assert await slack.flag_count() == 0
    assert slack.fake.methods() == ["auth.test"]  # only the start-up check reached Slack


def now() -> int:
    return int(time.time())


# Built when the test runs (not at collection), so "fresh" really is fresh.
BAD_SIGNATURES: dict[str, Callable[[], dict[str, str]]] = {
    "unsigned": lambda: {},
    "no-signature": lambda: {"X-Slack-Request-Timestamp": str(now())},
    "no-timestamp": lambda: {"X-Slack-Signature": "v0=" + "0" * 64},
    "wrong-secret": lambda: signed_headers("not-the-secret", command_body()),
    "replayed": lambda: signed_headers(SECRET, command_body(), timestamp=now() - 301),
    "future": lambda: signed_headers(SECRET, command_body(), timestamp=now() + 301),
    "odd-timestamp": lambda: {
        **signed_headers(SECRET, command_body()),
        "X-Slack-Request-Timestamp": "1e9",
    },
    "tampered-body": lambda: signed_headers(SECRET, command_body("escalate something else")),
}


@pytest.mark.parametrize("case", list(BAD_SIGNATURES))
async def test_bad_signatures_get_401_and_change_nothing(slack: SlackDriver, case: str) -> None:
    headers = BAD_SIGNATURES[case]()
    response = await slack.post(command_body(), FORM, headers=headers, signed=False)
    assert response.status == 401
    assert await response.json() == {"error": "invalid signature"}  # ours, before Bolt's
    await assert_nothing_happened(slack)


async def test_a_recent_signature_is_accepted(slack: SlackDriver) -> None:
    headers = signed_headers(SECRET, command_body(), timestamp=now() - 240)
    assert (await slack.post(command_body(), FORM, headers=headers, signed=False)).status == 200
    await slack.settle()
    assert await slack.flag_count() == 1


async def test_oversize_bodies_get_413(slack: SlackDriver) -> None:
    huge = command_body("escalate " + "x" * MAX_BODY_BYTES)
    assert (await slack.post(huge, FORM)).status == 413

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted while read
        for start in range(0, len(huge), 65536):
            yield huge[start : start + 65536]

    headers = {**signed_headers(SECRET, huge), "Content-Type": FORM}
    response = await slack.http.post("/slack/events", data=chunks(), headers=headers)
    assert response.status == 413
    await assert_nothing_happened(slack)


def interactive(payload: str) -> bytes:
    return urlencode({"payload": payload}).encode()


MALFORMED = {
    "bad-json-payload": (interactive("{not json"), FORM),
    "payload-not-object": (interactive("[1, 2]"), FORM),
    "form-without-command": (urlencode({"text": "hi"}).encode(), FORM),
    "command-without-user": (
        urlencode({k: v for k, v in fixture("slash_command").items() if k != "user_id"}).encode(),
        FORM,
    ),
    "json-not-object": (b'"hello"', "application/json"),
    "json-garbage": (b'{"type": ', "application/json"),
    "event-without-event": (
        json.dumps({**fixture("event_app_mention"), "event": None}).encode(),
        "application/json",
    ),
    "event-without-id": (
        json.dumps(
            {k: v for k, v in fixture("event_app_mention").items() if k != "event_id"}
        ).encode(),
        "application/json",
    ),
    "actions-not-a-list": (
        interactive(json.dumps({**fixture("block_actions_message"), "actions": "flag_resolve"})),
        FORM,
    ),
    "view-values-not-objects": (
        interactive(
            json.dumps(fixture("view_submission_flag_form", **{"view.state.values": {"kind": 3}}))
        ),
        FORM,
    ),
    "user-id-not-text": (
        interactive(json.dumps(fixture("message_action", **{"user.id": 42}))),
        FORM,
    ),
    "wrong-content-type": (command_body(), "text/plain"),
    "no-content-type": (command_body(), ""),
    "not-utf8": (b"command=/flag&text=\xff\xfe", FORM),
}


@pytest.mark.parametrize("case", list(MALFORMED))
async def test_malformed_signed_bodies_get_400_never_500(slack: SlackDriver, case: str) -> None:
    body, content_type = MALFORMED[case]
    response = await slack.post(body, content_type)
    assert response.status == 400, await response.text()
    assert "malformed request" in (await response.json())["error"]
    await assert_nothing_happened(slack)


async def test_slack_url_verification_is_answered(slack: SlackDriver) -> None:
    response = await slack.post(
        json.dumps(fixture("url_verification")).encode(), "application/json"
    )
    assert response.status == 200
    assert (await response.json())["challenge"] == fixture("url_verification")["challenge"]


async def test_odd_unicode_is_handled_not_crashed_on(slack: SlackDriver) -> None:
    text = "escalate \u202echeckout\u200b fails 💳 for \U0001f1ea\U0001f1fa cards \x00 ZD-9912"
    assert (await slack.command(text)).status == 200
    await slack.settle()
    flag = await slack.flag(1)
    assert "\u202e" not in flag.summary and "\x00" not in flag.summary
    assert "💳" in flag.summary


async def test_a_body_that_does_not_arrive_in_time_gets_408(
    slack: SlackDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    import adapters.slack.endpoint as endpoint

    monkeypatch.setattr(endpoint, "BODY_SECONDS", 0.3)
    server = slack.http.server
    reader, writer = await asyncio.open_connection(server.host, server.port)
    writer.write(
        b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b'Content-Length: 1000\r\n\r\n{"type": '
    )
    await writer.drain()
    status_line = await asyncio.wait_for(reader.readline(), 5)
    writer.close()
    assert status_line.startswith(b"HTTP/1.1 408")
    await assert_nothing_happened(slack)
