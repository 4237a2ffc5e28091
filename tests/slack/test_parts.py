"""Signatures, payload parsing, dedupe keys, the people cache and the form check, one by one."""

from __future__ import annotations

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.adapter import SlackCredentials
from adapters.slack.dedupe import MIN_RETENTION, press_keys
from adapters.slack.payloads import (
    PayloadError,
    parse_button_press,
    parse_event,
    parse_http_body,
)
from adapters.slack.people import NAME_TTL_SECONDS, People
from adapters.slack.signature import is_signed, signed_headers
from bot.due import IDEMPOTENCY_RETENTION
from bot.flag_form import form_problems
from tests.slack.driver import fixture
from tests.slack.fake_slack import FakeSlack


def test_signatures() -> None:
    body = b"command=%2Fflag&text=help"
    headers = signed_headers("secret", body, timestamp=1_700_000_000)
    stamp, signature = headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"]
    assert is_signed("secret", body, stamp, signature, now=1_700_000_100)
    assert not is_signed("secret", body + b"x", stamp, signature, now=1_700_000_100)
    assert not is_signed("other", body, stamp, signature, now=1_700_000_100)
    assert not is_signed("secret", body, stamp, signature, now=1_700_000_301)
    assert not is_signed("secret", body, "-1", signature, now=1_700_000_000)
    wide_digits = "\uff11\uff17\uff10\uff10"  # digits to str.isdigit, but not ASCII ones
    assert not is_signed("secret", body, wide_digits, signature, now=1_700_000_000)
    assert not is_signed("secret", body, stamp, "v0=é", now=1_700_000_100)


def test_keys_are_kept_long_enough_for_slack_retries() -> None:
    assert IDEMPOTENCY_RETENTION >= MIN_RETENTION


def test_a_double_click_collides_and_a_later_press_does_not() -> None:
    def press(action_ts: str, trigger: str) -> tuple[str, ...]:
        payload = fixture(
            "block_actions_message", trigger_id=trigger, **{"actions.0.action_ts": action_ts}
        )
        return press_keys(parse_button_press(payload))

    first = press("1700000104.9", "t1")
    assert set(first) & set(press("1700000105.2", "t2"))  # across a window boundary
    assert not set(first) & set(press("1700000130.0", "t3"))  # half a minute later
    assert set(first) & set(press("1700000999.0", "t1"))  # same trigger: a replay


def test_a_home_button_press_knows_where_it_came_from() -> None:
    press = parse_button_press(fixture("block_actions_home"))
    assert press.from_home and press.view_id == "V0HOME0001"
    assert press.response_url is None and press.channel_id is None
    on_message = parse_button_press(fixture("block_actions_message"))
    assert not on_message.from_home and on_message.container == "1700000001.000100"


def test_events_from_bots_and_edits_carry_no_person() -> None:
    edit = parse_event(
        fixture("event_message_thread_reply", **{"event.subtype": "message_changed"})
    )
    assert edit.from_bot and edit.channel_id == ""
    broadcast = parse_event(
        fixture("event_message_thread_reply", **{"event.subtype": "thread_broadcast"})
    )
    assert not broadcast.from_bot and broadcast.thread_ts == "1700000001.000100"
    file_reaction = parse_event(fixture("event_reaction_added", **{"event.item": {"type": "file"}}))
    assert file_reaction.channel_id == ""


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", b"[]"),
        ("application/json; charset=utf-8", b"{"),
        ("application/x-www-form-urlencoded", b"payload=%7B"),
        ("application/x-www-form-urlencoded", b"a=1&&&b"),
        ("multipart/form-data", b"command=/flag"),
    ],
)
def test_bodies_that_are_not_slack_payloads(content_type: str, body: bytes) -> None:
    with pytest.raises(PayloadError):
        parse_http_body(content_type, body)


def test_form_problems_name_their_fields() -> None:
    assert form_problems(kind="escalate", summary="x", customer_refs="", severity="") == {}
    problems = form_problems(
        kind="urgent", summary="", customer_refs="ZD-1 acme", severity="critical"
    )
    assert set(problems) == {"kind", "summary", "customer_refs", "severity"}
    assert "Usage:" not in problems["summary"]
    assert problems["severity"] == "`critical` is not a severity; use high, normal or low."


async def test_display_names_are_cached_until_they_expire(fake_slack: FakeSlack) -> None:
    fake_slack.names["U1"] = "maria"
    now = [0.0]
    client = AsyncWebClient(token="xoxb-test", base_url=fake_slack.url)
    people = People(client, monotonic=lambda: now[0])
    person = await people.person("T1", "U1", "m")
    assert (person.platform, person.workspace_id, person.display_name) == ("slack", "T1", "maria")
    assert person.mention == "<@U1>"
    await people.person("T1", "U1")
    assert len(fake_slack.called("users.info")) == 1
    now[0] += NAME_TTL_SECONDS + 1
    fake_slack.names["U1"] = "Maria R."
    assert (await people.person("T1", "U1")).display_name == "Maria R."
    assert len(fake_slack.called("users.info")) == 2


def test_credentials_never_show_their_secrets() -> None:
    credentials = SlackCredentials("xoxb-secret-1", "signing-secret-2", "xapp-secret-3", None)
    shown = repr(credentials)
    assert "secret" not in shown and shown == "SlackCredentials(api_url=None)"
