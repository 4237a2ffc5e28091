"""Slack requests Frontline has no listener for: acknowledged with an empty 200, nothing done.

Slack sends some whatever the manifest says (`view_closed`, `block_suggestion`, events or
shortcuts added to the app by hand, a form of an older Frontline…). A 404 would make Slack
retry an event and show the person an error, and Bolt would log a listener suggestion many
lines long; instead each gets a 200 and one INFO line naming its kind, over HTTP (after the
signature check) and Socket Mode alike. Nothing of it is stored.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from slack_bolt.error import BoltUnhandledRequestError
from slack_bolt.response import BoltResponse

log = logging.getLogger(__name__)
# Ids and type names only: anything else (what someone typed) is never logged.
_NAME = re.compile(r"[\w./:#@-]{1,100}", re.ASCII)


def listener_failed(error: Exception) -> None:
    """The log of a listener that raised (Slack gets a 500: nothing was stored)."""
    log.error("a Slack listener or middleware failed: %s", error, exc_info=error)


def note_unhandled(body: Mapping[str, Any]) -> None:
    """The one log line for a request Frontline acknowledges without doing anything."""
    log.info("acknowledged a Slack %s that Frontline does not handle; nothing done", describe(body))


async def answer_unhandled(error: Exception, body: dict[str, Any]) -> BoltResponse | None:
    """Bolt's error handler: a request no listener matched gets a 200 instead of a 404.

    Bolt calls it because the app is built with `raise_error_for_unhandled_request=True`.
    Any other error is logged as Bolt's own handler would, and Bolt's answer (500) stands.
    """
    if not isinstance(error, BoltUnhandledRequestError):
        listener_failed(error)
        return None
    if error.last_global_middleware_name is not None:
        # A middleware stopped the request without an answer: a bug, not an unknown kind.
        log.warning(
            "Bolt middleware %s left a Slack request unanswered", error.last_global_middleware_name
        )
        return None
    note_unhandled(body)
    return BoltResponse(status=200, body="")


def describe(body: Mapping[str, Any]) -> str:
    """A request's kind and the id Frontline would route it by, e.g. `event member_joined`."""
    if "command" in body:
        return f"command {_name(body.get('command'))}"
    kind = _name(body.get("type"))
    if kind == "event_callback":
        return f"event {_name(_inner(body, 'event').get('type'))}"
    if kind in ("view_submission", "view_closed"):
        return f"{kind} of view {_name(_inner(body, 'view').get('callback_id'))}"
    if kind == "block_actions":
        actions = body.get("actions")
        first = actions[0] if isinstance(actions, list) and actions else None
        return f"block_actions {_name(first.get('action_id') if isinstance(first, dict) else None)}"
    if kind == "block_suggestion":
        return f"block_suggestion {_name(body.get('action_id'))}"
    if "callback_id" in body:  # shortcuts, legacy message buttons and dialogs
        return f"{kind} {_name(body.get('callback_id'))}"
    return f"payload of type {kind}"


def _inner(body: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = body.get(key)
    return value if isinstance(value, dict) else {}


def _name(value: object) -> str:
    return value if isinstance(value, str) and _NAME.fullmatch(value) else "?"
