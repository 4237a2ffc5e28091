"""Who the bot is in Slack, checked once at start with `auth.test` (a bad token stops the start)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.errors import AUTH_ERRORS, SlackStartupError, error_code

log = logging.getLogger(__name__)
STARTUP_ATTEMPTS = 3


class SlackUnreachable(SlackStartupError):
    """Slack did not answer at all: the token may be fine, Slack or the network is down."""


@dataclass(frozen=True, slots=True)
class BotIdentity:
    """The bot user and workspace the token belongs to, from `auth.test`."""

    team_id: str
    bot_user_id: str
    bot_id: str | None
    enterprise_id: str | None
    workspace_url: str | None


async def check_bot_token(client: AsyncWebClient) -> BotIdentity:
    """Call `auth.test`; raise SlackStartupError with what to fix when the token is unusable."""
    for attempt in range(1, STARTUP_ATTEMPTS + 1):
        try:
            response = await client.auth_test()
            break
        except SlackApiError as error:
            code = error_code(error)
            if code in AUTH_ERRORS:
                raise SlackStartupError(
                    f"Slack rejected SLACK_BOT_TOKEN ({code}). Copy the Bot User OAuth Token "
                    "(xoxb-…) from the app's OAuth & Permissions page, or reinstall the app."
                ) from None
            raise SlackStartupError(f"Slack's auth.test failed ({code}); cannot start") from None
        except (TimeoutError, aiohttp.ClientError) as error:
            if attempt == STARTUP_ATTEMPTS:
                raise SlackUnreachable(
                    f"cannot reach the Slack Web API at {client.base_url} "
                    f"({type(error).__name__}); check SLACK_API_URL and the network"
                ) from None
            await asyncio.sleep(attempt)
    identity = _identity(response.data if isinstance(response.data, dict) else {})
    log.info("Slack bot user %s in workspace %s is ready", identity.bot_user_id, identity.team_id)
    return identity


def _identity(data: dict[str, Any]) -> BotIdentity:
    team_id, user_id = data.get("team_id"), data.get("user_id")
    if not isinstance(team_id, str) or not isinstance(user_id, str):
        raise SlackStartupError("Slack's auth.test answered without a team and user id")
    bot_id = data.get("bot_id")
    enterprise_id = data.get("enterprise_id")
    url = data.get("url")
    return BotIdentity(
        team_id=team_id,
        bot_user_id=user_id,
        bot_id=bot_id if isinstance(bot_id, str) else None,
        enterprise_id=enterprise_id if isinstance(enterprise_id, str) and enterprise_id else None,
        workspace_url=url if isinstance(url, str) else None,
    )


class Authorizer:
    """Bolt's `authorize`: answers from the identity checked at start, never calling Slack."""

    def __init__(self, token: str) -> None:
        self._token = token
        self.identity: BotIdentity | None = None

    def function(self) -> Callable[..., Awaitable[AuthorizeResult]]:
        """The function to give Bolt (it passes arguments by the names of plain parameters)."""

        async def authorize(enterprise_id: str | None, team_id: str | None) -> AuthorizeResult:
            identity = self.identity
            return AuthorizeResult(
                enterprise_id=identity.enterprise_id if identity else enterprise_id,
                team_id=identity.team_id if identity else team_id,
                bot_user_id=identity.bot_user_id if identity else None,
                bot_id=identity.bot_id if identity else None,
                bot_token=self._token,
            )

        return authorize
