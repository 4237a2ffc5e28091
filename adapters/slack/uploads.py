"""Slack's external file upload: the raw POST of a file's bytes, the name it is uploaded under,
and where the share message is found in Slack's answer (used by `SlackGateway`)."""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from adapters.slack.errors import unreachable
from bot.errors import DeliveryError
from bot.messages import Image

log = logging.getLogger(__name__)
UPLOAD = "file upload"  # the POST of a file's bytes to the URL files.getUploadURLExternal gave


async def upload_bytes(client: AsyncWebClient, url: str, data: bytes, channel: str) -> None:
    """POST a file's bytes to its upload URL as the SDK does (raw body, no token)."""
    session = client.session
    own = session is None or session.closed
    if own:
        session = aiohttp.ClientSession()
    assert session is not None
    try:
        async with session.post(
            url,
            data=data,
            timeout=aiohttp.ClientTimeout(total=client.timeout),
            proxy=client.proxy or None,
            ssl=client.ssl if client.ssl is not None else True,
        ) as response:
            status = response.status
            await response.read()
    except (TimeoutError, aiohttp.ClientError) as error:
        log.warning("Slack %s for %s failed: %s", UPLOAD, channel, type(error).__name__)
        raise unreachable(UPLOAD, error) from None
    finally:
        if own:
            await session.close()
    if status != 200:
        log.warning("Slack answered %d to the %s for %s", status, UPLOAD, channel)
        raise DeliveryError(f"Slack answered {status} to the {UPLOAD}", retryable=True)


def upload_name(image: Image, marker: str | None) -> str:
    """The name an image is uploaded under: with the outbox id in it, so `find_sent` finds it."""
    if marker is None:
        return image.filename
    return f"{image.filename.removesuffix('.png')}-{marker}.png"


def shared_ts(response: AsyncSlackResponse, channel: str) -> str | None:
    """The ts of the message sharing the (first) uploaded file in `channel`, if Slack said."""
    files: Any = response.get("files")
    first = files[0] if isinstance(files, list) and files else None
    shares = first.get("shares") if isinstance(first, dict) else None
    if not isinstance(shares, dict):
        return None
    for visibility in ("public", "private"):
        where = shares.get(visibility)
        found = where.get(channel) if isinstance(where, dict) else None
        for share in found if isinstance(found, list) else []:
            ts = share.get("ts") if isinstance(share, dict) else None
            if isinstance(ts, str) and ts:
                return ts
    return None
