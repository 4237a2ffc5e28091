"""Finding a message Frontline may already have sent, by the outbox id it carries.

Posts carry their outbox id in Slack's message `metadata` (an event of type `MARKER_EVENT`); a
post or reply with an image went up as a file whose name holds it instead. After an ambiguous
failure the delivery worker asks the gateway to look for it in the conversation's (or thread's)
history before a second try, so nothing is posted twice.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Protocol

log = logging.getLogger(__name__)
MARKER_EVENT = "frontline_outbox"  # the metadata event type that carries an outbox id
HISTORY_PAGES = 10  # pages of history searched for a message that may have arrived
HISTORY_PAGE = 200  # messages per page


class Response(Protocol):
    """A Web API response (`AsyncSlackResponse`), read like a dict."""

    def get(self, key: str, default: Any = None) -> Any: ...


# One page of history after a cursor (None: the first page).
Page = Callable[[str | None], Awaitable[Response]]


def marker_metadata(marker: str | None) -> dict[str, Any] | None:
    """The `metadata` a message carrying outbox id `marker` is sent with."""
    if marker is None:
        return None
    return {"event_type": MARKER_EVENT, "event_payload": {"outbox_id": marker}}


def oldest(since: datetime) -> str:
    """`since` as the `oldest` bound of a history call."""
    return f"{since.timestamp():.6f}"


async def find_marked(
    page: Page, marker: str, *, filename: str | None, thread: str | None
) -> str | None:
    """The ts of the message marked with `marker` (with `filename`: holding that file).

    Slack pages its history: a busy channel may hold more since the message was first tried
    than one page, so the pages are followed, up to `HISTORY_PAGES` of them.
    """
    cursor: str | None = None
    for _ in range(HISTORY_PAGES):
        response = await page(cursor)
        found = _marked(response.get("messages") or [], marker, filename, thread)
        if found is not None:
            return found
        metadata = response.get("response_metadata")
        cursor = metadata.get("next_cursor") if isinstance(metadata, dict) else None
        if not (response.get("has_more") and isinstance(cursor, str) and cursor):
            return None
    log.warning(
        "outbox message %s not found in %d pages of history; taken as not sent",
        marker,
        HISTORY_PAGES,
    )
    return None


def _marked(
    messages: list[Any], marker: str, filename: str | None, thread: str | None
) -> str | None:
    """The ts of the message among `messages` that carries `marker` (or holds `filename`)."""
    for found in messages:
        if not isinstance(found, dict):
            continue
        if filename is None:
            metadata = found.get("metadata")
            payload = metadata.get("event_payload") if isinstance(metadata, dict) else None
            marked = isinstance(payload, dict) and str(payload.get("outbox_id")) == marker
        else:
            files = found.get("files")
            marked = isinstance(files, list) and any(
                isinstance(file, dict) and file.get("name") == filename for file in files
            )
        ts = found.get("ts")
        if marked and isinstance(ts, str) and ts and ts != thread:
            return ts
    return None
