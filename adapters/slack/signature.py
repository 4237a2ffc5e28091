"""Slack request signatures: v0 HMAC-SHA256 of `v0:{timestamp}:{body}`, checked on every request."""

from __future__ import annotations

import hashlib
import hmac
import time

MAX_AGE_SECONDS = 5 * 60  # Slack's advice: older requests may be replays


def signature_for(secret: str, timestamp: str, body: bytes) -> str:
    """The `X-Slack-Signature` value Slack sends for `body` at `timestamp`."""
    base = b"v0:" + timestamp.encode("ascii") + b":" + body
    digest = hmac.new(secret.encode("utf-8"), base, hashlib.sha256).hexdigest()
    return f"v0={digest}"


def signed_headers(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """The two headers that sign `body` (what Slack sends; tests and the benchmark use it)."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return {
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": signature_for(secret, stamp, body),
    }


def is_signed(
    secret: str, body: bytes, timestamp: str | None, signature: str | None, *, now: float
) -> bool:
    """True when `signature` signs `body` with `secret` and `timestamp` is fresh."""
    if not timestamp or not signature or not timestamp.isascii() or not timestamp.isdigit():
        return False
    if len(timestamp) > 12 or abs(now - int(timestamp)) > MAX_AGE_SECONDS:
        return False
    expected = signature_for(secret, timestamp, body)
    return hmac.compare_digest(expected.encode("ascii"), signature.encode("utf-8", "replace"))
