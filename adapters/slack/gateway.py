"""The Slack chat gateway: every outgoing message leaves through the Web API (or a response URL).

Only the outbox's delivery worker calls it, so nothing here retries or waits: a failure is a
`DeliveryError` saying whether and when to try again, and whether the message may exist anyway
(a timeout or a 5xx after Slack got the call). Posts carry their outbox id in Slack's message
`metadata`, so `find_sent` can look for them in the conversation's history before a second try.
A post or reply with an image (a digest's chart) is a file upload instead, and its outbox id is
in the uploaded file's name (`<name>-<outbox id>.png`); `adapters.slack.history` finds either.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.network_errors import never_sent
from adapters.slack.blocks import fallback_text, message_blocks
from adapters.slack.errors import delivery_error, error_code, unreachable
from adapters.slack.history import HISTORY_PAGE, find_marked, marker_metadata, oldest
from adapters.slack.uploads import shared_ts, upload_bytes, upload_name
from bot.errors import DeliveryError
from bot.messages import Conversation, Image, Message, MessageRef, Person
from bot.outbox.models import Outgoing, OutgoingKind
from bot.ports import SentLookup

log = logging.getLogger(__name__)
PLATFORM = "slack"
RESPONSE_URL_TIMEOUT_SECONDS = 10

Call = Callable[[], Awaitable[AsyncSlackResponse]]


class SlackGateway:
    """Implements the ChatGateway port over `chat.*` and `conversations.*` calls."""

    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client
        self._dm_channels: dict[str, str] = {}
        self.session: aiohttp.ClientSession | None = None  # for response URLs

    async def post(
        self, conversation: Conversation, message: Message, *, marker: str | None = None
    ) -> MessageRef:
        if message.image is not None:
            return await self._share_image(conversation, None, message, message.image, marker)
        channel = conversation.channel_id
        response = await self._call(
            "chat.postMessage",
            channel,
            lambda: self._client.chat_postMessage(
                channel=channel,
                text=fallback_text(message),
                blocks=message_blocks(message),
                metadata=marker_metadata(marker),
            ),
            join=True,
            creates=True,
        )
        return MessageRef(conversation, _ts(response))

    async def reply(
        self, thread: MessageRef, message: Message, *, marker: str | None = None
    ) -> MessageRef:
        if message.image is not None:
            return await self._share_image(
                thread.conversation, thread.thread_root, message, message.image, marker
            )
        channel = thread.conversation.channel_id
        response = await self._call(
            "chat.postMessage",
            channel,
            lambda: self._client.chat_postMessage(
                channel=channel,
                thread_ts=thread.thread_root,
                text=fallback_text(message),
                blocks=message_blocks(message),
                metadata=marker_metadata(marker),
            ),
            join=True,
            creates=True,
        )
        return MessageRef(thread.conversation, _ts(response), thread.thread_root)

    async def update(self, ref: MessageRef, message: Message) -> None:
        channel = ref.conversation.channel_id
        await self._call(
            "chat.update",
            channel,
            lambda: self._client.chat_update(
                channel=channel,
                ts=ref.message_id,
                text=fallback_text(message),
                blocks=message_blocks(message),
            ),
            join=True,
        )

    async def direct_message(
        self, person: Person, message: Message, *, marker: str | None = None
    ) -> MessageRef | None:
        channel = await self._dm_channel(person.user_id)
        response = await self._call(
            "chat.postMessage",
            channel,
            lambda: self._client.chat_postMessage(
                channel=channel,
                text=fallback_text(message),
                blocks=message_blocks(message),
                metadata=marker_metadata(marker),
            ),
            creates=True,
        )
        conversation = Conversation(PLATFORM, person.workspace_id, channel)
        return MessageRef(conversation, _ts(response))

    async def answer(self, person: Person, route: Mapping[str, str], message: Message) -> None:
        """Show `message` to `person` only, as close to where they acted as Slack allows.

        The response URL first (it works in channels the bot is not in), else an ephemeral
        message in the channel, else — App Home, or both refused — the app's DM with them.
        """
        if not route.get("from_home"):
            url = route.get("response_url")
            if url and await self._via_response_url(url, message):
                return
            channel = route.get("channel_id")
            if channel:
                conversation = Conversation(PLATFORM, person.workspace_id, channel)
                try:
                    await self.ephemeral(conversation, person, message, route.get("thread_ts"))
                    return
                except DeliveryError as error:
                    log.info("ephemeral answer in %s failed: %s", channel, error.reason)
        await self.direct_message(person, message)

    async def find_sent(self, outgoing: Outgoing, marker: str, since: datetime) -> SentLookup:
        """Look for the message carrying `marker` in its channel's (or thread's) history.

        A message carries it in its `metadata`, or — a post or reply with an image, which went
        up as a file — as the name of its file (`uploads.upload_name`).
        """
        image, filename = outgoing.message.image, None
        if image is not None and outgoing.kind is not OutgoingKind.DIRECT:  # DMs send no image
            filename = upload_name(image, marker)
        try:
            if outgoing.kind is OutgoingKind.DIRECT and outgoing.person is not None:
                channel = await self._dm_channel(outgoing.person.user_id)
                conversation = Conversation(PLATFORM, outgoing.workspace_id, channel)
                thread = None
            elif outgoing.kind is OutgoingKind.REPLY and outgoing.ref is not None:
                conversation, thread = outgoing.ref.conversation, outgoing.ref.thread_root
            elif outgoing.channel_id is not None:
                conversation = Conversation(PLATFORM, outgoing.workspace_id, outgoing.channel_id)
                thread = None
            else:
                return SentLookup(known=False)
            channel_id = conversation.channel_id
            ts = await find_marked(
                functools.partial(self._history_page, channel_id, thread, oldest(since)),
                marker,
                filename=filename,
                thread=thread,
            )
        except DeliveryError as error:
            log.warning("could not look for outbox message %s: %s", marker, error.reason)
            if error.retryable or error.retry_after is not None:
                # Slack is down or busy: look again later; sending now could make a second one.
                raise DeliveryError(
                    f"could not look for it in Slack first ({error.reason})",
                    retryable=True,
                    uncertain=True,
                    retry_after=error.retry_after,
                ) from None
            return SentLookup(known=False)
        if ts is None:
            return SentLookup(known=True)
        return SentLookup(known=True, ref=MessageRef(conversation, ts, thread))

    async def _history_page(
        self, channel: str, thread: str | None, since: str, cursor: str | None
    ) -> AsyncSlackResponse:
        page: dict[str, Any] = {
            "channel": channel,
            "oldest": since,
            "include_all_metadata": True,
            "limit": HISTORY_PAGE,
            "cursor": cursor,
        }
        if thread is None:
            client_call = functools.partial(self._client.conversations_history, **page)
            return await self._call("conversations.history", channel, client_call)
        client_call = functools.partial(self._client.conversations_replies, ts=thread, **page)
        return await self._call("conversations.replies", channel, client_call)

    async def _share_image(
        self,
        conversation: Conversation,
        thread: str | None,
        message: Message,
        image: Image,
        marker: str | None,
    ) -> MessageRef:
        """Upload `image` and share it in `conversation` (in `thread`), `message`'s text with it.

        Slack's external upload, one call at a time so each failure says what it means:
        1. `files.getUploadURLExternal` — nothing exists yet: a refusal is final
           (`missing_scope`: the app lacks `files:write`), a 5xx or timeout retryable;
        2. POST of the bytes to the `upload_url` it gave — the file is uploaded but shared
           nowhere, so any failure is retryable and never uncertain (a retry starts over);
        3. `files.completeUploadExternal` — shares it as a message (with the text as its
           `initial_comment`): a 5xx or timeout may have shared it anyway (`creates`), and
           `not_in_channel` joins a public channel first, like `chat.postMessage`.
        (`AsyncWebClient.files_upload_v2` makes the same three calls, but as one that fails
        the same way at any step, so a timeout of step 1 could not be told from one of step 3.)
        The message's fields, buttons and footer are not shown: a file share has only text.

        Returns the share message (its ts, from the answer's `files[0].shares`). When Slack has
        not filled `shares` in yet (it does so asynchronously) the message's ts is unknown: a
        reply's ref is then the thread root (`message_id` = `thread_id`), a post's has the file
        id as `message_id` (neither can be updated or replied to as a message).
        """
        channel = conversation.channel_id
        filename = upload_name(image, marker)
        started = await self._call(
            "files.getUploadURLExternal",
            channel,
            lambda: self._client.files_getUploadURLExternal(
                filename=filename, length=len(image.png), alt_txt=image.alt or None
            ),
        )
        upload_url, file_id = started.get("upload_url"), started.get("file_id")
        if not (isinstance(upload_url, str) and upload_url and isinstance(file_id, str)):
            raise DeliveryError("Slack gave no upload URL for the file", retryable=True)
        await upload_bytes(self._client, upload_url, image.png, channel)
        comment = fallback_text(message) or None
        shared = await self._call(
            "files.completeUploadExternal",
            channel,
            lambda: self._client.files_completeUploadExternal(
                files=[{"id": file_id, "title": image.title}],
                channel_id=channel,
                thread_ts=thread,
                initial_comment=comment,
            ),
            join=True,
            creates=True,
        )
        ts = shared_ts(shared, channel)
        if thread is not None:
            return MessageRef(conversation, ts or thread, thread)
        return MessageRef(conversation, ts or file_id)

    async def ephemeral(
        self, conversation: Conversation, person: Person, message: Message, thread_id: str | None
    ) -> None:
        # No joining here: an agent's reply must not pull the bot into their channel.
        await self._call(
            "chat.postEphemeral",
            conversation.channel_id,
            lambda: self._client.chat_postEphemeral(
                channel=conversation.channel_id,
                user=person.user_id,
                thread_ts=thread_id,
                text=fallback_text(message),
                blocks=message_blocks(message),
            ),
        )

    async def permalink(self, ref: MessageRef) -> str | None:
        channel = ref.conversation.channel_id
        try:
            response = await self._call(
                "chat.getPermalink",
                channel,
                lambda: self._client.chat_getPermalink(channel=channel, message_ts=ref.message_id),
            )
        except DeliveryError as error:
            log.warning("no permalink for a message in %s: %s", channel, error.reason)
            return None
        link = response.get("permalink")
        return link if isinstance(link, str) else None

    async def _dm_channel(self, user_id: str) -> str:
        cached = self._dm_channels.get(user_id)
        if cached is not None:
            return cached
        response = await self._call(
            "conversations.open", None, lambda: self._client.conversations_open(users=user_id)
        )
        channel = response.get("channel")
        if not isinstance(channel, dict) or not isinstance(channel.get("id"), str):
            raise DeliveryError("Slack opened no direct message channel")
        self._dm_channels[user_id] = channel["id"]
        return str(channel["id"])

    async def _via_response_url(self, url: str, message: Message) -> bool:
        # No retry handlers (the SDK's default retries a lost connection): the outbox retries.
        webhook = AsyncWebhookClient(
            url, timeout=RESPONSE_URL_TIMEOUT_SECONDS, session=self.session, retry_handlers=[]
        )
        try:
            response = await webhook.send_dict(
                {
                    "response_type": "ephemeral",
                    "replace_original": False,
                    "text": fallback_text(message),
                    "blocks": message_blocks(message),
                }
            )
        except (TimeoutError, aiohttp.ClientError) as error:
            log.info("response_url failed (%s); answering another way", type(error).__name__)
            return False
        if response.status_code != 200:
            # Expired (30 minutes) or used up (5 answers): fall back, it is not an error.
            log.info("response_url answered %d; answering another way", response.status_code)
            return False
        return True

    async def _call(
        self,
        method: str,
        channel: str | None,
        call: Call,
        *,
        join: bool = False,
        creates: bool = False,
    ) -> AsyncSlackResponse:
        """Make one Web API call; on `not_in_channel`, join the channel and try once more."""
        try:
            return await _attempt(method, channel, call, creates)
        except SlackApiError as error:
            if not (join and channel and error_code(error) == "not_in_channel"):
                raise _refused(method, channel, error, creates) from None
            first_refusal = error
        if not await self._join(channel):
            raise _refused(method, channel, first_refusal, creates)
        try:
            return await _attempt(method, channel, call, creates)
        except SlackApiError as error:
            raise _refused(method, channel, error, creates) from None

    async def _join(self, channel: str) -> bool:
        """Join a public channel so the bot can post there; False when it cannot."""
        try:
            await _attempt(
                "conversations.join",
                channel,
                lambda: self._client.conversations_join(channel=channel),
                False,
            )
        except SlackApiError as error:
            log.warning(
                "Frontline could not join channel %s (%s); invite the bot to it",
                channel,
                error_code(error),
            )
            return False
        log.info("Frontline joined channel %s to post there", channel)
        return True


async def _attempt(
    method: str, channel: str | None, call: Call, creates: bool
) -> AsyncSlackResponse:
    try:
        return await call()
    except (TimeoutError, aiohttp.ClientError) as error:
        log.warning("Slack %s for %s failed: %s", method, channel or "-", type(error).__name__)
        raise unreachable(method, error, uncertain=creates and not never_sent(error)) from None


def _refused(
    method: str, channel: str | None, error: SlackApiError, creates: bool
) -> DeliveryError:
    delivery = delivery_error(method, channel, error, creates=creates)
    log.warning("Slack refused %s in %s: %s", method, channel or "-", error_code(error))
    return delivery


def _ts(response: AsyncSlackResponse) -> str:
    ts: Any = response.get("ts")
    if not isinstance(ts, str) or not ts:
        raise DeliveryError("Slack accepted the message but returned no timestamp")
    return ts
