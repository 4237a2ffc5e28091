"""The fake Slack Web API process on its own: answers, history with metadata, faults, the log."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest

from tests.process.harness import FakeSlackProcess

pytestmark = pytest.mark.process


async def _call(
    session: aiohttp.ClientSession, fake: FakeSlackProcess, method: str, **kwargs: Any
) -> tuple[int, dict[str, Any], dict[str, str]]:
    async with session.post(f"{fake.api_url}{method}", **kwargs) as response:
        return response.status, await response.json(), dict(response.headers)


async def test_posts_are_kept_with_their_metadata_and_read_back_newest_first(
    fake_slack_process: FakeSlackProcess,
) -> None:
    fake = fake_slack_process
    metadata = {"event_type": "frontline_flag", "event_payload": {"outbox_id": 7}}
    async with aiohttp.ClientSession() as session:
        _, first, _ = await _call(
            session,
            fake,
            "chat.postMessage",
            json={"channel": "C1", "text": "one", "metadata": metadata},
        )
        form = {"channel": "C1", "text": "two", "metadata": json.dumps(metadata)}
        _, second, _ = await _call(session, fake, "chat.postMessage", data=form)
        _, reply, _ = await _call(
            session,
            fake,
            "chat.postMessage",
            data={"channel": "C1", "text": "in thread", "thread_ts": first["ts"]},
        )
        _, plain, _ = await _call(session, fake, "conversations.history", data={"channel": "C1"})
        _, full, _ = await _call(
            session,
            fake,
            "conversations.history",
            data={"channel": "C1", "include_all_metadata": "true", "oldest": first["ts"]},
        )
        _, limited, _ = await _call(
            session, fake, "conversations.history", data={"channel": "C1", "limit": "1"}
        )
        _, thread, _ = await _call(
            session,
            fake,
            "conversations.replies",
            data={"channel": "C1", "ts": first["ts"], "include_all_metadata": "true"},
        )

    assert first["ts"] < second["ts"] < reply["ts"]
    assert [m["text"] for m in plain["messages"]] == ["two", "one"]
    assert all("metadata" not in m for m in plain["messages"])
    assert [(m["text"], m["metadata"]) for m in full["messages"]] == [("two", metadata)]
    assert [m["text"] for m in limited["messages"]] == ["two"] and limited["has_more"]
    assert [m["text"] for m in thread["messages"]] == ["one", "in thread"]
    assert thread["messages"][0]["metadata"] == metadata


async def test_refusals_and_ambiguous_failures_are_injected_and_logged(
    fake_slack_process: FakeSlackProcess,
) -> None:
    fake = fake_slack_process
    await fake.refuse("chat.postMessage", status=429, error="ratelimited", times=2, retry_after=30)
    async with aiohttp.ClientSession() as session:
        post = {"data": {"channel": "C1", "text": "hello"}}
        refusals = [await _call(session, fake, "chat.postMessage", **post) for _ in range(2)]
        accepted = await _call(session, fake, "chat.postMessage", **post)
        await fake.refuse("chat.postMessage", mode="fail_after_create", status=504)
        ambiguous = await _call(session, fake, "chat.postMessage", **post)
        await fake.refuse("*", error="fatal_error", times=None)
        await fake.reset()
        after_reset = await _call(session, fake, "auth.test")
        async with session.post(fake.response_url("cmd-1"), json={"text": "done"}) as response:
            assert response.status == 200

    for status, body, headers in refusals:
        assert (status, body, headers["Retry-After"]) == (
            429,
            {"ok": False, "error": "ratelimited"},
            "30",
        )
    assert accepted[0] == 200 and accepted[1]["ok"]
    assert ambiguous[0] == 504 and not ambiguous[1]["ok"]
    assert after_reset[1]["ok"] and after_reset[1]["team_id"] == "T0FRONTL1"
    posts = fake.called("chat.postMessage")
    assert [c["outcome"] for c in posts] == ["refused", "refused", "ok", "ok"]
    assert ["posted_ts" in c for c in posts] == [False, False, True, True]  # 504: posted anyway
    (answer,) = fake.called("response_url")
    assert answer["params"] == {"name": "cmd-1", "text": "done"}
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{fake.base}/calls") as response,
    ):
        assert [c["seq"] for c in await response.json()] == [c["seq"] for c in fake.calls()]
