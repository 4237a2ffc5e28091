"""A message with an image (a digest's chart) goes to Slack as a file: the external upload."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.blocks import fallback_text
from adapters.slack.gateway import SlackGateway
from bot.errors import DeliveryError
from bot.messages import Conversation, Image, Message, MessageRef
from bot.outbox.models import Outgoing, OutgoingKind
from tests.slack.fake_slack import TEAM_ID, FakeSlack

CHANNEL = "C0DIGEST01"
ROOT = "1699999999.000100"
# Every byte value, so any text decoding or re-encoding on the way shows.
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40
CHART = Image(png=PNG, filename="digest-chart.png", title="Flags this week", alt="Bars by day")
DIGEST = Message("*Weekly digest*: 12 flags, 3 themes <!channel>", image=CHART)
PLACE = Conversation("slack", TEAM_ID, CHANNEL)
THREAD = MessageRef(PLACE, ROOT)


@pytest.fixture
async def client(fake_slack: FakeSlack) -> AsyncIterator[AsyncWebClient]:
    """A client as the adapter makes it: one shared session, no retry handlers."""
    async with aiohttp.ClientSession() as session:
        yield AsyncWebClient(token="xoxb-test", base_url=fake_slack.url, session=session)


@pytest.fixture
def gateway(client: AsyncWebClient) -> SlackGateway:
    return SlackGateway(client)


@pytest.mark.parametrize("shared_session", [True, False])
async def test_a_chart_replied_in_a_thread_arrives_whole_in_the_thread_with_the_text(
    fake_slack: FakeSlack, client: AsyncWebClient, shared_session: bool
) -> None:
    if not shared_session:
        client.session = None  # every call opens its own session
    ref = await SlackGateway(client).reply(THREAD, DIGEST, marker="42")

    [shared] = fake_slack.files_in(CHANNEL)
    assert shared.content == PNG
    assert (shared.name, shared.title, shared.alt_txt) == (
        "digest-chart-42.png",
        "Flags this week",
        "Bars by day",
    )
    assert shared.thread_ts == ROOT
    assert shared.comment == fallback_text(DIGEST) and "<!channel>" not in shared.comment
    assert ref == MessageRef(PLACE, shared.ts, ROOT)
    [asked] = fake_slack.called("files.getUploadURLExternal")
    assert asked.params["length"] == str(len(PNG))
    assert "chat.postMessage" not in fake_slack.methods()
    [message] = [m for m in fake_slack.history[CHANNEL] if m["ts"] == shared.ts]
    assert message["files"][0]["name"] == "digest-chart-42.png"


@pytest.mark.parametrize("private", [False, True])
async def test_a_chart_posted_at_top_level_is_its_own_message(
    fake_slack: FakeSlack, gateway: SlackGateway, private: bool
) -> None:
    if private:
        fake_slack.private.add(CHANNEL)  # Slack lists its share under `shares.private`
    ref = await gateway.post(PLACE, Message("", image=CHART))
    [shared] = fake_slack.files_in(CHANNEL)
    assert (shared.name, shared.thread_ts, shared.comment) == ("digest-chart.png", None, "")
    assert "initial_comment" not in fake_slack.called("files.completeUploadExternal")[0].params
    assert ref == MessageRef(PLACE, shared.ts)


async def test_without_shares_in_slacks_answer_the_ref_falls_back(
    fake_slack: FakeSlack, gateway: SlackGateway
) -> None:
    fake_slack.answer_shares = False  # as real Slack may, right after the upload
    reply = await gateway.reply(THREAD, DIGEST, marker="1")
    post = await gateway.post(PLACE, DIGEST, marker="2")
    in_thread, top = fake_slack.files_in(CHANNEL)
    assert reply == MessageRef(PLACE, ROOT, ROOT)
    assert post == MessageRef(PLACE, top.id) and top.id.startswith("F")
    assert in_thread.ts != reply.message_id and top.ts != post.message_id


async def test_a_channel_the_bot_is_not_in_is_joined_before_sharing(
    fake_slack: FakeSlack, gateway: SlackGateway
) -> None:
    fake_slack.not_member.add(CHANNEL)
    ref = await gateway.reply(THREAD, DIGEST, marker="7")
    assert fake_slack.methods().count("files.completeUploadExternal") == 2
    assert "conversations.join" in fake_slack.methods()
    [shared] = fake_slack.files_in(CHANNEL)
    assert ref.message_id == shared.ts


@pytest.mark.parametrize("method", ["files.getUploadURLExternal", "files.completeUploadExternal"])
async def test_a_missing_files_write_scope_is_a_refusal_telling_to_add_it(
    fake_slack: FakeSlack, gateway: SlackGateway, method: str
) -> None:
    fake_slack.refuse(method, "missing_scope")
    with pytest.raises(DeliveryError) as refused:
        await gateway.reply(THREAD, DIGEST, marker="3")
    error = refused.value
    assert not error.retryable and not error.uncertain
    assert "files:write" in error.reason
    assert error.admin_hint is not None and "files:write" in error.admin_hint
    assert fake_slack.files_in(CHANNEL) == []


async def test_a_failed_upload_is_retried_and_nothing_was_shared(
    fake_slack: FakeSlack, gateway: SlackGateway
) -> None:
    fake_slack.refuse("upload", "upload_failed", status=500)
    with pytest.raises(DeliveryError) as failed:
        await gateway.reply(THREAD, DIGEST, marker="4")
    assert failed.value.retryable and not failed.value.uncertain
    assert "500" in failed.value.reason
    assert "files.completeUploadExternal" not in fake_slack.methods()
    assert fake_slack.files_in(CHANNEL) == [] and fake_slack.uploads == {}
    # The next attempt starts over, with a new upload URL.
    await gateway.reply(THREAD, DIGEST, marker="4")
    assert len(fake_slack.called("files.getUploadURLExternal")) == 2
    assert [f.content for f in fake_slack.files_in(CHANNEL)] == [PNG]


async def test_an_upload_that_times_out_is_retried_not_looked_for(
    fake_slack: FakeSlack, client: AsyncWebClient
) -> None:
    client.timeout = 1
    fake_slack.slow["upload"] = 3.0
    with pytest.raises(DeliveryError) as failed:
        await SlackGateway(client).post(PLACE, DIGEST, marker="5")
    assert failed.value.retryable and not failed.value.uncertain
    assert "files.completeUploadExternal" not in fake_slack.methods()


async def test_a_share_that_timed_out_is_uncertain_and_found_by_its_marker(
    fake_slack: FakeSlack, client: AsyncWebClient
) -> None:
    since = datetime.now(UTC) - timedelta(minutes=5)
    # slack_sdk applies `timeout` only to the sessions it opens itself, not to a shared one.
    client.session, client.timeout = None, 1
    gateway = SlackGateway(client)
    # The chart is shared, but the answer comes too late: it may exist, look before resending.
    fake_slack.slow["files.completeUploadExternal"] = 3.0
    with pytest.raises(DeliveryError) as failed:
        await gateway.reply(THREAD, DIGEST, marker="42")
    assert failed.value.retryable and failed.value.uncertain
    fake_slack.slow.clear()
    await gateway.post(PLACE, DIGEST, marker="43")
    await gateway.reply(THREAD, Message("a thread line, no file"), marker="44")
    in_thread, top = fake_slack.files_in(CHANNEL)

    reply = Outgoing(OutgoingKind.REPLY, "slack", TEAM_ID, DIGEST, "digest", ref=THREAD)
    found = await gateway.find_sent(reply, "42", since)
    assert found.known and found.ref == MessageRef(PLACE, in_thread.ts, ROOT)
    assert (await gateway.find_sent(reply, "43", since)).ref is None
    assert fake_slack.called("conversations.replies")[0].params["ts"] == ROOT

    post = Outgoing.post(PLACE, DIGEST, purpose="digest", flag_id=None)
    found = await gateway.find_sent(post, "43", since)
    assert found.known and found.ref == MessageRef(PLACE, top.ts)
    assert (await gateway.find_sent(post, "44", since)).ref is None
