"""People as the core knows them, with display names from `users.info`, cached for a while."""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.errors import error_code
from bot.messages import Person

log = logging.getLogger(__name__)
PLATFORM = "slack"
NAME_TTL_SECONDS = 60 * 60
FAILED_LOOKUP_TTL_SECONDS = 5 * 60  # retry a failed lookup later, not on every request
MAX_CACHED = 10_000


class People:
    """Builds `Person`s for Slack users; names come from `users.info` and are cached."""

    def __init__(
        self, client: AsyncWebClient, *, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._client = client
        self._monotonic = monotonic
        self._names: OrderedDict[str, tuple[str, float]] = OrderedDict()

    async def person(self, team_id: str, user_id: str, fallback_name: str = "") -> Person:
        """The person `user_id` of workspace `team_id`, with their display name when known."""
        name = await self.display_name(user_id)
        return Person(PLATFORM, team_id, user_id, name or fallback_name)

    async def display_name(self, user_id: str) -> str:
        """The name Slack shows for the user ("" when it cannot be found out)."""
        now = self._monotonic()
        cached = self._names.get(user_id)
        if cached is not None and cached[1] > now:
            self._names.move_to_end(user_id)
            return cached[0]
        name, ttl = await self._look_up(user_id)
        self._names[user_id] = (name, now + ttl)
        self._names.move_to_end(user_id)
        while len(self._names) > MAX_CACHED:
            self._names.popitem(last=False)
        return name

    async def _look_up(self, user_id: str) -> tuple[str, float]:
        try:
            response = await self._client.users_info(user=user_id)
        except SlackApiError as error:
            log.warning("users.info for %s failed: %s", user_id, error_code(error))
            return "", FAILED_LOOKUP_TTL_SECONDS
        except (TimeoutError, aiohttp.ClientError) as error:
            log.warning("users.info for %s failed: %s", user_id, type(error).__name__)
            return "", FAILED_LOOKUP_TTL_SECONDS
        user = response.get("user")
        return (_name_of(user) if isinstance(user, dict) else ""), NAME_TTL_SECONDS


def _name_of(user: dict[str, Any]) -> str:
    profile = user.get("profile") if isinstance(user.get("profile"), dict) else {}
    assert isinstance(profile, dict)
    for candidate in (
        profile.get("display_name"),
        profile.get("real_name"),
        user.get("real_name"),
        user.get("name"),
    ):
        if isinstance(candidate, str) and candidate.strip():
            return candidate.strip()[:80]
    return ""
