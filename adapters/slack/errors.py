"""Slack Web API failures turned into what the core and the admin can act on, by error kind."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError

from bot.errors import DeliveryError, FrontlineError

AUTH_ERRORS = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "no_permission",
        "missing_scope",
    }
)


class SlackStartupError(FrontlineError):
    """Slack cannot work with the configured credentials; the message says what to fix."""


def error_code(error: SlackApiError) -> str:
    """Slack's error code (`not_in_channel`, `ratelimited`…) of a failed Web API call."""
    data = getattr(error.response, "data", None)
    code = data.get("error") if isinstance(data, dict) else None  # a proxy's HTML page: no code
    if isinstance(code, str) and code:
        return code
    return "ratelimited" if http_status(error) == 429 else "unknown_error"


def http_status(error: SlackApiError) -> int:
    """The HTTP status of a refused call. A body that is not JSON under a JSON content type
    leaves the SDK's error holding aiohttp's own response, whose status is named `status`."""
    response = error.response
    return int(getattr(response, "status_code", None) or getattr(response, "status", 0) or 0)


def delivery_error(
    method: str, channel_id: str | None, error: SlackApiError, *, creates: bool = False
) -> DeliveryError:
    """The DeliveryError for a refused call, with a hint the admin can act on.

    `creates`: the call makes a new message, so a server error may have made it anyway.
    """
    code = error_code(error)
    status = http_status(error)
    where = f"<#{channel_id}>" if channel_id else "Slack"
    if code == "not_in_channel":
        return DeliveryError(
            f"Frontline is not a member of {where}",
            admin_hint=f"invite the bot to {where}: type `/invite @Frontline` in that channel",
        )
    if code == "channel_not_found":
        return DeliveryError(
            f"Slack has no channel {channel_id or '?'} that Frontline can see",
            admin_hint=(
                "check the channel ids in frontline.yml (they look like C0123ABCD: open the "
                "channel's details in Slack) and invite the bot if the channel is private"
            ),
        )
    if code == "is_archived":
        return DeliveryError(
            f"{where} is archived",
            admin_hint="unarchive it or configure another channel in frontline.yml",
        )
    if code == "ratelimited" or status == 429:
        retry_after = _retry_after(error)
        return DeliveryError(
            f"Slack rate-limited {method}"
            + (f" (retry after {retry_after:g}s)" if retry_after is not None else ""),
            retry_after=retry_after if retry_after is not None else 1.0,
        )
    if code == "missing_scope":
        needed = _needed_scope(method, error)
        if needed is not None:
            return DeliveryError(
                f"Slack refused {method}: missing_scope; add the `{needed}` scope to the app",
                admin_hint=(
                    f"add the `{needed}` bot scope (manifest.yml lists it): update the Slack "
                    "app from manifest.yml and reinstall it to the workspace"
                ),
            )
    if code in AUTH_ERRORS:
        return DeliveryError(
            f"Slack refused {method}: {code}",
            admin_hint=(
                "reinstall the Slack app from manifest.yml and update SLACK_BOT_TOKEN"
                if code != "missing_scope"
                else "the app lacks a scope: recreate it from manifest.yml and reinstall it"
            ),
        )
    server_side = status >= 500 or code in SERVER_ERRORS
    reason = (
        f"Slack refused {method}: {code}"
        if not status >= 500
        else (f"Slack answered {status} to {method}")
    )
    return DeliveryError(reason, retryable=server_side, uncertain=server_side and creates)


# The scope a method needs, for a `missing_scope` answer that does not name it in `needed`:
# the methods of a feature added later, whose scope an older install may lack.
NEEDED_SCOPES = {
    "files.getUploadURLExternal": "files:write",
    "files.completeUploadExternal": "files:write",
}

SERVER_ERRORS = frozenset(
    {"internal_error", "service_unavailable", "fatal_error", "request_timeout", "unknown_error"}
)


def unreachable(method: str, error: BaseException, *, uncertain: bool = False) -> DeliveryError:
    """The DeliveryError for a call that never got an answer from Slack."""
    return DeliveryError(
        f"could not reach Slack for {method} ({type(error).__name__})",
        retryable=True,
        uncertain=uncertain,
    )


def _needed_scope(method: str, error: SlackApiError) -> str | None:
    data = getattr(error.response, "data", None)
    needed = data.get("needed") if isinstance(data, dict) else None
    if isinstance(needed, str) and needed:
        return needed
    return NEEDED_SCOPES.get(method)


def _retry_after(error: SlackApiError) -> float | None:
    headers = getattr(error.response, "headers", None) or {}
    for name, value in headers.items():
        if name.lower() == "retry-after":
            try:
                return max(0.0, float(value[0] if isinstance(value, list) else value))
            except (TypeError, ValueError):
                return None
    return None
