"""Teams' refusals as DeliveryErrors the delivery worker can act on.

Teams allows a bot about 7 messages a second and 60 every 30 seconds in one conversation
(paced by `bot.outbox.pacing`), and answers 429 (and sometimes 412, 502 or 504) when pushed;
those are worth retrying after a pause — by the worker, never inside a request.
"""

from __future__ import annotations

import logging
import time
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

from msrest.exceptions import HttpOperationError

from adapters.network_errors import never_sent, timed_out
from bot.errors import DeliveryError

log = logging.getLogger(__name__)
T = TypeVar("T")
RETRYABLE_STATUSES = frozenset({412, 429, 502, 504})
# 429 and 412 mean Teams refused before doing anything; after a 502/504 or a lost connection a
# new message may already exist.
REFUSED_BEFORE_PROCESSING = frozenset({412, 429})
DEFAULT_RETRY_AFTER = 1.0
MAYBE_DONE = frozenset({502, 504})


def retry_after_seconds(headers: Any) -> float | None:
    """The Retry-After header in seconds (a number or an HTTP date), if there is one."""
    value = str(headers.get("Retry-After") or "") if headers is not None else ""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _status(error: HttpOperationError) -> int:
    return int(getattr(error.response, "status_code", 0) or 0)


def _error_code(error: HttpOperationError) -> str:
    detail = getattr(getattr(error, "error", None), "error", None)
    return str(getattr(detail, "code", "") or "")


def refusal(error: Exception, what: str, *, creates: bool = False) -> DeliveryError:
    """The DeliveryError for a send Teams refused or that never reached it.

    `creates`: the call makes a new message, so after a 502/504 or a lost connection it may
    exist anyway; the delivery worker must not blindly send it again.
    """
    if not isinstance(error, HttpOperationError):
        reason = (
            f"Teams did not answer in time for {what}"
            if timed_out(error)
            else f"Teams could not be reached for {what}"
        )
        return DeliveryError(reason, retryable=True, uncertain=creates and not never_sent(error))
    status, code = _status(error), _error_code(error)
    if status in REFUSED_BEFORE_PROCESSING:
        wait = retry_after_seconds(error.response.headers)
        return DeliveryError(
            f"Teams asked Frontline to slow down ({status}) for {what}",
            retry_after=wait if wait is not None else DEFAULT_RETRY_AFTER,
        )
    if status in (401, 403) and code not in ("BotNotInConversationRoster", "ConversationBlocked"):
        return DeliveryError(
            f"Teams refused Frontline's credentials for {what} ({status})",
            admin_hint="check MICROSOFT_APP_ID, MICROSOFT_APP_PASSWORD and MICROSOFT_APP_TENANT_ID",
        )
    if status in (403, 404):
        return DeliveryError(
            f"Frontline is not in that Teams conversation ({code or status})",
            admin_hint="add the Frontline app to the team or chat again (Apps → Manage your apps)",
        )
    server_side = status in RETRYABLE_STATUSES or status >= 500
    return DeliveryError(
        f"Teams refused {what} ({status}{' ' + code if code else ''})",
        retryable=server_side,
        # A gateway error comes from in front of the service, which may have done it anyway;
        # a 500 or 503 is the service itself saying it did not.
        uncertain=status in MAYBE_DONE and creates,
    )
